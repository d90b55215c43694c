from __future__ import annotations

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone


class Kind(models.TextChoices):
    """What a notification or an email is about; each can be switched off by email on its own."""

    ASSIGNED = "assigned", "Items assigned to you"
    RETURNED = "returned", "Assessments returned to you"
    SUBMITTED = "submitted", "Assessments submitted for review"
    SIGNED_OFF = "signed_off", "Assessments signed off"
    INVITATION_ACCEPTED = "invitation_accepted", "Invitations accepted"
    COMMENTED = "commented", "Review comments on your items"
    DIGEST = "digest", "Digest of what is due"


class NotificationQuerySet(models.QuerySet["Notification"]):
    def for_user(self, user) -> NotificationQuerySet:
        return self.filter(user=user) if user.is_authenticated else self.none()

    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)

    def to_email(self) -> NotificationQuerySet:
        return self.filter(emailed_at__isnull=True)


class Notification(models.Model):
    """Something a person was told in the app; emailed once, grouped by kind (`delivery`)."""

    Kind = Kind

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    agency = models.ForeignKey("accounts.Agency", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    # What it is about and at which stage ("response:12:owner:5:v3"): told once per key.
    key = models.CharField(max_length=200)
    title = models.CharField(max_length=300)
    url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "key"], name="notifications_notification_told_once"
            ),
        ]
        indexes = [
            models.Index(fields=["user", "read_at"], name="notifications_unread"),
            models.Index(fields=["emailed_at", "created_at"], name="notifications_to_email"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class Message(models.Model):
    """One email, queued, sent or given up: the sent-log that keeps anything from going twice."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        SKIPPED = "skipped", "Not sent: nothing to tell"
        FAILED = "failed", "Given up"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_messages"
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    # "daily:2026-12-02", "weekly:2026-W49", "notices:<first notification>": sent once per key.
    key = models.CharField(max_length=100)
    to = models.EmailField()
    subject = models.CharField(max_length=300)
    text = models.TextField(blank=True)
    html = models.TextField(blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claim = models.CharField(max_length=32, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "key"], name="notifications_message_sent_once"
            ),
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="notifications_due")]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to} ({self.get_state_display()})"


def new_calendar_token() -> str:
    return secrets.token_urlsafe(24)


class Preference(models.Model):
    """How a person wants to be told; a person without a row has the defaults."""

    class Digest(models.TextChoices):
        DAILY = "daily", "Every morning"
        WEEKLY = "weekly", "Monday mornings"
        NEVER = "never", "Never"

    HOURS = [(hour, f"{hour}:00") for hour in range(5, 12)]

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    digest = models.CharField(max_length=10, choices=Digest.choices, default=Digest.DAILY)
    digest_hour = models.PositiveSmallIntegerField(
        "digest hour",
        choices=HOURS,
        default=7,
        help_text="In your agency's time zone.",
    )
    # The kinds this person gets no email about (they stay in the app).
    muted = models.JSONField(default=list, blank=True)
    calendar_token = models.CharField(max_length=64, unique=True, default=new_calendar_token)

    def __str__(self) -> str:
        return f"Notification preferences of {self.user}"

    def get_absolute_url(self) -> str:
        return reverse("notification_preferences")

    def clean(self) -> None:
        unknown = set(self.muted) - set(Kind.values)
        if unknown:
            raise ValidationError({"muted": f"Unknown kinds: {', '.join(sorted(unknown))}"})
        self.muted = sorted(set(self.muted))

    def emails(self, kind: str) -> bool:
        return kind not in self.muted and (kind != Kind.DIGEST or self.digest != self.Digest.NEVER)
