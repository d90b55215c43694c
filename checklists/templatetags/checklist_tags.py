from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from checklists.catalog.models import EvidencePrompt, Item

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
_ORIGIN_BADGES = {
    value: format_html(
        '<span class="badge text-bg-light border origin origin-{}">{}</span>', value, label
    )
    for value, label in Item.Origin.choices
}


@register.filter
def origin_badges(item) -> SafeString:
    """What an item rests on, and whether Muster adds its own practice."""
    badge = _ORIGIN_BADGES[item.origin]
    return badge + _PRACTICE if item.practice and item.origin != "practice" else badge


@register.filter
def evidence_counts(response) -> str:
    """ "2 of 3 answered · 1 file": the evidence a row sums up."""
    answered, asked = response.evidence_summary()
    files = len(response.attachments.all())
    text = f"{answered} of {asked} answered"
    return text + (f" · {files} file{'s' if files != 1 else ''}" if files else "")


_BAR_ROW = (
    '<tr><th scope="row" class="fw-normal bars-label">{}</th>'
    '<td class="bars-bar"><svg width="100%" height="14" aria-hidden="true" focusable="false">'
    '<rect width="100%" height="14" rx="3" fill="#e9ecef"/>'
    '<rect width="{}%" height="14" rx="3" fill="#1f5fae"/></svg></td>'
    '<td class="text-end text-nowrap bars-figures"><strong>{}%</strong> '
    '<span class="text-body-secondary">· {} of {}</span></td></tr>'
)
_SENTINEL = 987654321  # a school id no agency has, replaced by each school's own


@register.simple_tag
def bar_rows(scores, agency=None) -> SafeString:
    """The rows of a bar chart table (includes/bars.html): label, bar and figures written out.

    Written in Python because the dashboard charts every school of the agency (200 and more):
    rendered cell by cell, those rows were most of its time. With `agency`, each label links to
    the school's page (one reverse() for all of them).
    """
    link = reverse("school_checklist", args=[agency.slug, _SENTINEL]) if agency is not None else ""

    def label(score):
        if link and score.key:
            url = link.replace(str(_SENTINEL), str(int(score.key)))
            return format_html('<a href="{}">{}</a>', url, score.label)
        return score.label or "—"

    return format_html_join(
        "",
        _BAR_ROW,
        (
            (label(score), score.percent, score.percent, score.in_place, score.applicable)
            for score in scores
        ),
    )
