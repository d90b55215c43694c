from __future__ import annotations

import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from notifications.delivery import send_due


class Command(BaseCommand):
    help = (
        "Send the notifications that are due: new notices grouped by person and kind, digests "
        "at each person's morning hour, and retries of mail that failed. Safe to run as often "
        "as wanted and several at once. Run it every minute (a systemd timer, or --every 60)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--every",
            type=float,
            default=0,
            metavar="SECONDS",
            help="keep running, sending every SECONDS (default: send once and exit)",
        )

    def handle(self, *args, every: float, **options) -> None:
        while True:
            outcome = send_due()
            if outcome.queued or outcome.sent or outcome.retried or outcome.failed:
                self.stdout.write(
                    f"Queued {outcome.queued}, sent {outcome.sent}, to retry {outcome.retried}, "
                    f"given up {outcome.failed}"
                )
            if every <= 0:
                return
            time.sleep(every)
            close_old_connections()  # as between requests: drop a connection gone stale
