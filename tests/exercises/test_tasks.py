"""The AAR/IP's render on the task worker's database queue: a render the worker lost is queued
again by the same sweep as the reports' (`manage.py recover_reports`), a live one is left."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from exercises.aar import aar_render
from exercises.models import AfterActionReport
from tests.helpers import aar_signed, exercise, reviewed

pytestmark = pytest.mark.django_db
LEASE = 1  # seconds


@pytest.fixture(autouse=True)
def _database_queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.REPORT_RENDER_LEASE = LEASE


@pytest.fixture
def signed(agency, lead, catalog_version, django_capture_on_commit_callbacks):
    """Two signed AARs, each with its render task waiting in the queue."""
    drill = exercise(agency, lead)
    reviewed(drill, lead)
    return [aar_signed(drill, lead, django_capture_on_commit_callbacks) for _ in range(2)]


def test_signing_queues_the_render_on_commit(signed):
    assert all(DBTaskResult.objects.get(id=r.task_id).status == "READY" for r in signed)


def test_lost_renders_are_queued_again_and_a_live_one_is_left(
    signed, django_capture_on_commit_callbacks
):
    stalled, live = signed
    now = timezone.now()
    AfterActionReport.objects.filter(pk=stalled.pk).update(
        state="running", attempts=1, started_at=now - timedelta(seconds=LEASE + 1)
    )
    AfterActionReport.objects.filter(pk=live.pk).update(state="running", attempts=1, started_at=now)
    out = StringIO()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("recover_reports", stdout=out)

    stalled.refresh_from_db()
    assert f"{stalled} (after-action report)" in out.getvalue()
    assert str(live) not in out.getvalue()
    assert stalled.state == "pending"
    assert DBTaskResult.objects.get(id=stalled.task_id).status == "READY"
    assert aar_render(report=live).state == "running"  # left to the worker rendering it


def test_a_waiting_aar_whose_task_is_gone_is_queued_again(
    signed, django_capture_on_commit_callbacks
):
    gone, waiting = signed
    AfterActionReport.objects.update(signed_at=timezone.now() - timedelta(seconds=LEASE + 1))
    DBTaskResult.objects.filter(id=gone.task_id).delete()
    out = StringIO()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("recover_reports", stdout=out)

    assert str(gone) in out.getvalue()
    assert str(waiting) not in out.getvalue()
    gone.refresh_from_db()
    assert DBTaskResult.objects.get(id=gone.task_id).status == "READY"
