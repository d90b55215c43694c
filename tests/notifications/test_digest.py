"""Digests: at each person's morning hour in their agency's own time zone, once, never empty."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core import mail

from accounts.models import Membership
from checklists.assessments.services import assessment_start, responses_assign
from notifications.delivery import send_due
from notifications.models import Kind, Message
from notifications.services import preference_update
from tests.factories import AgencyFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def at(*when) -> datetime:
    return datetime(*when, tzinfo=UTC)


@pytest.fixture
def two_coasts(catalog_version):
    """An agency in Pacific and one in Eastern time, each with a coordinator who has an item due
    on Dec 5 and a lead; the assessments are due Dec 20. Made at 04:00 Eastern on Dec 2."""
    with time_machine.travel(at(2026, 12, 2, 9, 0), tick=False):
        return _two_coasts(catalog_version)


def _two_coasts(catalog_version):
    people = {}
    for zone, name in [("America/Los_Angeles", "pacific"), ("America/New_York", "eastern")]:
        agency = AgencyFactory(slug=name, name=f"{name.title()} PD", time_zone=zone)
        lead = MembershipFactory(
            agency=agency, access="lead", user__email=f"lead@{name}.example"
        ).user
        coordinator = MembershipFactory(
            agency=agency, access="editor", user__email=f"coord@{name}.example"
        ).user
        assessment = assessment_start(
            agency=agency, catalog_version=catalog_version, title="2026",
            due_date=date(2026, 12, 20), by=lead,
        )  # fmt: skip
        rows = assessment.responses.filter(item__code__in=["LER-01", "LER-02"])
        responses_assign(
            assessment=assessment, responses=rows, owner=coordinator,
            target_date=date(2026, 12, 5), by=lead,
        )  # fmt: skip
        people[name] = (lead, coordinator)
    send_due()  # the assignment notices, out of the way
    mail.outbox.clear()
    return people


def digests_to(address: str) -> list:
    return [m for m in mail.outbox if "digest" in m.subject and m.to == [address]]


def digests() -> dict[str, str]:
    return {m.to[0]: m.body for m in mail.outbox if "digest" in m.subject}


def test_each_coast_gets_its_digest_at_seven_in_the_morning_there(two_coasts):
    send_due(now=at(2026, 12, 2, 11, 59))  # 06:59 Eastern
    assert digests() == {}

    send_due(now=at(2026, 12, 2, 12, 0))  # 07:00 Eastern, 04:00 Pacific
    assert set(digests()) == {"coord@eastern.example", "lead@eastern.example"}

    mail.outbox.clear()
    send_due(now=at(2026, 12, 2, 15, 0))  # 07:00 Pacific
    assert set(digests()) == {"coord@pacific.example", "lead@pacific.example"}


def test_a_digest_lists_the_items_due_within_a_week_and_is_sent_once(two_coasts):
    send_due(now=at(2026, 12, 2, 12, 0))
    send_due(now=at(2026, 12, 2, 12, 1))
    with time_machine.travel(at(2026, 12, 2, 15, 30)):  # 10:30 Eastern, still the morning
        send_due()

    body = digests()["coord@eastern.example"]
    assert len(digests_to("coord@eastern.example")) == 1
    assert "Your items due within 7 days or overdue" in body
    assert "LER-01" in body
    assert "LER-02" in body
    assert "due Dec 5" in body
    assert "Unsubscribe from the digest: http://127.0.0.1:8000/notifications/unsubscribe/" in body


def test_a_lead_reads_the_overdue_count_and_the_assessment_due_date(two_coasts):
    send_due(now=at(2026, 12, 7, 12, 0))  # the items were due Dec 5

    body = digests()["lead@eastern.example"]
    assert "Eastern PD at a glance" in body
    assert "2 items are overdue." in body
    assert "2026 is due Dec 20 (13 days)." in body
    assert "overdue since Dec 5" in digests()["coord@eastern.example"]


def test_an_empty_digest_is_not_sent(two_coasts, catalog_version):
    viewer = MembershipFactory(
        agency=Membership.objects.filter(user__email="lead@eastern.example").get().agency,
        access="viewer", user__email="viewer@eastern.example",
    ).user  # fmt: skip

    send_due(now=at(2026, 12, 2, 12, 0))

    assert "viewer@eastern.example" not in digests()
    logged = Message.objects.get(user=viewer, kind=Kind.DIGEST)
    assert logged.state == Message.State.SKIPPED
    assert logged.key == "daily:2026-12-02"


def test_a_weekly_digest_comes_on_monday_and_once_a_week(two_coasts):
    _, coordinator = two_coasts["eastern"]
    preference_update(user=coordinator, digest="weekly", digest_hour=8, muted=[])

    send_due(now=at(2026, 11, 30, 12, 0))  # Monday 07:00: before the chosen 08:00
    assert "coord@eastern.example" not in digests()
    send_due(now=at(2026, 11, 30, 13, 0))  # Monday 08:00
    send_due(now=at(2026, 12, 1, 13, 0))  # Tuesday
    send_due(now=at(2026, 12, 2, 13, 0))  # Wednesday

    sent = digests_to("coord@eastern.example")
    assert len(sent) == 1
    assert "weekly digest" in sent[0].subject


def test_a_digest_missed_in_the_morning_is_not_sent_at_night(two_coasts):
    send_due(now=at(2026, 12, 3, 0, 0))  # 19:00 Eastern, 16:00 Pacific

    assert digests() == {}


def test_no_digest_for_someone_who_chose_never(two_coasts):
    _, coordinator = two_coasts["eastern"]
    preference_update(user=coordinator, digest="never", digest_hour=7, muted=[])

    send_due(now=at(2026, 12, 2, 12, 0))

    assert "coord@eastern.example" not in digests()


def test_the_queries_of_a_run_do_not_grow_with_the_number_of_people(catalog_version, count_queries):
    def agency_of(size: int, slug: str) -> None:
        agency = AgencyFactory(slug=slug, time_zone="America/New_York")
        lead = MembershipFactory(agency=agency, access="lead").user
        assessment = assessment_start(
            agency=agency, catalog_version=catalog_version, title="2026",
            due_date=date(2026, 12, 20), by=lead,
        )  # fmt: skip
        people = [MembershipFactory(agency=agency, access="editor").user for _ in range(size)]
        rows = list(assessment.responses.filter(school=None).order_by("pk")[: size * 2])
        for i, person in enumerate(people):
            responses_assign(
                assessment=assessment, responses=rows[2 * i : 2 * i + 2], owner=person,
                target_date=date(2026, 12, 4), by=lead,
            )  # fmt: skip

    # Each agency is made before its run's morning, whatever the real time of the test.
    with time_machine.travel(at(2026, 12, 2, 9, 0), tick=False):
        agency_of(3, "small")
    small = count_queries(lambda: send_due(now=at(2026, 12, 2, 12, 0)))
    Message.objects.all().delete()
    with time_machine.travel(at(2026, 12, 3, 9, 0), tick=False):
        agency_of(12, "large")
    large = count_queries(lambda: send_due(now=at(2026, 12, 3, 12, 0)))

    assert large == small
