from __future__ import annotations

from django import template

from checklists.models import EvidencePrompt

register = template.Library()


@register.filter
def get_answer(answers: dict, prompt: EvidencePrompt) -> str:
    """An evidence answer as a person reads it."""
    value = answers.get(prompt.key)
    if value is None or value == "":
        return ""
    if prompt.kind == EvidencePrompt.Kind.BOOLEAN:
        return "Yes" if value else "No"
    if prompt.kind == EvidencePrompt.Kind.NUMBER and prompt.unit:
        return f"{value} {prompt.unit}"
    return str(value)
