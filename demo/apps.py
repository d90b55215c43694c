from __future__ import annotations

from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Only `seed_demo`: it stands above every other app, and no app depends on it."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "demo"
    verbose_name = "Demo data"
