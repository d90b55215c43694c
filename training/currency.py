"""Who is current on what: each requirement's status for each person, computed by the database.

A person is *current* on a requirement when their completions inside its rolling window meet it
(any one of its courses, every one of them, or enough hours from them). They are *expiring* when
current today but no longer current in 90 days without more training, *expired* when they were
trained on it once but are not current, and *never* trained when they have no completion of its
courses at all. Every figure comes from one query per page of people, whatever their number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import models
from django.db.models import Count, DecimalField, Max, Q, Sum, Value
from django.db.models.functions import Coalesce

from training.models import Person, PersonQuerySet, Requirement, add_months

EXPIRING_DAYS = 90


class Status(models.TextChoices):
    CURRENT = "current", "Current"
    EXPIRING = "expiring", "Expires within 90 days"
    EXPIRED = "expired", "Expired"
    NEVER = "never", "Never trained"
    NOT_REQUIRED = "not_required", "Not required"


def _windows(requirement: Requirement, today: date) -> tuple[date, date]:
    """The first day counted today, and the first day still counted in 90 days."""
    later = today + timedelta(days=EXPIRING_DAYS)
    return (
        add_months(today, -requirement.window_months) + timedelta(days=1),
        add_months(later, -requirement.window_months) + timedelta(days=1),
    )


def _in(course_ids, since: date, today: date) -> Q:
    return Q(
        completions__course__in=course_ids,
        completions__completed_on__gte=since,
        completions__completed_on__lte=today,
    )


def annotations(requirement: Requirement, today: date) -> dict:
    """The aggregates (over a person's completions) that decide one requirement's status."""
    course_ids = [c.pk for c in requirement.courses.all()]
    now, later = _windows(requirement, today)
    key = f"r{requirement.pk}"
    result = {
        f"{key}_ever": Count("completions", filter=Q(completions__course__in=course_ids)),
        f"{key}_last": Max(
            "completions__completed_on", filter=Q(completions__course__in=course_ids)
        ),
    }
    if requirement.measure == Requirement.Measure.HOURS:
        for when, since in (("now", now), ("later", later)):
            result[f"{key}_{when}"] = Coalesce(
                Sum("completions__hours", filter=_in(course_ids, since, today)),
                Value(Decimal(0)),
                output_field=DecimalField(max_digits=12, decimal_places=2),
            )
    elif requirement.measure == Requirement.Measure.ALL:
        for course_id in course_ids:
            result[f"{key}_c{course_id}_now"] = Count(
                "completions", filter=_in([course_id], now, today)
            )
            result[f"{key}_c{course_id}_later"] = Count(
                "completions", filter=_in([course_id], later, today)
            )
    else:
        result[f"{key}_now"] = Count("completions", filter=_in(course_ids, now, today))
        result[f"{key}_later"] = Count("completions", filter=_in(course_ids, later, today))
    return result


def _meets(requirement: Requirement, row, when: str) -> bool:
    key = f"r{requirement.pk}"
    if requirement.measure == Requirement.Measure.HOURS:
        return getattr(row, f"{key}_{when}") >= requirement.hours
    if requirement.measure == Requirement.Measure.ALL:
        courses = requirement.courses.all()
        return bool(courses) and all(getattr(row, f"{key}_c{c.pk}_{when}") for c in courses)
    return getattr(row, f"{key}_{when}") > 0


def status_of(requirement: Requirement, row) -> Status:
    """One person's status on one requirement, from a row carrying `annotations(...)`."""
    if not getattr(row, f"r{requirement.pk}_ever"):
        return Status.NEVER
    if not _meets(requirement, row, "now"):
        return Status.EXPIRED
    return Status.CURRENT if _meets(requirement, row, "later") else Status.EXPIRING


def applies_to(requirement: Requirement, person: Person) -> bool:
    """Whether the requirement covers this person (their roles prefetched)."""
    if person.status != Person.Status.ACTIVE or (requirement.sworn_only and not person.sworn):
        return False
    if requirement.unit and person.unit.casefold() != requirement.unit.casefold():
        return False
    return not requirement.role_id or any(r.pk == requirement.role_id for r in person.roles.all())


def with_currency(people: PersonQuerySet, requirements, today: date) -> PersonQuerySet:
    """`people` annotated for every requirement (one query, with their roles prefetched)."""
    result = {}
    for requirement in requirements:
        result |= annotations(requirement, today)
    return people.annotate(**result).prefetch_related("roles")


@dataclass
class Cell:
    requirement: Requirement
    status: Status
    last: date | None = None

    @property
    def expires_on(self) -> date | None:
        if self.last is None or self.requirement.measure == Requirement.Measure.HOURS:
            return None
        return add_months(self.last, self.requirement.window_months)


def cells(person, requirements) -> list[Cell]:
    """A matrix row: the person's status on each requirement, from `with_currency`."""
    row = []
    for requirement in requirements:
        if not applies_to(requirement, person):
            row.append(Cell(requirement, Status.NOT_REQUIRED))
            continue
        last = getattr(person, f"r{requirement.pk}_last")
        row.append(Cell(requirement, status_of(requirement, person), last))
    return row


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

    One query per requirement, over the people it covers.
    """
    result = []
    for requirement in requirements:
        summary = Summary(
            requirement,
            dict.fromkeys((Status.CURRENT, Status.EXPIRING, Status.EXPIRED, Status.NEVER), 0),
        )
        rows = requirement.people().annotate(**annotations(requirement, today))
        for row in rows.only("pk"):
            summary.counts[status_of(requirement, row)] += 1
        result.append(summary)
    return result


def people_current(requirement: Requirement, today: date) -> int:
    return summaries([requirement], today)[0].current


def for_agency(agency) -> list[Requirement]:
    """The agency's requirements with what `annotations` and `applies_to` read."""
    return list(
        Requirement.objects.filter(agency=agency)
        .select_related("role", "agency")
        .prefetch_related("courses")
    )


def _meets_q(requirement: Requirement, when: str) -> Q:
    key = f"r{requirement.pk}"
    if requirement.measure == Requirement.Measure.HOURS:
        return Q(**{f"{key}_{when}__gte": requirement.hours})
    if requirement.measure == Requirement.Measure.ALL:
        q = Q()
        for course in requirement.courses.all():
            q &= Q(**{f"{key}_c{course.pk}_{when}__gt": 0})
        return q
    return Q(**{f"{key}_{when}__gt": 0})


def filter_status(people: PersonQuerySet, requirement: Requirement, status: str) -> PersonQuerySet:
    """The people (annotated by `with_currency`) covered by the requirement with this status."""
    people = people.filter(pk__in=requirement.people().values("pk"))
    ever = Q(**{f"r{requirement.pk}_ever__gt": 0})
    now, later = _meets_q(requirement, "now"), _meets_q(requirement, "later")
    condition = {
        Status.NEVER: ~ever,
        Status.EXPIRED: ever & ~now,
        Status.EXPIRING: now & ~later,
        Status.CURRENT: now & later,
    }[status]
    return people.filter(condition)
