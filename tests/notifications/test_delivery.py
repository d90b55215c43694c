"""Email delivery: notices grouped per person and kind, sent once, through a real SMTP server
on 127.0.0.1 (aiosmtpd) where delivery itself is under test: one that accepts, one that refuses
the address, one that answers "try later", one that is not there and one that goes away."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from checklists.assessments.services import responses_assign
from notifications.delivery import send_due
from notifications.models import Kind, Message
from notifications.services import preference_update
from tests.factories import MembershipFactory
from tests.helpers import Inbox, free_port, point_mail_at

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _before_the_morning_digests():
    """03:00 in Eastern time, the agencies' zone: no digest is due, only the notices."""
    with time_machine.travel(datetime(2026, 12, 2, 8, 0, tzinfo=UTC), tick=True):
        yield


def assign(assessment, lead, owner, count=1):
    rows = list(assessment.responses.filter(school=None).order_by("pk")[:count])
    responses_assign(assessment=assessment, responses=rows, owner=owner, target_date=None, by=lead)
    return rows


def test_three_assignments_make_one_email_with_every_item(assessment, lead, editor):
    rows = assign(assessment, lead, editor, count=3)

    outcome = send_due()

    assert outcome.sent == 1
    (email,) = mail.outbox
    assert email.to == ["editor@harbor.example"]
    assert email.subject == "Muster: 3 new: items assigned to you"
    for row in rows:
        assert f"http://127.0.0.1:8000{row.get_absolute_url()}" in email.body
    html, mimetype = email.alternatives[0]
    assert mimetype == "text/html"
    assert rows[0].item.code in html


def test_an_email_carries_one_click_unsubscribe_headers_that_work(client, assessment, lead, editor):
    assign(assessment, lead, editor)
    send_due()
    (email,) = mail.outbox

    link = email.extra_headers["List-Unsubscribe"].strip("<>")
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # What a mail client does for the button: POST, no cookie, no CSRF token.
    response = client.post(
        link.removeprefix("http://127.0.0.1:8000"), {"List-Unsubscribe": "One-Click"}
    )

    assert response.status_code == 200
    assign(assessment, lead, editor, count=2)
    mail.outbox.clear()
    send_due()
    assert mail.outbox == []  # switched off by email; the bell still has them
    assert editor.notifications.count() == 2


def test_running_again_and_again_sends_nothing_twice(assessment, lead, editor):
    assign(assessment, lead, editor)
    for _ in range(3):
        call_command("send_notifications")

    assert len(mail.outbox) == 1


def test_a_muted_kind_is_not_emailed_but_others_are(assessment, lead, editor, complete_assessment):
    preference_update(user=lead, digest="never", digest_hour=7, muted=[Kind.SUBMITTED])
    from checklists.signoff.services import assessment_submit

    assessment_submit(assessment=complete_assessment, by=editor)
    send_due()

    assert mail.outbox == []
    assert lead.notifications.get().kind == Kind.SUBMITTED


# A real SMTP server ----------------------------------------------------------------------------


def test_mail_goes_through_a_real_smtp_server(smtp, assessment, lead, editor):
    inbox = Inbox()
    smtp(inbox)
    assign(assessment, lead, editor)

    assert send_due().sent == 1
    (envelope,) = inbox.received
    assert envelope.rcpt_tos == ["editor@harbor.example"]
    assert b"List-Unsubscribe-Post: List-Unsubscribe=One-Click" in envelope.original_content
    assert Message.objects.get().state == Message.State.SENT


def test_a_batch_of_mail_goes_over_one_smtp_connection(smtp, assessment, agency, lead):
    class Sessions(Inbox):
        async def handle_DATA(self, server, session, envelope):
            self.sessions.add(id(session))
            return await super().handle_DATA(server, session, envelope)

    inbox = Sessions()
    inbox.sessions = set()
    smtp(inbox)
    for n in range(3):
        person = MembershipFactory(agency=agency, access="editor").user
        assign(assessment, lead, person, count=n + 1)

    assert send_due().sent == 3
    assert len(inbox.received) == 3
    assert len(inbox.sessions) == 1


def test_a_server_that_is_down_leaves_the_mail_queued_then_sends_it_once(
    settings, smtp, assessment, lead, editor
):
    port = free_port()  # nothing listens there
    point_mail_at(settings, port)
    assign(assessment, lead, editor)
    now = timezone.now()

    outcome = send_due(now=now)

    message = Message.objects.get()
    assert (outcome.sent, outcome.retried) == (0, 1)
    assert message.state == Message.State.QUEUED
    assert message.attempts == 1
    assert message.next_attempt_at == now + timedelta(minutes=1)
    assert "ConnectionRefusedError" in message.last_error
    assert send_due(now=now + timedelta(seconds=30)).retried == 0  # backing off

    inbox = Inbox()
    smtp(inbox, port=port)
    assert send_due(now=now + timedelta(minutes=2)).sent == 1
    assert send_due(now=now + timedelta(minutes=10)).sent == 0
    assert len(inbox.received) == 1


def test_try_later_backs_off_longer_each_time(smtp, assessment, lead, editor):
    smtp(Inbox(data="451 4.3.0 Try again later"))
    assign(assessment, lead, editor)
    now = timezone.now()

    delays = []
    for _ in range(3):
        send_due(now=now)
        message = Message.objects.get()
        delays.append(message.next_attempt_at - now)
        now = message.next_attempt_at

    assert delays == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4)]
    assert message.state == Message.State.QUEUED


def test_a_refused_address_is_given_up_and_shown_in_people(
    client_for, smtp, agency, assessment, lead, editor
):
    smtp(Inbox(rcpt="550 5.1.1 No such mailbox"))
    assign(assessment, lead, editor)

    outcome = send_due()

    assert outcome.failed == 1
    assert Message.objects.get().state == Message.State.FAILED
    page = client_for(lead).get(f"/agencies/{agency.slug}/people/")
    assert "Email bouncing" in page.content.decode()
    assert "No such mailbox" in page.content.decode()


def test_a_server_that_goes_away_mid_run_loses_nothing_and_sends_nothing_twice(
    settings, smtp, agency, catalog_version, lead
):
    from checklists.assessments.services import assessment_start

    assessment = assessment_start(
        agency=agency, catalog_version=catalog_version, title="2027", due_date=None, by=lead
    )
    people = [MembershipFactory(agency=agency, access="editor").user for _ in range(4)]
    for person in people:
        assign(assessment, lead, person)

    class GoesAway(Inbox):
        async def handle_DATA(self, server, session, envelope):
            if self.received:
                return "421 4.3.2 Shutting down"
            self.received.append(envelope)
            return "250 OK"

    first = GoesAway()
    controller = smtp(first)
    now = timezone.now()
    outcome = send_due(now=now)
    assert (outcome.sent, outcome.retried) == (1, 3)
    controller.stop()

    back = Inbox()
    smtp(back, port=controller.port)
    assert send_due(now=now + timedelta(minutes=5)).sent == 3

    got = sorted(e.rcpt_tos[0] for e in first.received + back.received)
    assert got == sorted(p.email for p in people)


def test_an_address_that_takes_mail_again_is_no_longer_shown_as_bouncing(
    smtp, assessment, lead, editor
):
    controller = smtp(Inbox(rcpt="550 5.1.1 No such mailbox"))
    assign(assessment, lead, editor)
    send_due()
    editor.refresh_from_db()
    assert editor.email_undeliverable_at is not None
    controller.stop()

    smtp(Inbox(), port=controller.port)
    assign(assessment, lead, editor, count=2)
    assert send_due().sent == 1

    editor.refresh_from_db()
    assert editor.email_undeliverable_at is None
