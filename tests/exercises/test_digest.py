"""The improvement plan in the digest: the responsible person reads their corrective actions due
within a week or overdue, linked to each action; nobody else reads them."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core import mail

from notifications.delivery import send_due
from tests.factories import AgencyFactory, MembershipFactory
from tests.helpers import corrective_action, exercise, person

pytestmark = pytest.mark.django_db
MORNING = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)  # 07:00 in New York


def test_the_responsible_person_reads_their_actions_due_soon_or_overdue(catalog_version):
    with time_machine.travel(MORNING, tick=False):
        agency = AgencyFactory(slug="harbor", name="Harbor PD", time_zone="America/New_York")
        lead = MembershipFactory(agency=agency, access="lead", user__email="lead@harbor.example")
        sergeant = MembershipFactory(
            agency=agency, access="editor", user__email="sgt@harbor.example"
        )
        owner = person(agency, "2001", user=sergeant.user)
        drill = exercise(agency, lead.user, starts_on=date(2026, 10, 1), ends_on=date(2026, 10, 1))
        late = corrective_action(
            drill, lead.user, owner=owner, description="Radios on the school channel",
            due_on=date(2026, 11, 20),
        )  # fmt: skip
        soon = corrective_action(
            drill, lead.user, owner=owner, description="Map of Lincoln's doors",
            due_on=date(2026, 12, 6),
        )  # fmt: skip
        corrective_action(
            drill, lead.user, owner=owner, description="Next year's tabletop",
            due_on=date(2027, 3, 1),
        )  # fmt: skip
        send_due(now=MORNING)

    body = {m.to[0]: m.body for m in mail.outbox if "digest" in m.subject}["sgt@harbor.example"]
    assert "Your corrective actions due within 7 days or overdue" in body
    assert "Radios on the school channel (Arrival drill): overdue since Nov 20" in body
    assert "Map of Lincoln's doors (Arrival drill): due Dec 6" in body
    assert "Next year's tabletop" not in body
    assert late.get_absolute_url() in body
    assert soon.get_absolute_url() in body
    lead_digest = next((m.body for m in mail.outbox if m.to == ["lead@harbor.example"]), "")
    assert "Your corrective actions" not in lead_digest
