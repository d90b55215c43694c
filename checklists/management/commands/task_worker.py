from __future__ import annotations

import os

from django.conf import settings
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands import db_worker

from checklists.worker import Worker


class Command(db_worker.Command):
    help = (
        "Run the task worker (django-tasks-db's db_worker) as deployed: it waits out database "
        "outages instead of exiting, writes a heartbeat for /healthz every few seconds and runs "
        "at a lower CPU priority than the web server (one task, so one render, at a time)."
    )

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--nice",
            type=int,
            default=settings.TASK_WORKER_NICE,
            help="how much lower the CPU priority is, 0 to 19 (default: TASK_WORKER_NICE)",
        )
        parser.add_argument(
            "--heartbeat",
            type=float,
            default=settings.TASK_WORKER_HEARTBEAT,
            metavar="SECONDS",
            help="seconds between heartbeats (default: TASK_WORKER_HEARTBEAT)",
        )

    def handle(self, *, verbosity: int, nice: int, heartbeat: float, **options) -> None:
        self.configure_logging(verbosity)
        if nice:
            os.nice(nice)  # renders are CPU-bound: the pages go first
        if settings.TASK_WORKER_IDLE_POLICY and hasattr(os, "SCHED_IDLE"):
            # Linux's idle policy: a web thread waking from a database round trip takes the
            # processor from a render at once, where a niced render keeps it for its time slice.
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
        reload = options["reload"] and not options["batch"]
        worker = Worker(
            heartbeat_every=heartbeat,
            queue_names=options["queue_name"].split(","),
            interval=options["interval"],
            batch=options["batch"],
            backend_name=options["backend_name"],
            startup_delay=options["startup_delay"],
            max_tasks=options["max_tasks"],
            worker_id=options["worker_id"],
            excluded_queue_names=[q for q in options["exclude_queues"].split(",") if q],
        )
        if not reload:
            worker.configure_signals()
            worker.run()
            return
        if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
            worker.configure_signals()  # in the reloaded child only
        run_with_reloader(worker.run)
