from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def nav_section(url_name: str | None) -> str:
    """The navigation entry a page belongs to: its URL name up to the first underscore."""
    return (url_name or "").split("_", 1)[0]
