"""The task worker as deployed: django-tasks-db's worker that outlives database outages, runs at a
lower CPU priority than the web server, and says it is alive.

`manage.py task_worker` runs it. The heartbeat is a cache entry (the cache lives in the shared
database), written every few seconds by a thread of its own, so a long render does not make the
worker look dead; `/healthz` reads its age and the age of the oldest task still waiting.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, InterfaceError, OperationalError, close_old_connections
from django.db import connection as db_connection
from django.db.models import Min
from django.tasks import task_backends
from django.utils import timezone
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.management.commands.db_worker import Worker as LibraryWorker
from django_tasks_db.models import DBTaskResult

logger = logging.getLogger(__name__)

HEARTBEAT_KEY = "muster:task-worker:heartbeat"
# A database that is down is tried again after 1 s, then 2, 4 ... up to this many seconds.
RECONNECT_MAX_DELAY = 30.0


def queue_in_database() -> bool:
    """Whether tasks wait in the database for a worker (deployment), rather than running at once
    or nowhere (the immediate and dummy backends of development and tests)."""
    return isinstance(task_backends["default"], DatabaseBackend)


def heartbeat_write(*, at: datetime | None = None) -> None:
    cache.set(HEARTBEAT_KEY, (at or timezone.now()).timestamp(), timeout=None)


def heartbeat_age(*, now: datetime | None = None) -> float | None:
    """Seconds since any worker last said it was alive; None if none ever did."""
    beat = cache.get(HEARTBEAT_KEY)
    if beat is None:
        return None
    return max(0.0, (now or timezone.now()).timestamp() - float(beat))


def oldest_queued_age(*, now: datetime | None = None) -> float | None:
    """Seconds the oldest task ready to run has waited; None when nothing waits."""
    oldest = DBTaskResult.objects.ready().aggregate(oldest=Min("enqueued_at"))["oldest"]
    if oldest is None:
        return None
    return max(0.0, ((now or timezone.now()) - oldest).total_seconds())


class Heartbeat(threading.Thread):
    """Writes the heartbeat every `every` seconds on its own connection, whatever the worker's
    main thread is doing; a beat that cannot reach the database is skipped."""

    def __init__(self, every: float) -> None:
        super().__init__(name="heartbeat", daemon=True)
        self.every = every
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            close_old_connections()  # a connection the outage broke is replaced
            try:
                heartbeat_write()
            except DatabaseError as error:
                logger.warning("Task worker heartbeat not written: %s", error)
                db_connection.close()
            self.stopped.wait(self.every)
        db_connection.close()


class Worker(LibraryWorker):
    """django-tasks-db's worker, which exits on the first database error, kept going: on an
    error reaching the database it drops its connections, waits (1 s, doubling to 30 s) and
    carries on. A task whose result could not be recorded stays "running" in the queue; the
    report it rendered is found by `recover_reports` once its lease runs out."""

    def __init__(self, *, heartbeat_every: float, **options) -> None:
        super().__init__(**options)
        self.heartbeat = Heartbeat(heartbeat_every)

    def run(self) -> None:
        self.heartbeat.start()
        delay = 1.0
        try:
            while self.running:
                started = time.monotonic()
                try:
                    super().run()
                    return
                except (OperationalError, InterfaceError) as error:
                    if time.monotonic() - started > RECONNECT_MAX_DELAY:
                        delay = 1.0  # it had worked a while: a new outage
                    logger.warning(
                        "Task worker lost the database (%s); again in %.0f s", error, delay
                    )
                    self.running_task, self.startup_delay = False, False
                    db_connection.close()
                    time.sleep(delay)
                    delay = min(delay * 2, RECONNECT_MAX_DELAY)
        finally:
            self.heartbeat.stopped.set()


def worker_health(*, now: datetime | None = None) -> dict:
    """The worker's part of /healthz: ages in whole seconds and whether each is within its limit."""
    if not queue_in_database():
        return {"worker": "not used"}
    beat, queued = heartbeat_age(now=now), oldest_queued_age(now=now)
    alive = beat is not None and beat <= settings.HEALTH_WORKER_HEARTBEAT_MAX_AGE
    flowing = queued is None or queued <= settings.HEALTH_QUEUE_MAX_AGE
    return {
        "worker": "ok" if alive else "silent",
        "worker_heartbeat_age": None if beat is None else round(beat),
        "queue": "ok" if flowing else "stalled",
        "oldest_queued_age": None if queued is None else round(queued),
    }
