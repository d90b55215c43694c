"""Training in the digest: the agency's coordinators and leads read what lapses within 60 days
and how many people are out of currency; nobody else does, and the run's queries stay fixed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core import mail

from accounts.models import Membership, Role
from notifications.delivery import send_due
from tests.factories import AgencyFactory, MembershipFactory
from tests.helpers import completion, person
from training.models import add_months

pytestmark = pytest.mark.django_db
TODAY = date(2026, 12, 2)
MORNING = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)  # 07:00 in New York


def _agency(name: str, courses, *, soon: int, lapsed: int):
    agency = AgencyFactory(slug=name, name=f"{name.title()} PD", time_zone="America/New_York")
    lead = MembershipFactory(agency=agency, access="lead", user__email=f"lead@{name}.example")
    coordinator = MembershipFactory(
        agency=agency, access="editor", user__email=f"coord@{name}.example"
    )
    role, _ = Role.objects.get_or_create(
        slug="training-coordinator", defaults={"name": "Training coordinator"}
    )
    coordinator.roles.add(role)
    MembershipFactory(agency=agency, access="editor", user__email=f"editor@{name}.example")
    sord = courses["sord"]  # current for 36 months
    for n in range(soon):
        completion(person(agency, f"S{n}"), sord, add_months(TODAY, -36) + timedelta(days=20))
    for n in range(lapsed):
        completion(person(agency, f"L{n}"), sord, add_months(TODAY, -37))
    completion(person(agency, "C1"), sord, TODAY - timedelta(days=30))  # current: not listed
    return lead, coordinator


def digests() -> dict[str, str]:
    return {m.to[0]: m.body for m in mail.outbox if "digest" in m.subject}


def test_coordinators_and_leads_read_what_lapses_soon_and_who_is_out_of_currency(courses):
    with time_machine.travel(MORNING, tick=False):
        _agency("harbor", courses, soon=2, lapsed=1)
        send_due(now=MORNING)

    read = digests()
    for who in ("coord@harbor.example", "lead@harbor.example"):
        assert "Training at Harbor PD" in read[who]
        assert "2 training completions expire within 60 days." in read[who]
        assert "1 person has a lapsed course completion (out of currency)." in read[who]
    assert "Training at" not in read.get("editor@harbor.example", "")


def test_the_training_lines_cost_the_same_queries_for_one_agency_as_for_three(
    courses, count_queries
):
    with time_machine.travel(MORNING, tick=False):
        _agency("one", courses, soon=1, lapsed=1)
        one = count_queries(lambda: send_due(now=MORNING))
        mail.outbox.clear()
        for name in ("two", "three", "four"):
            _agency(name, courses, soon=2, lapsed=2)
        Membership.objects.filter(agency__slug="one").delete()
        three = count_queries(lambda: send_due(now=MORNING))

    assert len(digests()) == 6
    assert three == one
