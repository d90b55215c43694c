from __future__ import annotations

from django.apps import AppConfig, apps
from django.contrib.admin import apps as admin_apps


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = "Agencies and people"
    # The pages under each entry of the main navigation (accounts.templatetags.muster).
    nav_pages = {"people": ("people",)}

    def ready(self) -> None:
        # Sign-ins, sign-outs and lockouts happen inside Django and django-axes: their signals
        # are the only place to hear of them. Everything else is recorded by our services.
        from django.contrib.auth import signals

        from accounts import audit

        signals.user_logged_in.connect(audit.on_logged_in, dispatch_uid="audit_login")
        signals.user_logged_out.connect(audit.on_logged_out, dispatch_uid="audit_logout")
        signals.user_login_failed.connect(audit.on_login_failed, dispatch_uid="audit_login_failed")
        if apps.is_installed("axes"):
            from axes.signals import user_locked_out

            user_locked_out.connect(audit.on_locked_out, dispatch_uid="audit_locked_out")


class MusterAdminConfig(admin_apps.AdminConfig):
    """Django's admin, on a site that requires a second factor and audits its changes."""

    default = False  # INSTALLED_APPS names it; "accounts" alone is AccountsConfig

    default_site = "accounts.admin_site.MusterAdminSite"
