from __future__ import annotations

from django.apps import AppConfig


class ChecklistsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "checklists"
    verbose_name = "Checklists"
    # The pages under each entry of the main navigation (accounts.templatetags.muster).
    nav_pages = {
        "dashboard": ("agency_detail",),
        "reports": ("report_", "assessment_reports", "draft_"),
        "my-schools": ("school_",),
        "checklist": ("assessment_", "response_", "attachment_"),
        "catalog": ("catalog_",),
    }
    # Where each access level lands after sign-in (accounts.redirects.member_home); the others
    # land on the dashboard.
    home_pages = {
        "sro": "school_mine",
        "public": "report_list",
    }
