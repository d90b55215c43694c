from __future__ import annotations

from django import template

register = template.Library()

# The main navigation's entries, and the URL names (or name prefixes) of the pages under each.
NAV_PAGES = {
    "dashboard": ("agency_detail",),
    "reports": ("report_", "assessment_reports", "assessment_report_draft"),
    "my-schools": ("school_",),
    "checklist": ("assessment_", "response_", "attachment_"),
    "people": ("people",),
    "catalog": ("catalog_",),
}


@register.filter
def nav_section(url_name: str | None) -> str:
    """The main navigation entry a page sits under ("" for pages outside it)."""
    for section, names in NAV_PAGES.items():
        if any((url_name or "").startswith(name) for name in names):
            return section
    return ""
