from __future__ import annotations

from django.db import DatabaseError
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from notifications.models import Notification


def bell(request: HttpRequest) -> dict:
    """The unread count for the bell in the navigation: one COUNT, only on pages that show it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def unread() -> int | None:
        try:
            return Notification.objects.for_user(user).unread().count()
        except DatabaseError:  # an error page while the database is away shows no count
            return None

    return {"unread_notifications": SimpleLazyObject(unread)}
