"""Filters of the exercise pages. The status badge is a filter, not an included template: the
improvement plan shows fifty of them, and an include per row cost a third of the page's time."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from exercises.models import CorrectiveAction

register = template.Library()

BADGES = {
    CorrectiveAction.Status.VERIFIED: "text-bg-success",
    CorrectiveAction.Status.DONE: "text-bg-info",
}


@register.filter
def action_status(action: CorrectiveAction) -> SafeString:
    """The action's status in words (and "overdue" in words too), never by colour alone."""
    overdue = action.is_overdue
    css = BADGES.get(action.status) or ("text-bg-danger" if overdue else "text-bg-secondary")
    late = " · overdue" if overdue else ""
    return format_html('<span class="badge {}">{}{}</span>', css, action.get_status_display(), late)
