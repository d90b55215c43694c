"""One run of `send_notifications` for 50 agencies of 40 people with realistic due items.

In a scratch database (SQLite, or with DATABASE_URL a fresh one beside it: bench/scratch.py):
each agency has a lead and 39 members, each with two or three open items due this week or
overdue. It counts the queries of a run at 25 and at 50 agencies (queuing the digests must cost
the same; sending costs the same per batch of emails), and times the whole run against
rendering the same digests' templates alone, in the same process. Run with `make bench`.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, date, datetime, timedelta

import scratch

SCRATCH = scratch.setup("notifications")

from django.conf import settings  # noqa: E402
from django.core import mail  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from accounts.models import Agency, Membership, User  # noqa: E402
from checklists.assessments.services import assessment_start  # noqa: E402
from checklists.models import CatalogVersion, Response  # noqa: E402
from notifications import delivery, digest  # noqa: E402
from notifications.emails import message_build  # noqa: E402
from notifications.models import Kind, Message  # noqa: E402

PEOPLE, SIZES = 40, (25, 50)
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
            assessment = assessment_start(
                agency=agency, catalog_version=version, title="2026",
                due_date=date(2026, 12, 20), by=users[0],
            )  # fmt: skip
            rows = list(assessment.responses.filter(school=None).order_by("pk"))
            for i, row in enumerate(rows[: PEOPLE * 2 + PEOPLE // 2]):
                row.owner = users[i % PEOPLE]
                row.target_date = date(2026, 11, 28) + timedelta(days=i % 12)
            Response.objects.bulk_update(rows, ["owner", "target_date"])


def run(now: datetime) -> tuple[int, int, float, float, int]:
    """One run: queries queuing and sending, seconds queuing and in all, digests sent."""
    mail.outbox = []
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queuing:
        queued = digest.digests_queue(now=now)
    queued_in = time.perf_counter() - started
    with CaptureQueriesContext(connection) as sending:
        outcome = delivery.send_due(now=now)
    elapsed = time.perf_counter() - started
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
    """The same digests' templates rendered, their contents read beforehand (not timed)."""
    memberships = list(
        Membership.objects.select_related("agency", "user").order_by("user_id", "pk")
    )
    sections = digest._sections(memberships, now)
    users = {m.user_id: m.user for m in memberships}
    started, message = time.perf_counter(), None
    for user_id, user_sections in sections.items():
        message = message_build(
            user=users[user_id], kind=Kind.DIGEST, key="bench", subject="Bench",
            template="notifications/email/digest",
            context={"sections": user_sections, "period": "daily"}, now=now,
        )  # fmt: skip
    return time.perf_counter() - started, message.text if message else ""


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
    rendering, sample = render_alone(MORNING + timedelta(days=len(SIZES)))
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
        f"\nRendering the same {sent} digests' templates alone: {rendering:.2f} s. Queuing them "
        f"(reading, rendering, storing) takes {queued_in / rendering:.2f} times that; the whole "
        f"run, with building and handing over each MIME message, {ratio:.2f} times "
        f"(target: at most 2). Sending goes in batches of {delivery.BATCH}."
    )
    constant = figures[SIZES[0]][0] == figures[SIZES[-1]][0]
    print("Queries queuing: " + ("the same at both sizes." if constant else "GROW with people."))
    print(f"\nOne plain-text digest as sent:\n\n{sample}")
    print(f"Scratch data in {SCRATCH}; MAILERS {settings.MAILERS['default']['BACKEND']}")
    sys.exit(0 if constant else 1)


if __name__ == "__main__":
    main()
