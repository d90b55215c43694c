"""Background work, on Django's tasks framework (the django-tasks-db worker in deployment)."""

from __future__ import annotations

from django.tasks import task

from checklists.models import Report


@task()
def report_render_task(report_id: int) -> str:
    """Render, sign and store one signed report; returns its SHA-256."""
    from checklists.services import report_render

    return report_render(report=Report.objects.get(pk=report_id)).sha256


def report_render_enqueue(*, report: Report) -> None:
    result = report_render_task.enqueue(report.pk)
    Report.objects.filter(pk=report.pk, task_id="").update(task_id=str(result.id))
