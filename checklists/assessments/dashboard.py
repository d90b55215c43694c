"""The figures of an agency's dashboard, for its current assessment."""

from __future__ import annotations

from django.db.models import Count, Window

from checklists.assessments import scoring
from checklists.assessments.history import recent_changes
from checklists.assessments.models import Assessment

SHOWN = 10  # rows of each list; the counts beside them give the rest


def dashboard_figures(assessment: Assessment, *, user) -> dict:
    """Readiness overall and by section, role and school; overdue and assigned items; changes."""
    responses = assessment.responses.all()
    # The previous assessment's sections, for the comparison, in the same query.
    ids = [assessment.pk] + ([assessment.previous_id] if assessment.previous_id else [])
    each = scoring.breakdown_each(ids)
    sections = each[assessment.pk].sections
    overall = scoring.combined(sections)  # every response is in exactly one section
    figures = {
        "overall": overall,
        "sections": sections,
        "roles": each[assessment.pk].roles,
        "changes": recent_changes(assessment, limit=SHOWN),
    }
    figures["schools"], figures["schools_furthest_behind"] = _schools(responses)
    figures["overdue"], figures["overdue_count"] = _listed(responses.overdue())
    figures["mine"], figures["mine_count"] = _listed(responses.assigned_to(user).open())
    if assessment.previous_id:
        earlier = each[assessment.previous_id].sections
        figures["comparison"] = comparison(sections, earlier, overall, scoring.combined(earlier))
        figures["to_confirm_count"] = overall.to_confirm
    return figures


def _schools(responses) -> tuple[list, bool]:
    """Every school by name; for an agency of more schools than a list shows, those furthest
    behind, lowest first (True). The schools page has them all."""
    lowest = scoring.by_school(responses, furthest_behind=SHOWN + 1)
    if len(lowest) > SHOWN:
        return lowest[:SHOWN], True
    return sorted(lowest, key=lambda score: score.label), False


def _listed(responses) -> tuple[list, int]:
    """The first rows of a list of items and how many there are, in one query (the count is a
    window over the whole list). Code, title, school and target date are all it shows
    (includes/response_list.html), so none of a checklist row's evidence is fetched."""
    rows = list(
        responses.select_related("item", "school")
        .only("assessment", "target_date", "item__code", "item__title", "school__name")
        .in_checklist_order()
        .annotate(listed_of=Window(Count("pk")))[:SHOWN]
    )
    return rows, rows[0].listed_of if rows else 0


def comparison(now_sections, then_sections, now_overall, then_overall) -> list[tuple]:
    """(label, then, now) rows: overall first, then each section by its title."""
    then = {s.label: s for s in then_sections}
    rows = [(now_overall.label, then_overall, now_overall)]
    return rows + [(s.label, then.get(s.label), s) for s in now_sections]
