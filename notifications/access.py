"""Fetch a notification for a request, or refuse: someone else's is a 404."""

from __future__ import annotations

from django.http import Http404, HttpRequest

from notifications.models import Notification


def get_notification(
    request: HttpRequest, pk: int, perm: str = "notifications.change_notification"
) -> Notification:
    notification = Notification.objects.for_user(request.user).filter(pk=pk).first()
    if notification is None or not request.user.has_perm(perm, notification):
        raise Http404("You have no notification at that address.")
    return notification
