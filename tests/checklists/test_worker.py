"""The task worker as deployed (`manage.py task_worker`): it beats, it runs at a lower CPU
priority, and it outlives the database going away under it.

The worker is the real one, in its own process, on this test's database. On PostgreSQL its
connections are cut with pg_terminate_backend (which touches no other database); the real outage
— the machine's PostgreSQL stopped for three seconds and started again — is marked `outage` and
runs on its own in `.ci/run`, as root, where nothing else uses the server at that moment.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django_tasks_db.models import DBTaskResult

from checklists.signoff.tasks import report_render_task
from checklists.worker import heartbeat_age
from tests.helpers import task_worker

pytestmark = pytest.mark.django_db(transaction=True)

BEAT = 0.2  # seconds between the test worker's heartbeats


@pytest.fixture(autouse=True)
def _database_queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def worker():
    process = task_worker(TASK_WORKER_HEARTBEAT=str(BEAT))
    yield process
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def wait_until(condition: Callable[[], bool], process: subprocess.Popen, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read().decode()
        try:
            if condition():
                return
        finally:
            connection.close()  # each look on a fresh connection, as a request would
        time.sleep(0.1)
    raise AssertionError("Timed out waiting for the worker.")


def beating() -> bool:
    age = heartbeat_age()
    return age is not None and age < 1


def ran(result_id) -> Callable[[], bool]:
    # A render of a report that does not exist fails at once: the worker ran it.
    return lambda: DBTaskResult.objects.get(pk=result_id).status != "READY"


def niceness(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])


def test_the_worker_beats_runs_tasks_and_yields_the_cpu_to_the_pages(worker):
    wait_until(beating, worker)
    health = Client().get("/healthz")
    result = report_render_task.enqueue(0)

    wait_until(ran(result.id), worker)
    assert health.status_code == 200, health.json()
    assert health.json()["worker"] == "ok"
    assert niceness(worker.pid) == 19  # TASK_WORKER_NICE, the lowest priority there is
    assert os.sched_getscheduler(worker.pid) == os.SCHED_IDLE  # TASK_WORKER_IDLE_POLICY


postgresql_only = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="a database server to lose: PostgreSQL"
)


def terminate_other_connections() -> int:
    """Cut every other connection to this test's database (the worker's): no one else's."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


@postgresql_only
def test_the_worker_goes_on_after_its_connections_are_cut(worker):
    wait_until(beating, worker)
    # Again and again, while it polls and while it beats, until two of its connections are cut:
    # between polls it may hold none, so a fixed number of tries can cut nothing (it did in CI).
    cut, deadline = 0, time.monotonic() + 20
    while cut < 2 and time.monotonic() < deadline:
        cut += terminate_other_connections()
        time.sleep(0.1)
    connection.close()
    result = report_render_task.enqueue(0)

    wait_until(ran(result.id), worker)
    wait_until(beating, worker)
    assert cut >= 2


def pg_cluster() -> list[str] | None:
    """The version and name of the machine's PostgreSQL cluster, when this process may stop it."""
    if shutil.which("pg_ctlcluster") is None or os.geteuid() != 0:
        return None
    listed = subprocess.run(
        ["pg_lsclusters", "--no-header"],  # noqa: S607 - Debian's own tool, on PATH
        capture_output=True,
        text=True,
        check=True,
    )
    fields = listed.stdout.split()
    return fields[:2] if fields else None


def health() -> dict:
    connection.close()
    answer = Client().get("/healthz")
    return {"status_code": answer.status_code, **answer.json()}


@pytest.mark.outage
@postgresql_only
def test_the_worker_outlives_a_postgresql_restart(worker, record_property):
    cluster = pg_cluster()
    if cluster is None:
        pytest.skip("stopping PostgreSQL needs root and pg_ctlcluster")
    wait_until(beating, worker)
    seen = {"before": health()}
    subprocess.run(["pg_ctlcluster", *cluster, "stop", "-m", "fast"], check=True)  # noqa: S603, S607
    try:
        time.sleep(1.5)
        seen["during"] = health()
        time.sleep(1.5)
    finally:
        subprocess.run(["pg_ctlcluster", *cluster, "start"], check=True)  # noqa: S603, S607
    for _ in range(100):
        if subprocess.run(["pg_isready", "-q"], check=False).returncode == 0:  # noqa: S607
            break
        time.sleep(0.1)
    connection.close()
    result = report_render_task.enqueue(0)

    wait_until(ran(result.id), worker, timeout=60)
    wait_until(beating, worker)
    seen["after"] = health()
    record_property("healthz", seen)
    print(f"/healthz around the outage: {seen}")  # the record .ci/run keeps
    assert worker.poll() is None
    assert seen["during"]["status_code"] == 503
    assert (seen["after"]["status_code"], seen["after"]["worker"]) == (200, "ok")
