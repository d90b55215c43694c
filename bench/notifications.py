"""One run of `send_notifications` for 50 agencies of 40 people with realistic due items.

In a scratch database (SQLite, or with DATABASE_URL a fresh one beside it: bench/scratch.py):
each agency has a lead and 39 members and 16 schools, each person with two or three open items
due this week or overdue. It counts the queries of a run at 25 and at 50 agencies (queuing the
digests must cost the same; sending costs the same per batch of emails), and times the whole run
(CPU time) against two baselines measured in the same process on the same digests: rendering
their templates alone, with the context the run gives them, and building the MIME messages
alone, which Python's email package does for every mail backend before anything is sent.
Run with `make bench`.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, date, datetime, timedelta

import scratch

SCRATCH = scratch.setup("notifications")

from django.conf import settings  # noqa: E402
from django.core import mail  # noqa: E402
from django.core.mail import EmailMultiAlternatives  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from accounts.models import Agency, Membership, School, User  # noqa: E402
from checklists.assessments.services import assessment_start  # noqa: E402
from checklists.models import CatalogVersion, Response  # noqa: E402
from notifications import delivery, digest  # noqa: E402
from notifications.emails import message_build  # noqa: E402
from notifications.models import Kind, Message  # noqa: E402

PEOPLE, SCHOOLS, SIZES = 40, 16, (25, 50)
MORNING = datetime(2026, 12, 2, 12, 30, tzinfo=UTC)  # 07:30 Eastern


def build(first: int, count: int) -> None:
    version = CatalogVersion.objects.latest("number")
    for n in range(first, first + count):
        with transaction.atomic():
            agency = Agency.objects.create(name=f"Bench Agency {n}", slug=f"bench-{n}")
            users = User.objects.bulk_create(
                User(email=f"p{i}@bench-{n}.example", full_name=f"Person {i} of {n}")
                for i in range(PEOPLE)
            )
            Membership.objects.bulk_create(
                Membership(user=u, agency=agency, access="lead" if i == 0 else "editor")
                for i, u in enumerate(users)
            )
            # The catalog has 21 agency items: schools' items give everyone two or three.
            School.objects.bulk_create(
                School(agency=agency, name=f"School {k:02}") for k in range(SCHOOLS)
            )
            assessment = assessment_start(
                agency=agency, catalog_version=version, title="2026",
                due_date=date(2026, 12, 20), by=users[0],
            )  # fmt: skip
            rows = list(assessment.responses.order_by("pk"))
            for i, row in enumerate(rows[: PEOPLE * 2 + PEOPLE // 2]):
                row.owner = users[i % PEOPLE]
                row.target_date = date(2026, 11, 28) + timedelta(days=i % 12)
            Response.objects.bulk_update(rows, ["owner", "target_date"])


def run(now: datetime) -> tuple[int, int, float, float, int]:
    """One run: queries queuing and sending, seconds queuing and in all, digests sent."""
    mail.outbox = []
    started = time.process_time()
    with CaptureQueriesContext(connection) as queuing:
        queued = digest.digests_queue(now=now)
    queued_in = time.process_time() - started
    with CaptureQueriesContext(connection) as sending:
        outcome = delivery.send_due(now=now)
    elapsed = time.process_time() - started
    if not outcome.sent == queued == len(mail.outbox):
        raise SystemExit(
            f"Sent {outcome.sent} of {queued} digests, {len(mail.outbox)} in the outbox"
        )
    return (
        len(queuing.captured_queries),
        len(sending.captured_queries),
        queued_in,
        elapsed,
        queued,
    )


def render_alone(now: datetime) -> tuple[float, str]:
    """The same digests' templates rendered with the same context (`now` is the run's, so the
    sections are the ones it sent), their contents read beforehand (not timed). CPU time."""
    memberships = list(
        Membership.objects.select_related("agency", "user")
        .prefetch_related("roles")
        .order_by("user_id", "pk")
    )
    sections = digest._sections(memberships, now)
    users = {m.user_id: m.user for m in memberships}
    started, message = time.process_time(), None
    for user_id, user_sections in sections.items():
        message = message_build(
            user=users[user_id], kind=Kind.DIGEST, key="bench", subject="Bench",
            template="notifications/email/digest",
            context={"sections": user_sections, "period": "daily"}, now=now,
        )  # fmt: skip
    return time.process_time() - started, message.text if message else ""


def mime_alone(sent: list[Message]) -> float:
    """The MIME messages of the digests sent, built alone (CPU time): what any mail backend
    asks of Django's EmailMessage before it sends, the same headers and both bodies."""
    started = time.process_time()
    for message in sent:
        email = EmailMultiAlternatives(
            subject=message.subject, body=message.text, to=[message.to],
            headers=delivery._list_headers(message),
        )  # fmt: skip
        email.attach_alternative(message.html, "text/html")
        email.message()
    return time.process_time() - started


def main() -> None:
    setup_test_environment()  # the locmem mail backend: the server's time, not SMTP's
    call_command("migrate", verbosity=0)
    call_command("load_catalog", verbosity=0)
    print(f"Notifications: {PEOPLE} people per agency, database {scratch.database_label()}")
    render_alone(MORNING)  # warm-up: the URL configuration and templates, loaded once a process
    figures, built = {}, 0
    for day, size in enumerate(SIZES):
        build(built, size - built)
        built = size
        Message.objects.all().delete()
        figures[size] = run(MORNING + timedelta(days=day))
    rendering, sample = render_alone(MORNING + timedelta(days=len(SIZES) - 1))
    building = mime_alone(list(Message.objects.filter(state=Message.State.SENT)))
    print(
        f"\n{'agencies':>8}{'people':>8}{'digests':>8}{'queries queuing':>17}"
        f"{'queries sending':>17}{'s queuing':>11}{'s in all':>10}"
    )
    for size, (queuing, sending, queued_in, seconds, sent) in figures.items():
        print(
            f"{size:>8}{size * PEOPLE:>8}{sent:>8}{queuing:>17}{sending:>17}"
            f"{queued_in:>11.2f}{seconds:>10.2f}"
        )
    _, _, queued_in, whole, sent = figures[SIZES[-1]]
    ratio = whole / rendering
    print(
        f"\nCPU time. Rendering the same {sent} digests' templates alone: {rendering:.2f} s; "
        f"building their MIME messages alone: {building:.2f} s. Queuing them (reading, "
        f"rendering, storing) takes {queued_in / rendering:.2f} times the rendering; the whole "
        f"run, with claiming, building and handing over each MIME message, {ratio:.2f} times "
        f"(target: at most 2), {whole / (rendering + building):.2f} times rendering and MIME "
        f"together. Sending goes in batches of {delivery.BATCH}."
    )
    constant = figures[SIZES[0]][0] == figures[SIZES[-1]][0]
    print("Queries queuing: " + ("the same at both sizes." if constant else "GROW with people."))
    print(f"\nOne plain-text digest as sent:\n\n{sample}")
    print(f"Scratch data in {SCRATCH}; MAILERS {settings.MAILERS['default']['BACKEND']}")
    sys.exit(0 if constant else 1)


if __name__ == "__main__":
    main()
