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


# The badges that carry no date, written once rather than once a cell.
PLAIN = {status: format_html('<span class="badge {}">{}</span>', css, text)
         for status, (css, text) in BADGES.items()} | {Status.NOT_REQUIRED: NOT_REQUIRED}  # fmt: skip


@register.filter
def status_badge(cell: Cell) -> str:
    """One cell's status in words, with the day it lapses when that is within 90 days."""
    if cell.status == Status.EXPIRING and cell.expires_on:
        css, _ = BADGES[Status.EXPIRING]
        return format_html('<span class="badge {}">! Expires {}</span>', css,
                           f"{cell.expires_on:%b %-d, %Y}")  # fmt: skip
    return PLAIN.get(cell.status, NOT_REQUIRED)


@register.filter
def status_cells(cells: list[Cell]) -> str:
    """A matrix row's cells: one filter a row rather than a tag a cell, as a page has hundreds."""
    return mark_safe("".join(f"<td>{status_badge(cell)}</td>" for cell in cells))  # noqa: S308 — each badge is escaped by format_html
