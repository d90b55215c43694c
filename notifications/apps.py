from __future__ import annotations

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "notifications"
    verbose_name = "Notifications"
    # The pages under each entry of the main navigation (accounts.templatetags.muster).
    nav_pages = {"notifications": ("notification_",)}

    def ready(self) -> None:
        # The acts happen in accounts and checklists, which know nothing of notifications: the
        # audit log's rows and the responses' history rows are where we hear of them.
        from django.db.models.signals import post_save
        from simple_history.signals import post_create_historical_record

        from accounts.models import AuditEvent
        from notifications import checklist_sources, events, registry

        post_save.connect(events.on_audit_event, sender=AuditEvent, dispatch_uid="notify_audit")
        post_create_historical_record.connect(
            events.on_response_history, dispatch_uid="notify_response_history"
        )
        registry.register_digest_source(checklist_sources.my_items)
        registry.register_digest_source(checklist_sources.agency_overview)
        registry.register_calendar_source(checklist_sources.calendar_dates)
