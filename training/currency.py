"""Who is current on what: each requirement's status for each person.

A person is *current* on a requirement when their completions inside its rolling window meet it
(any one of its courses, every one of them, or enough hours from them). They are *expiring* when
current today but no longer current in 90 days without more training, *expired* when they were
trained on it once but are not current, and *never* trained when they have no completion of its
courses at all.

The database sums each person's completions of a requirement's courses, course by course, in
one grouped query per requirement (`_facts`); the rule above is then applied to those few rows
in Python. So a page makes the same queries for ten people or a thousand.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection, models
from django.db.models import Count, DecimalField, Max, Q, Sum, Value
from django.db.models.functions import Coalesce

from training.models import Completion, Person, Requirement, add_months

EXPIRING_DAYS = 90


class Status(models.TextChoices):
    CURRENT = "current", "Current"
    EXPIRING = "expiring", "Expires within 90 days"
    EXPIRED = "expired", "Expired"
    NEVER = "never", "Never trained"
    NOT_REQUIRED = "not_required", "Not required"


COUNTED = (Status.CURRENT, Status.EXPIRING, Status.EXPIRED, Status.NEVER)


def _windows(requirement: Requirement, today: date) -> tuple[date, date]:
    """The first day counted today, and the first day still counted in 90 days."""
    later = today + timedelta(days=EXPIRING_DAYS)
    return (
        add_months(today, -requirement.window_months) + timedelta(days=1),
        add_months(later, -requirement.window_months) + timedelta(days=1),
    )


@dataclass
class Facts:
    """One person's completions of one requirement's courses: per course, in each window."""

    last: date | None = None
    now: dict[int, tuple[int, Decimal]] = field(default_factory=dict)  # course: (count, hours)
    later: dict[int, tuple[int, Decimal]] = field(default_factory=dict)


def _hours(since: date, today: date):
    return Coalesce(
        Sum("hours", filter=Q(completed_on__gte=since, completed_on__lte=today)),
        Value(Decimal(0)),
        output_field=DecimalField(max_digits=12, decimal_places=2),
    )


def _facts(requirement: Requirement, today: date, person_ids=None) -> dict[int, Facts]:
    """Each person's facts for the requirement (only those with a completion of its courses)."""
    now, later = _windows(requirement, today)
    course_ids = [c.pk for c in requirement.courses.all()]
    rows = Completion.objects.filter(course__in=course_ids)
    if person_ids is not None:
        rows = rows.filter(person__in=person_ids)
    rows = (
        rows.order_by()
        .values("person_id", "course_id")
        .annotate(
            last=Max("completed_on"),
            now_n=Count("pk", filter=Q(completed_on__gte=now, completed_on__lte=today)),
            later_n=Count("pk", filter=Q(completed_on__gte=later, completed_on__lte=today)),
            now_h=_hours(now, today),
            later_h=_hours(later, today),
        )
    )
    facts: dict[int, Facts] = defaultdict(Facts)
    for row in rows:
        fact = facts[row["person_id"]]
        fact.last = max(filter(None, (fact.last, row["last"])))
        fact.now[row["course_id"]] = (row["now_n"], row["now_h"])
        fact.later[row["course_id"]] = (row["later_n"], row["later_h"])
    return facts


def _meets(requirement: Requirement, window: dict[int, tuple[int, Decimal]]) -> bool:
    if requirement.measure == Requirement.Measure.HOURS:
        return sum(h for _, h in window.values()) >= requirement.hours
    if requirement.measure == Requirement.Measure.ALL:
        courses = requirement.courses.all()
        return bool(courses) and all(window.get(c.pk, (0, 0))[0] for c in courses)
    return any(n for n, _ in window.values())


def status_of(requirement: Requirement, facts: Facts | None) -> Status:
    if facts is None or facts.last is None:
        return Status.NEVER
    if not _meets(requirement, facts.now):
        return Status.EXPIRED
    return Status.CURRENT if _meets(requirement, facts.later) else Status.EXPIRING


def statuses(requirement: Requirement, today: date) -> dict[int, Status]:
    """Every covered person's status on the requirement: two queries."""
    facts = _facts(requirement, today)
    covered = requirement.people().values_list("pk", flat=True)
    return {pk: status_of(requirement, facts.get(pk)) for pk in covered}


def applies_to(requirement: Requirement, person: Person) -> bool:
    """Whether the requirement covers this person (their roles prefetched)."""
    if person.status != Person.Status.ACTIVE or (requirement.sworn_only and not person.sworn):
        return False
    if requirement.unit and person.unit.casefold() != requirement.unit.casefold():
        return False
    return not requirement.role_id or any(r.pk == requirement.role_id for r in person.roles.all())


@dataclass
class Cell:
    requirement: Requirement
    status: Status
    last: date | None = None

    @property
    def expires_on(self) -> date | None:
        if self.last is None or self.requirement.measure != Requirement.Measure.ANY:
            return None
        return add_months(self.last, self.requirement.window_months)


def _page_facts(requirements, today: date, person_ids) -> dict[int, dict[int, Facts]]:
    """Facts of a page of people on every requirement, from one query of their completions."""
    course_ids = {c.pk for r in requirements for c in r.courses.all()}
    done = Completion.objects.filter(person__in=person_ids, course__in=course_ids).order_by()
    done = list(done.values_list("person_id", "course_id", "completed_on", "hours"))
    result = {}
    for requirement in requirements:
        now, later = _windows(requirement, today)
        mine = {c.pk for c in requirement.courses.all()}
        facts: dict[int, Facts] = defaultdict(Facts)
        for person_id, course_id, day, hours in done:
            if course_id not in mine:
                continue
            fact = facts[person_id]
            fact.last = max(filter(None, (fact.last, day)))
            for window, since in ((fact.now, now), (fact.later, later)):
                if since <= day <= today:
                    count, total = window.get(course_id, (0, Decimal(0)))
                    window[course_id] = (count + 1, total + hours)
        result[requirement.pk] = facts
    return result


def rows(people, requirements, today: date) -> list[tuple[Person, list[Cell]]]:
    """Matrix rows for a page of people: each person's cell on each requirement.

    Three queries: the people, their roles and their completions, whatever the page.
    """
    people = list(people.prefetch_related("roles"))
    facts = _page_facts(requirements, today, [p.pk for p in people])
    result = []
    for person in people:
        cells = []
        for requirement in requirements:
            if not applies_to(requirement, person):
                cells.append(Cell(requirement, Status.NOT_REQUIRED))
                continue
            fact = facts[requirement.pk].get(person.pk)
            cells.append(
                Cell(requirement, status_of(requirement, fact), fact.last if fact else None)
            )
        result.append((person, cells))
    return result


def with_status(people, requirement: Requirement, status: str, today: date):
    """The people covered by the requirement who have this status."""
    ids = [pk for pk, s in statuses(requirement, today).items() if s == status]
    return people.filter(pk__in=ids)


@dataclass
class Summary:
    requirement: Requirement
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def share(self, status: str) -> int:
        """The whole-number percentage of the people covered who have this status."""
        return round(100 * self.counts.get(status, 0) / self.total) if self.total else 0

    @property
    def current(self) -> int:
        return self.counts.get(Status.CURRENT, 0) + self.counts.get(Status.EXPIRING, 0)

    @property
    def current_share(self) -> int:
        return round(100 * self.current / self.total) if self.total else 0


def _measure(requirement: Requirement, since: date, today: date):
    """Per person: the number, hours or distinct courses completed since `since`."""
    window = Q(completed_on__gte=since, completed_on__lte=today)
    if requirement.measure == Requirement.Measure.HOURS:
        return _hours(since, today)
    if requirement.measure == Requirement.Measure.ALL:
        return Count("course", distinct=True, filter=window)
    return Count("pk", filter=window)


def _threshold(requirement: Requirement):
    if requirement.measure == Requirement.Measure.HOURS:
        return requirement.hours
    if requirement.measure == Requirement.Measure.ALL:
        return len(requirement.courses.all())
    return 1


# Around the ORM's own SQL for the per-person rows; every value is a query parameter.
COUNT_PER_PERSON = (
    "SELECT COUNT(*),"
    " COALESCE(SUM(CASE WHEN met_now >= %s THEN 1 ELSE 0 END), 0),"
    " COALESCE(SUM(CASE WHEN met_now >= %s AND met_later >= %s THEN 1 ELSE 0 END), 0)"
    " FROM ({}) per_person"
)


def summary_of(requirement: Requirement, today: date) -> Summary:
    """The counts of one requirement, summed by the database per person: two queries."""
    now, later = _windows(requirement, today)
    covered = requirement.people()
    per_person = (
        Completion.objects.filter(course__in=requirement.courses.all(), person__in=covered)
        .order_by()
        .values("person_id")
        .annotate(
            met_now=_measure(requirement, now, today),
            met_later=_measure(requirement, later, today),
        )
    )
    # The ORM does not aggregate over aggregates: count the per-person rows in SQL around it,
    # so a thousand people come back as one row of three numbers.
    sql, params = per_person.query.sql_with_params()
    threshold = _threshold(requirement)
    with connection.cursor() as cursor:
        cursor.execute(COUNT_PER_PERSON.format(sql), [threshold, threshold, threshold, *params])
        ever, met_now, both = cursor.fetchone()
    totals = {"ever": ever, "now": met_now, "both": both}
    total = covered.count()
    return Summary(requirement, {
        Status.CURRENT: totals["both"],
        Status.EXPIRING: totals["now"] - totals["both"],
        Status.EXPIRED: totals["ever"] - totals["now"],
        Status.NEVER: total - totals["ever"],
    })  # fmt: skip


def summaries(requirements, today: date) -> list[Summary]:
    """Per requirement, how many of the people it covers are current, expiring, expired, never."""
    return [summary_of(requirement, today) for requirement in requirements]


def for_agency(agency) -> list[Requirement]:
    """The agency's requirements with what the currency rules read."""
    return list(
        Requirement.objects.filter(agency=agency)
        .select_related("role", "agency")
        .prefetch_related("courses")
    )
