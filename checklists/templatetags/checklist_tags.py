from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

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


# Status and origin badges: in words, never colour alone. Filters rather than included templates
# because a checklist page shows fifty rows of them, and an include per badge cost a quarter of
# the page's time.
_STATUS_BADGES = {
    "in_place": ("text-bg-success", "In place"),
    "in_progress": ("text-bg-warning", "In progress"),
    "not_applicable": ("text-bg-light border", "Not applicable"),
}
_NOT_STARTED = ("text-bg-secondary", "Not started")
_CARRIED = mark_safe(' <span class="badge text-bg-info">Carried over · to confirm</span>')
_OVERDUE = mark_safe(' <span class="badge text-bg-danger">Overdue</span>')


@register.filter
def status_badges(response) -> SafeString:
    """A response's status, and whether it waits for confirmation or is overdue."""
    css, label = _STATUS_BADGES.get(response.status, _NOT_STARTED)
    return format_html(
        '<span class="badge {}">{}</span>{}{}',
        css,
        label,
        _CARRIED if response.carried_over else "",
        _OVERDUE if response.is_overdue else "",
    )


_PRACTICE = mark_safe(
    ' <span class="badge text-bg-light border origin origin-practice">'
    "+ Muster's suggested practice</span>"
)


@register.filter
def origin_badges(item) -> SafeString:
    """What an item rests on, and whether Muster adds its own practice."""
    return format_html(
        '<span class="badge text-bg-light border origin origin-{}">{}</span>{}',
        item.origin,
        item.get_origin_display(),
        _PRACTICE if item.practice and item.origin != "practice" else "",
    )


@register.filter
def evidence_counts(response) -> str:
    """ "2 of 3 answered · 1 file": the evidence a row sums up."""
    answered, asked = response.evidence_summary()
    files = len(response.attachments.all())
    text = f"{answered} of {asked} answered"
    return text + (f" · {files} file{'s' if files != 1 else ''}" if files else "")
