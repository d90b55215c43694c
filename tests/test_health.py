"""The health check, and what people see while the database cannot be reached."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from django.db import connections
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from checklists.signoff.tasks import report_render_task
from checklists.worker import heartbeat_write
from tests.helpers import assert_error_page


class Outage:
    """Points the connection at a database that cannot be reached, and back.

    SQLite gets a path in a folder that does not exist, PostgreSQL a port nobody listens on.
    The open connection is set aside, not closed: SQLite's in-memory test database lives only
    as long as a connection to it.
    """

    def __init__(self, tmp_path) -> None:
        self.connection = connections["default"]
        self.saved = dict(self.connection.settings_dict)
        self.kept = None
        if self.connection.vendor == "sqlite":
            self.unreachable = {"NAME": str(tmp_path / "no-such-folder" / "muster.sqlite3")}
        else:
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]
            self.unreachable = {"HOST": "127.0.0.1", "PORT": str(port)}

    def begin(self) -> None:
        self.connection.ensure_connection()
        self.kept = self.connection.connection
        self.connection.settings_dict.update(self.unreachable)
        self.connection.connection = None

    def end(self) -> None:
        self.connection.settings_dict.clear()
        self.connection.settings_dict.update(self.saved)


@pytest.fixture
def outage(tmp_path):
    outage = Outage(tmp_path)
    yield outage
    outage.end()
    if outage.kept is not None:
        outage.connection.close()
        outage.connection.connection = outage.kept


def test_health_check_reports_a_working_database(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    # The tests' dummy task backend has no queue, so there is no worker to watch.
    assert response.json() == {"status": "ok", "database": "ok", "worker": "not used"}
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db(transaction=True)
def test_without_the_database_pages_are_a_friendly_503_and_recover_by_themselves(
    client_for, lead, agency, outage
):
    client = client_for(lead)
    client.raise_request_exception = False
    load_balancer = Client()  # no cookies
    outage.begin()

    page = client.get(agency.get_absolute_url())
    health = load_balancer.get("/healthz")

    assert_error_page(page, 503, "cannot reach its database")
    assert page["Retry-After"] == "30"
    assert "OperationalError" not in page.content.decode()
    assert health.status_code == 503
    assert health.json() == {"status": "unavailable", "database": "unavailable"}

    outage.end()  # the database is back: no restart, the next request reconnects

    assert client.get(agency.get_absolute_url()).status_code == 200
    assert load_balancer.get("/healthz").json()["status"] == "ok"


def test_other_server_errors_stay_a_500(client_for, lead, settings):
    settings.ROOT_URLCONF = "tests.urls_crash"
    client = client_for(lead)
    client.raise_request_exception = False

    assert_error_page(client.get("/crash/"), 500, "Something went wrong on our side")


# The task worker -----------------------------------------------------------------------------


@pytest.fixture
def database_queue(settings):
    """Tasks wait in the database for a worker, as in deployment."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.HEALTH_WORKER_HEARTBEAT_MAX_AGE = 60
    settings.HEALTH_QUEUE_MAX_AGE = 300


def test_health_check_fails_while_no_worker_has_ever_beaten(client, db, database_queue):
    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "database": "ok",
        "worker": "silent",
        "worker_heartbeat_age": None,
        "queue": "ok",
        "oldest_queued_age": None,
    }


def test_health_check_follows_the_workers_heartbeat_age(client, db, database_queue):
    heartbeat_write(at=timezone.now() - timedelta(seconds=20))
    fresh = client.get("/healthz")
    heartbeat_write(at=timezone.now() - timedelta(seconds=61))
    stale = client.get("/healthz")

    assert (fresh.status_code, fresh.json()["worker_heartbeat_age"]) == (200, 20)
    assert fresh.json()["worker"] == "ok"
    assert (stale.status_code, stale.json()["worker"]) == (503, "silent")
    assert stale.json()["worker_heartbeat_age"] == 61


def test_health_check_fails_when_a_task_has_waited_too_long(client, db, database_queue, settings):
    heartbeat_write()
    result = report_render_task.enqueue(0)
    waiting = client.get("/healthz")
    DBTaskResult.objects.filter(pk=result.id).update(
        enqueued_at=timezone.now() - timedelta(seconds=301)
    )
    stalled = client.get("/healthz")

    assert waiting.status_code == 200
    assert waiting.json()["queue"] == "ok"
    assert stalled.status_code == 503
    assert (stalled.json()["queue"], stalled.json()["oldest_queued_age"]) == ("stalled", 301)
    settings.HEALTH_QUEUE_MAX_AGE = 600  # the limit is the operator's
    assert client.get("/healthz").status_code == 200


def test_health_check_reads_a_fixed_number_of_queries(client, db, database_queue, count_queries):
    heartbeat_write()
    for _ in range(3):
        report_render_task.enqueue(0)
    few = count_queries(lambda: client.get("/healthz"))
    for _ in range(20):
        report_render_task.enqueue(0)

    assert count_queries(lambda: client.get("/healthz")) == few
