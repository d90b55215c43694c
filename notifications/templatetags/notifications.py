from __future__ import annotations

from django import template

from notifications.emails import absolute

register = template.Library()


@register.filter(name="absolute")
def absolute_filter(path: str) -> str:
    """A path on this site as a full address, for an email (SITE_URL)."""
    return absolute(path or "/")
