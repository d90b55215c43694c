from __future__ import annotations

from django.urls import path

from notifications import views

urlpatterns = [
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification_read"),
    path("notifications/read/", views.notification_read_all, name="notification_read_all"),
    path(
        "notifications/preferences/",
        views.notification_preferences,
        name="notification_preferences",
    ),
    path(
        "notifications/calendar/reset/",
        views.notification_calendar_reset,
        name="notification_calendar_reset",
    ),
    path(
        "notifications/calendar/<str:token>.ics",
        views.notification_calendar,
        name="notification_calendar",
    ),
    path(
        "notifications/unsubscribe/<str:token>/",
        views.notification_unsubscribe,
        name="notification_unsubscribe",
    ),
]
