"""What training records put in the digest of the agency's training coordinators and leads:
completions expiring within 60 days and the people whose last completion of a course has lapsed.
Registered with notifications in TrainingConfig.ready(); one query for any number of agencies."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date, timedelta

from django.db.models import Max
from django.urls import reverse

from accounts.models import Membership
from notifications.registry import Line, Section
from training.models import Completion, Person, add_months
from training.rules import COORDINATOR_ROLE

EXPIRING_SOON_DAYS = 60


def _keeps_records(membership: Membership) -> bool:
    return membership.access == Membership.Access.LEAD or any(
        role.slug == COORDINATOR_ROLE for role in membership.roles.all()
    )


def expiring(
    memberships: list[Membership], today: dict[int, date]
) -> Iterator[tuple[int, Section]]:
    """For each lead and training coordinator: their agency's completions expiring within 60
    days, and how many active people have a course whose last completion has lapsed."""
    keepers = [m for m in memberships if _keeps_records(m)]
    if not keepers:
        return
    latest = (
        Completion.objects.filter(
            person__agency_id__in={m.agency_id for m in keepers},
            person__status=Person.Status.ACTIVE,
            course__valid_months__isnull=False,
        )
        .order_by()
        .values("person_id", "person__agency_id", "course__valid_months")
        .annotate(last=Max("completed_on"))
        .values_list("person_id", "person__agency_id", "course__valid_months", "last")
    )
    soon, lapsed = Counter(), defaultdict(set)
    for person_id, agency_id, months, last in latest:
        expires = add_months(last, months)
        if expires < today[agency_id]:
            lapsed[agency_id].add(person_id)
        elif expires <= today[agency_id] + timedelta(days=EXPIRING_SOON_DAYS):
            soon[agency_id] += 1
    for membership in keepers:
        agency = membership.agency
        lines = []
        matrix = reverse("training_matrix", kwargs={"slug": agency.slug})
        if count := soon[agency.pk]:
            lines.append(
                Line(f"{count} training completion{'s' if count != 1 else ''} "
                     f"expire{'' if count != 1 else 's'} within {EXPIRING_SOON_DAYS} days.", matrix)
            )  # fmt: skip
        if people := len(lapsed[agency.pk]):
            lines.append(
                Line(f"{people} {'people have' if people != 1 else 'person has'} a lapsed "
                     "course completion (out of currency).", matrix)
            )  # fmt: skip
        if lines:
            yield membership.user_id, Section(f"Training at {agency.name}", lines, order=30)
