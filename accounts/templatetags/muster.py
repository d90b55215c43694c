from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache

from django import template
from django.apps import apps
from django.utils import timezone
from django.utils.timesince import timesince

from accounts.redirects import member_home

register = template.Library()


@cache
def nav_pages() -> list[tuple[str, str]]:
    """(URL name or name prefix, main navigation entry) pairs that the apps declare.

    Each app's AppConfig lists the pages under each entry of the main navigation as
    `nav_pages`, so this tag knows no app above accounts.
    """
    return [
        (name, section)
        for config in apps.get_app_configs()
        for section, names in getattr(config, "nav_pages", {}).items()
        for name in names
    ]


@register.filter
def nav_section(url_name: str | None) -> str:
    """The main navigation entry a page sits under ("" for pages outside it).

    The longest matching name wins, so "assessment_reports" sits under reports although
    "assessment_" is the checklist's.
    """
    matches = [
        (len(name), section) for name, section in nav_pages() if (url_name or "").startswith(name)
    ]
    return max(matches)[1] if matches else ""


@register.filter
def home_url(membership) -> str:
    """The page a member lands on in their agency (`accounts.redirects.member_home`)."""
    return member_home(membership)


@register.filter
def ago(moment: datetime | None) -> str:
    """How long ago, in words: "just now" under a minute, never "0 minutes ago"."""
    if moment is None:
        return ""
    if timezone.now() - moment < timedelta(minutes=1):
        return "just now"
    return f"{timesince(moment)} ago"
