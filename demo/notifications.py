"""The demo's notifications, made as a real agency would: the chief hands the training
coordinator three items due this week (they land in the bell, the email outbox and the calendar
feed), and each person has chosen how they want to hear."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import Agency, User
from checklists.assessments.models import Assessment
from checklists.assessments.services import responses_assign
from notifications.services import notifications_mark_read, preference_update

PREFERENCES = {
    # email: (digest, hour, kinds not emailed)
    "chief@harbor.example": ("weekly", 8, ["signed_off"]),
    "training@harbor.example": ("daily", 7, []),
    "sro.hill@harbor.example": ("daily", 6, []),
    "viewer@harbor.example": ("never", 7, ["assigned", "returned", "submitted"]),
}


@transaction.atomic
def demo_notifications(agency: Agency, assessment: Assessment) -> None:
    lead = User.objects.get(memberships__agency=agency, memberships__access="lead")
    coordinator = User.objects.get(email="training@harbor.example")
    today = timezone.localdate()
    open_items = assessment.responses.open().filter(owner__isnull=True, school__isnull=True)
    for days, response in zip((2, 5, 6), open_items.order_by("item__code")[:3], strict=False):
        responses_assign(
            assessment=assessment,
            responses=[response],
            owner=coordinator,
            target_date=today + timedelta(days=days),
            by=lead,
        )
    # The coordinator has already seen the oldest one.
    oldest = coordinator.notifications.filter(kind="assigned").order_by("created_at").first()
    if oldest is not None:
        notifications_mark_read(user=coordinator, pks=[oldest.pk])
    for email, (digest, hour, muted) in PREFERENCES.items():
        if person := User.objects.filter(email=email).first():
            preference_update(user=person, digest=digest, digest_hour=hour, muted=muted)
