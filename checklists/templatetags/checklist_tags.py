from __future__ import annotations

from html import escape
from itertools import groupby

from django import template
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils.html import format_html
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
    status: format_html('<span class="badge {}">{}</span>', css, label)
    for status, (css, label) in {
        "not_started": ("text-bg-secondary", "Not started"),
        "in_place": ("text-bg-success", "In place"),
        "in_progress": ("text-bg-warning", "In progress"),
        "not_applicable": ("text-bg-light border", "Not applicable"),
    }.items()
}
_CARRIED = mark_safe(' <span class="badge text-bg-info">Carried over · to confirm</span>')
_OVERDUE = mark_safe(' <span class="badge text-bg-danger">Overdue</span>')


@register.filter
def status_badges(response) -> SafeString:
    """A response's status, and whether it waits for confirmation or is overdue."""
    badges = _STATUS_BADGES.get(response.status, _STATUS_BADGES["not_started"])
    if response.carried_over:
        badges += _CARRIED
    return badges + _OVERDUE if response.is_overdue else badges


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
    files = len(response.files)
    text = f"{answered} of {asked} answered"
    return text + (f" · {files} file{'s' if files != 1 else ''}" if files else "")


def _text(value) -> str:
    """conditional_escape without its lazy-text wrapper, which fifty rows call a thousand times."""
    return value.__html__() if hasattr(value, "__html__") else escape(str(value))


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
    if agency is not None:
        link = reverse("school_checklist", args=[agency.slug, _SENTINEL])
        before, after = (_text(part) for part in link.rpartition(str(_SENTINEL))[::2])

    def label(score) -> str:
        if agency is not None and score.key:
            return f'<a href="{before}{int(score.key)}{after}">{_text(score.label)}</a>'
        return _text(score.label or "—")

    rows = "".join(
        _BAR_ROW.format(
            label(score), score.percent, score.percent, score.in_place, score.applicable
        )
        for score in scores
    )
    return mark_safe(rows)  # noqa: S308 — labels escaped by _text, the figures are numbers


# One checklist row (the `row` partial of checklist.html, and each row of the page). Written in
# Python for the reason bar_rows is: fifty rows of some thirty template variables each were
# half of the checklist page's time. Every value is escaped once (`_text`), then put into the
# row's markup with str.format; the pieces below are the row's optional parts.
_ROW = """<article class="card response-row mb-2" id="response-{pk}" aria-labelledby="title-{pk}">
  <div class="card-body py-2">
    <div class="d-flex flex-wrap gap-2 align-items-start justify-content-between">
      <h3 class="h6 mb-1" id="title-{pk}">
        {pick}<span class="item-code">{code}</span> <a href="{url}">{title}</a>{school_badge}
      </h3>
      <div>{status}</div>
    </div>
    <p class="small mb-1 text-body-secondary">
      {origin} · Owner: {owner} · Target: {target}
      · Evidence: {evidence}{comments}{flags}
      {previous}
    </p>
    {edit}
  </div>
</article>"""
_PICK = (
    '<input class="form-check-input me-1 pick" type="checkbox" name="assign-responses" '
    'value="{pk}" form="assign-form" id="pick-{pk}" aria-label="Select {code}{at_school}">'
)
_SCHOOL_BADGE = ' <span class="badge text-bg-primary">{}</span>'
_COMMENTS = (
    ' · <a class="badge text-bg-warning text-decoration-none" href="{url}#comments-{pk}">'
    "{n} open review comment{s}</a>"
)
_FLAG = ' · <a class="badge text-bg-warning text-decoration-none" href="{url}">{text}</a>'
_CHANGED = ' <span class="badge text-bg-light border">changed</span>'
_EDIT = (
    '<a class="btn btn-sm btn-outline-primary" href="{url}{next}" hx-get="{url}" '
    'hx-target="#response-{pk}" hx-swap="outerHTML">'
    'Edit<span class="visually-hidden"> {code}{at_school}</span></a>'
)


_SECTION = """<section class="mb-3" aria-labelledby="sec-{pk}">
  <h2 class="h5" id="sec-{pk}">{title}</h2>
  {rows}
</section>
"""
_NO_MATCH = mark_safe(
    '<div class="alert alert-light border" role="status">No item matches these filters.</div>'
)


@register.simple_tag(takes_context=True)
def checklist_sections(context, responses) -> SafeString:
    """A page's rows under their sections' headings (the rows come in checklist order), in
    Python for the reason response_row is: a template loop and a tag call per row cost more
    than the rows themselves."""
    sections = [
        _SECTION.format(
            pk=section.pk,
            title=_text(section.title),
            rows="".join(response_row(context, response) for response in rows),
        )
        for section, rows in groupby(responses, key=lambda response: response.item.section)
    ]
    return mark_safe("".join(sections)) if sections else _NO_MATCH  # noqa: S308 — escaped


@register.simple_tag(takes_context=True)
def response_row(context, response) -> SafeString:
    """A response's row on the checklist: what it is, its state, and the ways to act on it.

    Reads the page's `can_assign`, `edits_every_row` and `next_query` when the page has them
    (a row rendered alone after a save has none: no tick box, the permission asked of the row).
    """
    item, school = response.item, response.school
    page = _page_parts(context)
    code, title, origin = _item_parts(page, item)
    row = {"pk": response.pk, "code": code, "url": _response_url(page, response)}
    school_name = _text(school.name) if school else ""
    row["at_school"] = f" at {school_name}" if school else ""
    can_edit = context.get("edits_every_row") or context["user"].has_perm(
        "checklists.change_response", response
    )
    markup = _ROW.format(
        **row,
        pick=_PICK.format(**row) if _picks(context, can_edit) else "",
        title=title,
        school_badge=_SCHOOL_BADGE.format(school_name) if school else "",
        status=status_badges(response),
        origin=origin,
        owner=_text(response.owner_name or "nobody yet"),
        # Muster's own words and numbers, nothing typed: no markup to escape.
        target=date_filter(response.target_date, "M j, Y") or "none",
        evidence=evidence_counts(response),
        comments=_comments(row, response.unresolved_comment_count),
        flags=_flags(context.get("row_flags", {}).get(response.pk, ())),
        previous=_previous(response),
        edit=_EDIT.format(**row, next=page["next"]) if can_edit else "",
    )
    return mark_safe(markup)  # noqa: S308 — every value above is escaped by _text or our own


def _picks(context, can_edit: bool) -> bool:
    """A tick box for the page's bulk form: every row for who assigns; for an SRO on a school's
    page (who confirms carried-over items in bulk), the rows they may change."""
    return bool(
        context.get("can_assign")
        or (context.get("can_confirm") and context.get("school") and can_edit)
    )


def _comments(row: dict, count: int) -> str:
    return _COMMENTS.format(**row, n=count, s="" if count == 1 else "s") if count else ""


def _flags(flags) -> str:
    """The notices apps above checklists put on the row (extensions.row_flags), in words."""
    return "".join(_FLAG.format(url=_text(f.url), text=_text(f.text)) for f in flags)


def _previous(response) -> str:
    """The status it had in the previous assessment, and whether it changed since."""
    if (status := response.previous_status_label) is None:
        return ""
    changed = _CHANGED if response.changed_since_previous else ""
    return f" · Last assessment: {_text(status)}{changed}"


def _page_parts(context) -> dict:
    """What every row of a page shares, made once a page: the next parameter of its edit links,
    its item parts by item, its response URL pattern by agency."""
    parts = context.render_context.get("checklist_rows")
    if parts is None:
        parts = {"next": _text(context.get("next_query", "")), "items": {}, "urls": {}}
        context.render_context["checklist_rows"] = parts
    return parts


def _item_parts(page: dict, item) -> tuple[str, str, str]:
    """An item's code, title and origin as markup, shared by its rows at every school."""
    if (parts := page["items"].get(item.pk)) is None:
        parts = page["items"][item.pk] = (_text(item.code), _text(item.title), origin_badges(item))
    return parts


def _response_url(page: dict, response) -> str:
    """The response's page, escaped: one reverse() a page, each row's pk put into the pattern."""
    slug = response.assessment.agency.slug
    if slug not in page["urls"]:
        pattern = reverse("response_detail", args=[slug, _SENTINEL])
        page["urls"][slug] = tuple(_text(part) for part in pattern.rpartition(str(_SENTINEL))[::2])
    prefix, suffix = page["urls"][slug]
    return f"{prefix}{response.pk}{suffix}"
