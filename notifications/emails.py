"""The emails' shared parts: absolute links, the unsubscribe link, a queued Message rendered
from a plain-text and an HTML template."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.models import User
from notifications.models import Kind, Message
from notifications.unsubscribe import token_for


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path if path.startswith("/") else path


def unsubscribe_url(user_id: int, kind: str) -> str:
    token = token_for(user_id=user_id, kind=kind)
    return absolute(reverse("notification_unsubscribe", args=[token]))


def email_context(user: User, kind: str) -> dict:
    return {
        "user": user,
        "kind": Kind(kind),
        "site_url": settings.SITE_URL.rstrip("/"),
        "unsubscribe_url": unsubscribe_url(user.pk, kind),
        "preferences_url": absolute(reverse("notification_preferences")),
    }


def message_build(
    *, user: User, kind: str, key: str, subject: str, template: str, context: dict, now
) -> Message:
    """A queued Message rendered from `template`.txt and .html, with the unsubscribe link."""
    context = email_context(user, kind) | context
    return Message(
        user=user,
        kind=kind,
        key=key,
        to=user.email,
        subject=" ".join(subject.split())[:300],
        text=render_to_string(f"{template}.txt", context),
        html=render_to_string(f"{template}.html", context),
        created_at=now,
        next_attempt_at=now,
    )
