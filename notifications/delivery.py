"""The outbox: notifications grouped into emails, digests queued, queued emails sent.

Every email is a `Message` row before it is sent, unique per (person, kind, key), so a digest or
a notice is queued once however many runs overlap. Sending claims a batch of rows with a
conditional UPDATE (after `select_for_update(skip_locked=True)` on PostgreSQL), so two runs at
once never send the same row, and holds no lock while talking to the mail server. A server that
is down or answers "try later" leaves the message queued with a back-off; one that refuses the
address gives it up and marks the address undeliverable, which People shows.
"""

from __future__ import annotations

import smtplib
import uuid
from collections import defaultdict
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import User
from notifications import digest
from notifications.emails import message_build, unsubscribe_url
from notifications.models import Kind, Message, Notification, Preference

BATCH = 200
MAX_ATTEMPTS = 8
LEASE = timedelta(minutes=10)  # a run that died while sending: its claim lapses after this


@dataclass
class Outcome:
    queued: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0


def send_due(*, now: datetime | None = None) -> Outcome:
    """Everything due now: notices grouped into emails, digests at their hour, then the sending."""
    now = now or timezone.now()
    outcome = Outcome()
    outcome.queued = notices_queue(now=now) + digest.digests_queue(now=now)
    while batch := _claim(now):
        _send_batch(batch, now, outcome)
    return outcome


# Notices: what happened since the last run, one email per person and kind --------------------


@transaction.atomic
def notices_queue(*, now: datetime) -> int:
    """Group the notifications not yet emailed into one email per person and kind."""
    waiting = Notification.objects.to_email().filter(created_at__lte=now)
    if connection.features.has_select_for_update_skip_locked:
        waiting = waiting.select_for_update(skip_locked=True, of=("self",))
    rows = list(waiting.select_related("user", "agency").order_by("pk")[: BATCH * 5])
    if not rows:
        return 0
    preferences = _preferences({n.user_id for n in rows})
    groups = defaultdict(list)
    for notification in rows:
        groups[notification.user_id, notification.kind].append(notification)
    messages = [
        _notice_message(group, now)
        for (user_id, kind), group in groups.items()
        if _emails(preferences.get(user_id), kind) and group[0].user.is_active
    ]
    Message.objects.bulk_create(messages, ignore_conflicts=True)
    Notification.objects.filter(pk__in=[n.pk for n in rows]).update(emailed_at=now)
    return len(messages)


def _preferences(user_ids) -> dict[int, Preference]:
    return {p.user_id: p for p in Preference.objects.filter(user_id__in=user_ids)}


def _emails(preference: Preference | None, kind: str) -> bool:
    return preference is None or preference.emails(kind)


def _notice_message(group: list[Notification], now: datetime) -> Message:
    first, kind = group[0], Kind(group[0].kind)
    subject = first.title if len(group) == 1 else f"{len(group)} new: {kind.label.lower()}"
    return message_build(
        user=first.user,
        kind=kind,
        key=f"notices:{first.pk}",
        subject=f"Muster: {subject}",
        template="notifications/email/notices",
        context={"notifications": group},
        now=now,
    )


# Sending -------------------------------------------------------------------------------------


def _due(now: datetime):
    return Message.objects.filter(
        Q(state=Message.State.QUEUED) | Q(state=Message.State.SENDING), next_attempt_at__lte=now
    )


def _claim(now: datetime) -> list[Message]:
    """Take up to BATCH due messages for this run alone (a lapsed claim is taken again)."""
    claim = uuid.uuid4().hex
    with transaction.atomic():
        due = _due(now)
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        pks = list(due.order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:BATCH])
        # Conditional: a row another run claimed since we read it is not ours. (SQLite has no
        # row locks; there this UPDATE alone keeps two runs apart.)
        _due(now).filter(pk__in=pks).update(
            state=Message.State.SENDING, claim=claim, next_attempt_at=now + LEASE
        )
    return list(Message.objects.filter(claim=claim, state=Message.State.SENDING).order_by("pk"))


def _send_batch(batch: list[Message], now: datetime, outcome: Outcome) -> None:
    server = mail.mailers.default
    bounced: dict[int, str] = {}
    try:
        for message in batch:
            error = _send_one(server, message)
            _settle(message, error, now, outcome)
            if message.state == Message.State.FAILED and _refused(error):
                bounced[message.user_id] = message.last_error
    finally:
        with suppress(OSError, smtplib.SMTPException):
            server.close()
    # The usual case in one UPDATE; only the failures are written row by row.
    sent = [m.pk for m in batch if m.state == Message.State.SENT]
    Message.objects.filter(pk__in=sent).update(
        state=Message.State.SENT, sent_at=now, attempts=F("attempts") + 1, claim="", last_error=""
    )
    failed = [m for m in batch if m.state != Message.State.SENT]
    fields = ["state", "attempts", "next_attempt_at", "claim", "last_error"]
    Message.objects.bulk_update(failed, fields)
    for user_id, reason in bounced.items():
        User.objects.filter(pk=user_id).update(
            email_undeliverable_at=now, email_undeliverable_reason=reason[:300]
        )
    # An address that takes mail again is no longer shown as bouncing.
    delivered = {m.user_id for m in batch if m.state == Message.State.SENT}
    User.objects.filter(pk__in=delivered, email_undeliverable_at__isnull=False).update(
        email_undeliverable_at=None, email_undeliverable_reason=""
    )


def _send_one(server, message: Message) -> Exception | None:
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.text,
        to=[message.to],
        headers=_list_headers(message),
    )
    if message.html:
        email.attach_alternative(message.html, "text/html")
    try:
        # Opened here, not by send_messages, which would close what it opened after each
        # message: one connection serves the batch (and a fresh one follows a failure).
        server.open()
        server.send_messages([email])
    except (OSError, smtplib.SMTPException) as error:
        if not isinstance(error, smtplib.SMTPRecipientsRefused):
            with suppress(OSError, smtplib.SMTPException):
                server.close()  # the next message opens a fresh connection
        return error
    return None


def _list_headers(message: Message) -> dict[str, str]:
    """One-click unsubscribe (RFC 8058): mail clients show a button that POSTs to the link."""
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(message.user_id, message.kind)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def _refused(error: Exception | None) -> bool:
    """The server refused the address for good (a 5xx answer to RCPT TO)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    return False


def _settle(message: Message, error: Exception | None, now: datetime, outcome: Outcome) -> None:
    message.claim = ""
    message.attempts += 1
    if error is None:
        message.state, message.sent_at, message.last_error = Message.State.SENT, now, ""
        outcome.sent += 1
        return
    message.last_error = f"{type(error).__name__}: {error}"[:500]
    if _refused(error) or message.attempts >= MAX_ATTEMPTS:
        message.state = Message.State.FAILED
        outcome.failed += 1
        return
    # Back-off: 1, 2, 4, 8 ... minutes, at most six hours.
    delay = timedelta(minutes=min(2 ** (message.attempts - 1), 360))
    message.state, message.next_attempt_at = Message.State.QUEUED, now + delay
    outcome.retried += 1
