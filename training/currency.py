"""Who is current on what: each requirement's status for each person.

A person is *current* on a requirement when their completions inside its rolling window meet it
(any one of its courses, every one of them, or enough hours from them). They are *expiring* when
current today but no longer current in 90 days without more training, *expired* when they were
trained on it once but are not current, and *never* trained when they have no completion of its
courses at all.

With no training yet to come, a person's currency only runs out: so for each person and
requirement `refresh` stores the day it lapses (`Currency.lapses_on`), and the status on any
day follows from that date alone. The services that write completions or requirements call
`refresh` in their transaction; the pages read the stored dates, a page of people's rows in one
query and an agency's summary in two, however many people and completions there are.
"""

from __future__ import annotations

import operator
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import reduce

from django.db import models
from django.db.models import Count, Exists, OuterRef, Q

from accounts.models import Agency
from training.models import Completion, Currency, Person, Requirement, add_months

EXPIRING_DAYS = 90


class Status(models.TextChoices):
    CURRENT = "current", "Current"
    EXPIRING = "expiring", "Expires within 90 days"
    EXPIRED = "expired", "Expired"
    NEVER = "never", "Never trained"
    NOT_REQUIRED = "not_required", "Not required"


COUNTED = (Status.CURRENT, Status.EXPIRING, Status.EXPIRED, Status.NEVER)


# --- The rule: from a person's completions to the day their currency lapses -----------------


def anchor_of(requirement: Requirement, course_ids: set[int], done) -> date | None:
    """The latest day D such that the completions on or after D meet the requirement."""
    mine = [(course, day, hours) for course, day, hours in done if course in course_ids]
    if requirement.measure == Requirement.Measure.HOURS:
        total = Decimal(0)
        for _, day, hours in sorted(mine, key=lambda row: row[1], reverse=True):
            total += hours
            if total >= requirement.hours:
                return day
        return None
    last: dict[int, date] = {}
    for course, day, _ in mine:
        last[course] = max(day, last.get(course, day))
    if requirement.measure == Requirement.Measure.ALL:
        return min(last.values()) if course_ids and len(last) == len(course_ids) else None
    return max(last.values(), default=None)


def lapse_day(anchor: date, window_months: int) -> date:
    """The first day on which a completion of `anchor` has left the rolling window.

    A completion counts on day T while it is after the same day `window_months` earlier; month
    ends make that a few days' search rather than a single `add_months`.
    """
    day = add_months(anchor, window_months) - timedelta(days=4)
    while add_months(day, -window_months) < anchor:
        day += timedelta(days=1)
    return day


def status_on(lapses_on: date | None, today: date) -> Status:
    """The status of a person who has trained on the requirement (who has a Currency row)."""
    if lapses_on is None or lapses_on <= today:
        return Status.EXPIRED
    if lapses_on <= today + timedelta(days=EXPIRING_DAYS):
        return Status.EXPIRING
    return Status.CURRENT


# --- Keeping the stored dates -------------------------------------------------------------


def refresh(
    agency: Agency,
    *,
    people: Iterable | None = None,
    courses: Iterable | None = None,
    requirements: Iterable[Requirement] | None = None,
) -> None:
    """Store again the currency of `people` (default: all of the agency's) on `requirements`
    (default: those of the agency that count any of `courses`, or all). Call it inside the
    transaction that changed their completions or the requirement."""
    requirements = list(requirements) if requirements is not None else for_agency(agency)
    if courses is not None:
        changed = {getattr(c, "pk", c) for c in courses}
        requirements = [r for r in requirements if changed & _course_ids(r)]
    if not requirements:
        return
    person_ids = None if people is None else {getattr(p, "pk", p) for p in people}
    done = Completion.objects.filter(
        person__agency=agency, course__in=set().union(*map(_course_ids, requirements))
    ).order_by()
    stale = Currency.objects.filter(requirement__in=requirements)
    if person_ids is not None:
        done, stale = done.filter(person__in=person_ids), stale.filter(person__in=person_ids)
    by_person = defaultdict(list)
    for person_id, *row in done.values_list("person_id", "course_id", "completed_on", "hours"):
        by_person[person_id].append(row)
    stale.delete()
    fresh = []
    for requirement in requirements:
        course_ids = _course_ids(requirement)
        for person_id, rows in by_person.items():
            if any(course in course_ids for course, _, _ in rows):
                anchor = anchor_of(requirement, course_ids, rows)
                lapses_on = anchor and lapse_day(anchor, requirement.window_months)
                fresh.append(
                    Currency(requirement=requirement, person_id=person_id, lapses_on=lapses_on)
                )
    Currency.objects.bulk_create(fresh, batch_size=2000)


def _course_ids(requirement: Requirement) -> set[int]:
    return {c.pk for c in requirement.courses.all()}


# --- Reading them ------------------------------------------------------------------------


def for_agency(agency) -> list[Requirement]:
    """The agency's requirements with what the currency rules read."""
    return list(
        Requirement.objects.filter(agency=agency)
        .select_related("role", "agency")
        .prefetch_related("courses")
    )


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
    lapses_on: date | None = None

    @property
    def expires_on(self) -> date | None:
        """The day the person's currency lapses, while it has not."""
        return self.lapses_on if self.status in (Status.CURRENT, Status.EXPIRING) else None


def rows(people, requirements, today: date) -> list[tuple[Person, list[Cell]]]:
    """Matrix rows for a page of people: each person's cell on each requirement.

    Three queries: the people, their roles and their stored currency, whatever the page.
    """
    people = list(people.prefetch_related("roles"))
    stored = Currency.objects.filter(
        person__in=[p.pk for p in people], requirement__in=[r.pk for r in requirements]
    ).values_list("person_id", "requirement_id", "lapses_on")
    lapses = {(person, requirement): day for person, requirement, day in stored}
    result = []
    for person in people:
        cells = []
        for requirement in requirements:
            key = (person.pk, requirement.pk)
            if not applies_to(requirement, person):
                cells.append(Cell(requirement, Status.NOT_REQUIRED))
            elif key not in lapses:
                cells.append(Cell(requirement, Status.NEVER))
            else:
                cells.append(Cell(requirement, status_on(lapses[key], today), lapses[key]))
        result.append((person, cells))
    return result


def _stored(requirement: Requirement) -> models.QuerySet:
    return Currency.objects.filter(requirement=requirement, person=OuterRef("pk"))


def with_status(people, requirement: Requirement, status: str, today: date):
    """The people covered by the requirement who have this status, as one query."""
    later = today + timedelta(days=EXPIRING_DAYS)
    stored = _stored(requirement)
    wanted = {
        Status.CURRENT: Exists(stored.filter(lapses_on__gt=later)),
        Status.EXPIRING: Exists(stored.filter(lapses_on__gt=today, lapses_on__lte=later)),
        Status.EXPIRED: Exists(stored.filter(Q(lapses_on__isnull=True) | Q(lapses_on__lte=today))),
        Status.NEVER: ~Exists(stored),
    }[status]
    return people.filter(requirement.covers()).filter(wanted)


def statuses(requirement: Requirement, today: date) -> dict[int, Status]:
    """Every covered person's status on the requirement: two queries."""
    stored = dict(
        Currency.objects.filter(requirement=requirement).values_list("person_id", "lapses_on")
    )
    return {
        pk: status_on(stored[pk], today) if pk in stored else Status.NEVER
        for pk in requirement.people().values_list("pk", flat=True)
    }


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


def summaries(requirements, today: date) -> list[Summary]:
    """Per requirement, how many of the people it covers are current, expiring, expired, never.

    Two queries for all the requirements: the people each covers, and their stored currency
    counted by the database.
    """
    requirements = list(requirements)
    if not requirements:
        return []
    agency_id = requirements[0].agency_id
    covered = Person.objects.filter(agency_id=agency_id).aggregate(
        **{str(r.pk): Count("pk", filter=r.covers()) for r in requirements}
    )
    later = today + timedelta(days=EXPIRING_DAYS)
    counted = (
        Currency.objects.filter(
            reduce(operator.or_, (Q(requirement=r.pk) & r.covers("person__") for r in requirements))
        )
        .order_by()
        .values("requirement_id")
        .annotate(
            ever=Count("pk"),
            now=Count("pk", filter=Q(lapses_on__gt=today)),
            later=Count("pk", filter=Q(lapses_on__gt=later)),
        )
    )
    found = {row["requirement_id"]: row for row in counted}
    result = []
    for requirement in requirements:
        row = found.get(requirement.pk, {"ever": 0, "now": 0, "later": 0})
        result.append(Summary(requirement, {
            Status.CURRENT: row["later"],
            Status.EXPIRING: row["now"] - row["later"],
            Status.EXPIRED: row["ever"] - row["now"],
            Status.NEVER: covered[str(requirement.pk)] - row["ever"],
        }))  # fmt: skip
    return result


def summary_of(requirement: Requirement, today: date) -> Summary:
    return summaries([requirement], today)[0]
