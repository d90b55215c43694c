"""Signed reports survive a task worker that dies mid-render, and are stored exactly once.

The worker here is the real one (`manage.py task_worker`, on django-tasks-db) in its own process,
against the test database, killed with SIGKILL while it renders.
"""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from checklists.models import Report, SignOff
from checklists.signoff.rendering import report_render
from checklists.signoff.services import reports_recover
from checklists.signoff.verify import verify_report
from tests.helpers import sign, task_worker

LEASE = 1  # seconds


@pytest.fixture(autouse=True)
def _database_queue(settings):
    """Queue renders in the database, as in deployment, with a lease short enough to wait out."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.REPORT_RENDER_LEASE = LEASE


def stored_files() -> list[Path]:
    return sorted(Path(django_settings.MEDIA_ROOT).rglob("*.pdf"))


def assert_stored_once_and_authentic(sign_off: SignOff) -> None:
    reports = list(Report.objects.filter(sign_off=sign_off))
    assert sorted(r.edition for r in reports) == sorted(Report.Edition.values)
    assert {r.state for r in reports} == {Report.State.DONE}
    assert sorted(Path(r.file.path) for r in reports) == stored_files()
    for report in reports:
        data = report.file.read()
        assert len(data) == report.size
        verdict = verify_report(data)
        assert verdict.authentic, verdict.problems
        assert verdict.sign_off == sign_off


# The sweep -----------------------------------------------------------------------------------


def test_a_render_past_its_lease_is_queued_again_and_a_live_one_is_left(
    complete_assessment, lead, django_capture_on_commit_callbacks
):
    full, public = sign(complete_assessment, lead, django_capture_on_commit_callbacks).reports.all()
    now = timezone.now()
    Report.objects.filter(pk=full.pk).update(
        state=Report.State.RUNNING, attempts=1, started_at=now - timedelta(seconds=LEASE + 1)
    )
    Report.objects.filter(pk=public.pk).update(
        state=Report.State.RUNNING, attempts=1, started_at=now
    )

    with django_capture_on_commit_callbacks(execute=True):
        recovered = reports_recover()

    assert recovered == [full]
    full.refresh_from_db()
    public.refresh_from_db()
    assert (full.state, public.state) == (Report.State.PENDING, Report.State.RUNNING)
    assert DBTaskResult.objects.get(id=full.task_id).status == "READY"
    # A second task for a report being rendered leaves it to its worker.
    assert report_render(report=public).state == Report.State.RUNNING
    assert public.attempts == 1


def test_a_waiting_report_whose_task_is_gone_is_queued_again(
    complete_assessment, lead, django_capture_on_commit_callbacks
):
    full, public = sign(complete_assessment, lead, django_capture_on_commit_callbacks).reports.all()
    Report.objects.update(created_at=timezone.now() - timedelta(seconds=LEASE + 1))
    DBTaskResult.objects.filter(id=full.task_id).delete()
    out = StringIO()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("recover_reports", stdout=out)

    assert f"(report {full.pk})" in out.getvalue()
    assert f"(report {public.pk})" not in out.getvalue()  # its task still waits in the queue
    full.refresh_from_db()
    assert DBTaskResult.objects.get(id=full.task_id).status == "READY"
    assert DBTaskResult.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_overlapping_renders_of_one_report_store_one_file(complete_assessment, lead, settings):
    settings.REPORT_RENDER_LEASE = 0  # each render finds the other's claim already lapsed
    report = sign(complete_assessment, lead).reports.get(edition="public")
    outcomes, start = [], threading.Barrier(2)

    def render() -> None:
        try:
            start.wait(timeout=30)
            outcomes.append(report_render(report=report))
        finally:
            connection.close()

    threads = [threading.Thread(target=render) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    report.refresh_from_db()
    assert (report.state, report.attempts) == (Report.State.DONE, 2)
    assert {r.sha256 for r in outcomes} == {report.sha256}
    assert stored_files() == [Path(report.file.path)]


# A worker killed mid-render ------------------------------------------------------------------


def wait_for_a_render(process: subprocess.Popen, timeout: float = 30) -> Report:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        running = Report.objects.filter(state=Report.State.RUNNING).first()
        if running is not None:
            return running
        assert process.poll() is None, process.stderr.read().decode()
        time.sleep(0.02)
    raise AssertionError("The worker never started rendering.")


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_while_rendering_leaves_a_report_that_is_finished_once(
    complete_assessment, lead
):
    sign_off = sign(complete_assessment, lead)
    first = task_worker(REPORT_RENDER_LEASE=str(LEASE))
    try:
        killed = wait_for_a_render(first)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    killed.refresh_from_db()
    assert (killed.state, killed.attempts, killed.file.name) == (Report.State.RUNNING, 1, "")

    # The dead worker's lease runs out (its claim dated back, rather than waited out).
    Report.objects.filter(pk=killed.pk).update(
        started_at=killed.started_at - timedelta(seconds=LEASE + 1)
    )
    call_command("recover_reports", stdout=StringIO())
    second = task_worker(
        "--batch", REPORT_RENDER_LEASE=str(LEASE)
    )  # renders what is queued, then exits
    assert second.wait(timeout=90) == 0, second.stderr.read().decode()

    assert_stored_once_and_authentic(sign_off)
    killed.refresh_from_db()
    assert killed.attempts == 2
    assert Report.objects.count() == 2
