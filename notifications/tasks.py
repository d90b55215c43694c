"""Background work, on Django's tasks framework (the django-tasks-db worker in deployment)."""

from __future__ import annotations

from django.tasks import task

from notifications.delivery import send_due


@task()
def send_due_task() -> int:
    """Send every email that is due; returns how many were sent."""
    return send_due().sent


def send_due_enqueue() -> None:
    send_due_task.enqueue()
