from __future__ import annotations

import time

from django.core.management.base import BaseCommand
from django.db import InterfaceError, OperationalError, close_old_connections, connection

from checklists.assessments.extensions import signed_documents
from checklists.signoff.services import reports_recover


class Command(BaseCommand):
    help = (
        "Queue again the signed reports (and other signed documents, such as after-action "
        "reports) whose render was lost: a task worker died while "
        "rendering (past REPORT_RENDER_LEASE seconds), or a report's task left the queue "
        "unrun. Run it when the worker starts and then every minute or so (--every 60)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--every",
            type=float,
            default=0,
            metavar="SECONDS",
            help="keep running, sweeping every SECONDS (default: sweep once and exit)",
        )

    def handle(self, *args, every: float, **options) -> None:
        while True:
            try:
                for report in reports_recover():
                    self.stdout.write(f"Queued again: {report} (report {report.pk})")
                # The other signed documents (after-action reports) through their own.
                for kind in signed_documents():
                    for document in kind.recover() if kind.recover else ():
                        self.stdout.write(f"Queued again: {document} ({kind.label})")
            except (OperationalError, InterfaceError) as error:
                if every <= 0:
                    raise
                # Kept running, it waits out a database outage and sweeps on the next round.
                self.stderr.write(f"The database cannot be reached ({error}); trying again.")
                connection.close()
            if every <= 0:
                return
            time.sleep(every)
            close_old_connections()  # as between requests: drop a connection gone stale
