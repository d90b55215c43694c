"""Formatting for the training pages."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from training.currency import Cell, Status

register = template.Library()
NOT_REQUIRED = mark_safe('<span class="text-body-secondary small">Not required</span>')

# Each status in words, with a mark, so that colour is never the only sign.
BADGES = {
    Status.CURRENT: ("text-bg-success", "✓ Current"),
    Status.EXPIRING: ("text-bg-warning", "! Expires within 90 days"),
    Status.EXPIRED: ("text-bg-danger", "✗ Expired"),
    Status.NEVER: ("text-bg-secondary", "— Never trained"),
}


@register.filter
def status_badge(cell: Cell) -> str:
    """A matrix cell: a filter rather than an include, as a page has hundreds of them."""
    if cell.status not in BADGES:
        return NOT_REQUIRED
    css, text = BADGES[cell.status]
    if cell.status == Status.EXPIRING and cell.expires_on:
        text = f"! Expires {cell.expires_on:%b %-d, %Y}"
    return format_html('<span class="badge {}">{}</span>', css, text)
