from __future__ import annotations

from django import template
from django.utils.safestring import mark_safe

from checklists.catalog.models import EvidencePrompt

register = template.Library()


@register.filter
def get_answer(answers: dict, prompt: EvidencePrompt) -> str:
    """An evidence answer as a person reads it."""
    return prompt.answer_text(answers)


@register.filter
def get_item(mapping: dict, key):
    return mapping.get(key)


@register.filter
def css_string(value) -> str:
    """Text as the inside of a double-quoted CSS string, safe inside a <style> element."""
    escaped = "".join(f"\\{ord(c):X} " if c in '\\"<>&' or ord(c) < 32 else c for c in str(value))
    return mark_safe(escaped)  # noqa: S308 — every character that could end the string or the element is escaped
