"""Background work of training records, on Django's tasks framework (the django-tasks-db worker
in deployment, as for the reports): a confirmed import."""

from __future__ import annotations

from django.tasks import task

from training import importer
from training.models import Import


@task()
def import_apply_task(upload_id: int) -> str:
    """Apply one confirmed import; returns the state it ends in."""
    return importer.run_queued(upload_id)


def import_apply_enqueue(*, upload: Import) -> None:
    result = import_apply_task.enqueue(upload.pk)
    Import.objects.filter(pk=upload.pk).update(task_id=str(result.id))
