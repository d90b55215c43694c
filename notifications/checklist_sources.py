"""What the checklists put in digests and calendar feeds: items due or overdue, the agency's
overdue count and the assessment's due date for leads. Each digest source reads in a fixed
number of queries, whatever the number of people."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date, timedelta

from django.db.models import Count, F
from django.urls import reverse

from accounts.models import Membership, User
from checklists.assessments.models import Assessment, Response
from notifications.registry import Event, Line, Section

DUE_SOON_DAYS = 7
ASSESSMENT_DUE_SOON_DAYS = 30
OPEN_STATES = (Assessment.State.DRAFT, Assessment.State.IN_REVIEW)


def _item_text(
    code: str, title: str, school: str | None, assessment: Assessment, target: date, today: date
) -> str:
    where = f" at {school}" if school else ""
    when = target.strftime("%b %-d")
    late = f"overdue since {when}" if target < today else f"due {when}"
    return f"{code} {title}{where} ({assessment}): {late}"


def my_items(
    memberships: list[Membership], today: dict[int, date]
) -> Iterator[tuple[int, Section]]:
    """Each person's open items due within 7 days of their agency's today, or overdue."""
    if not memberships:
        return
    latest = max(today.values()) + timedelta(days=DUE_SOON_DAYS)
    pairs = {(m.user_id, m.agency_id) for m in memberships}
    assessments = Assessment.objects.filter(
        state=Assessment.State.DRAFT, agency_id__in={a for _, a in pairs}
    ).select_related("agency")
    # The rows as plain values: thousands of people's items, where model instances (a response,
    # its item, school, assessment and agency each) were most of the digests' reading time.
    rows = (
        Response.objects.open()
        .filter(assessment__in=assessments, owner_id__in={u for u, _ in pairs})
        .filter(target_date__lte=latest)
        .order_by("target_date", "item__code", "pk")
        .values_list("pk", "owner_id", "assessment_id", "target_date")
        .annotate(code=F("item__code"), title=F("item__title"), school_name=F("school__name"))
    )
    drafts = {a.pk: a for a in assessments}
    lines = defaultdict(list)
    for pk, owner_id, assessment_id, target, code, title, school in rows:
        assessment = drafts[assessment_id]
        agency_id = assessment.agency_id
        if (owner_id, agency_id) not in pairs:
            continue
        if target > today[agency_id] + timedelta(days=DUE_SOON_DAYS):
            continue
        text = _item_text(code, title, school, assessment, target, today[agency_id])
        url = reverse("response_detail", kwargs={"slug": assessment.agency.slug, "pk": pk})
        lines[owner_id].append(Line(text, url))
    for user_id, items in lines.items():
        yield user_id, Section("Your items due within 7 days or overdue", items, order=10)


def agency_overview(
    memberships: list[Membership], today: dict[int, date]
) -> Iterator[tuple[int, Section]]:
    """For leads: how many of the agency's items are overdue, and an assessment due soon."""
    leads = [m for m in memberships if m.access == Membership.Access.LEAD]
    if not leads:
        return
    agency_ids = {m.agency_id for m in leads}
    overdue = defaultdict(int)
    # Counted by target date, so each agency's own today decides what is overdue.
    counts = (
        Response.objects.open()
        .filter(
            assessment__state=Assessment.State.DRAFT,
            assessment__agency_id__in=agency_ids,
            target_date__lt=max(today[a] for a in agency_ids),
        )
        .values_list("assessment__agency_id", "target_date")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for agency_id, target_date, n in counts:
        if target_date < today[agency_id]:
            overdue[agency_id] += n
    due = defaultdict(list)
    soon = max(today[a] for a in agency_ids) + timedelta(days=ASSESSMENT_DUE_SOON_DAYS)
    assessments = Assessment.objects.filter(
        agency_id__in=agency_ids, state__in=OPEN_STATES, due_date__lte=soon
    ).select_related("agency")
    for assessment in assessments.order_by("due_date", "pk"):
        days = (assessment.due_date - today[assessment.agency_id]).days
        if days <= ASSESSMENT_DUE_SOON_DAYS:
            due[assessment.agency_id].append(assessment)
    for m in leads:
        lines = _overview_lines(m, overdue[m.agency_id], due[m.agency_id], today[m.agency_id])
        if lines:
            yield m.user_id, Section(f"{m.agency.name} at a glance", lines, order=20)


def _overview_lines(m: Membership, overdue: int, due: list, today: date) -> list[Line]:
    lines = []
    if overdue:
        noun = "item is" if overdue == 1 else "items are"
        lines.append(Line(f"{overdue} {noun} overdue.", m.agency.get_absolute_url()))
    for assessment in due:
        days = (assessment.due_date - today).days
        when = (
            f"was due {assessment.due_date:%b %-d}"
            if days < 0
            else "is due today"
            if days == 0
            else f"is due {assessment.due_date:%b %-d} ({days} days)"
        )
        lines.append(Line(f"{assessment} {when}.", assessment.get_absolute_url()))
    return lines


def calendar_dates(user: User) -> Iterator[Event]:
    """The target dates of the person's open items and the due dates of their agencies'
    assessments under way."""
    owned = (
        Response.objects.open()
        .filter(owner=user, target_date__isnull=False, assessment__state=Assessment.State.DRAFT)
        .select_related("item", "school", "assessment__agency")
    )
    for response in owned:
        where = f" at {response.school.name}" if response.school_id else ""
        yield Event(
            uid=f"response-{response.pk}-target",
            day=response.target_date,
            summary=f"Target: {response.item.code} {response.item.title}{where}",
            url=response.get_absolute_url(),
            description=f"{response.assessment} · {response.assessment.agency.name}",
        )
    assessments = Assessment.objects.filter(
        agency__memberships__user=user, state__in=OPEN_STATES, due_date__isnull=False
    ).select_related("agency")
    for assessment in assessments:
        yield Event(
            uid=f"assessment-{assessment.pk}-due",
            day=assessment.due_date,
            summary=f"Due: {assessment}",
            url=assessment.get_absolute_url(),
            description=assessment.agency.name,
        )
