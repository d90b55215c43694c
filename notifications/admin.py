from __future__ import annotations

from django.contrib import admin

from notifications.models import Message, Notification, Preference


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["title", "user", "kind", "created_at", "read_at", "emailed_at"]
    list_filter = ["kind"]
    search_fields = ["title", "user__email"]
    readonly_fields = [f.name for f in Notification._meta.fields]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """The outbox: what was queued, sent, retried or given up, and why."""

    list_display = ["subject", "to", "kind", "state", "attempts", "next_attempt_at", "sent_at"]
    list_filter = ["state", "kind"]
    search_fields = ["subject", "to"]
    readonly_fields = [f.name for f in Message._meta.fields]


@admin.register(Preference)
class PreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "digest", "digest_hour"]
    exclude = ["calendar_token"]
