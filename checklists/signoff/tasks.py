"""Background work, on Django's tasks framework (the django-tasks-db worker in deployment)."""

from __future__ import annotations

from django.tasks import TaskResultStatus, task
from django.tasks.exceptions import TaskResultDoesNotExist

from checklists.signoff.models import DraftReport, Report
from checklists.signoff.rendering import draft_render, report_render


@task()
def report_render_task(report_id: int) -> str:
    """Render, sign and store one signed report; returns its SHA-256."""
    return report_render(report=Report.objects.get(pk=report_id)).sha256


@task()
def draft_render_task(draft_id: int) -> int:
    """Render one draft report; returns its size in bytes."""
    return draft_render(draft=DraftReport.objects.get(pk=draft_id)).size


def draft_render_enqueue(*, draft: DraftReport) -> None:
    result = draft_render_task.enqueue(draft.pk)
    DraftReport.objects.filter(pk=draft.pk).update(task_id=str(result.id))


def report_render_enqueue(*, report: Report) -> None:
    result = report_render_task.enqueue(report.pk)
    Report.objects.filter(pk=report.pk, task_id="").update(task_id=str(result.id))


def report_render_queued(*, report: Report) -> bool:
    """Whether the report's render task still waits in the queue."""
    return task_waiting(report_render_task, report.task_id)


def task_waiting(queued_task, task_id: str) -> bool:
    """Whether the task of this id still waits in the queue (any render task, of any app).

    A backend that cannot look a task up (the immediate one, in tests) is trusted to have it.
    """
    if not task_id:
        return False
    if not queued_task.get_backend().supports_get_result:
        return True
    try:
        result = queued_task.get_result(task_id)
    except TaskResultDoesNotExist:
        return False
    return result.status == TaskResultStatus.READY
