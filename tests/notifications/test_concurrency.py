"""Three runs of the sender at the same instant send every email exactly once.

Real threads, each with its own database connection, committing for real, against a real SMTP
server. On PostgreSQL the runs claim with select_for_update(skip_locked=True); on SQLite the
conditional UPDATE of the claim keeps them apart.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from checklists.assessments.services import assessment_start, responses_assign
from notifications.delivery import send_due
from notifications.models import Message
from tests.factories import MembershipFactory
from tests.helpers import Inbox, no_errors, together

pytestmark = pytest.mark.django_db(transaction=True)

NIGHT = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)  # 03:00 Eastern: no digest is due


def test_three_runs_at_once_send_each_email_once(smtp, agency, catalog_version, lead):
    inbox = Inbox()
    smtp(inbox)
    # The assignments happen at NIGHT, not at the real time of the run, which may be later.
    with time_machine.travel(NIGHT, tick=False):
        assessment = assessment_start(
            agency=agency, catalog_version=catalog_version, title="2026", due_date=None, by=lead
        )
        people = [MembershipFactory(agency=agency, access="editor").user for _ in range(12)]
        rows = list(assessment.responses.filter(school=None).order_by("pk")[:12])
        for person, row in zip(people, rows, strict=True):
            responses_assign(
                assessment=assessment, responses=[row], owner=person, target_date=None, by=lead
            )

    outcomes = no_errors(together(3, lambda i: send_due(now=NIGHT)))

    assert sum(o.sent for o in outcomes) == 12
    assert sorted(e.rcpt_tos[0] for e in inbox.received) == sorted(p.email for p in people)
    assert Message.objects.filter(state=Message.State.SENT).count() == 12
