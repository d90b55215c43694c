"""The after-action report's render, on the task worker that renders the preparedness reports."""

from __future__ import annotations

from django.tasks import task

from checklists.signoff.tasks import task_waiting
from exercises.aar import aar_render
from exercises.models import AfterActionReport


@task()
def aar_render_task(report_id: int) -> str:
    """Render, sign and store one after-action report; returns its SHA-256."""
    return aar_render(report=AfterActionReport.objects.get(pk=report_id)).sha256


def aar_render_enqueue(*, report: AfterActionReport) -> None:
    result = aar_render_task.enqueue(report.pk)
    AfterActionReport.objects.filter(pk=report.pk, task_id="").update(task_id=str(result.id))


def aar_render_queued(*, report: AfterActionReport) -> bool:
    return task_waiting(aar_render_task, report.task_id)
