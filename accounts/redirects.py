"""Where a person is sent: back to the `next` they came from, if it is safe; and to the home
page of their access level after sign-in."""

from __future__ import annotations

from functools import cache

from django.apps import apps
from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request: HttpRequest, default: str) -> str:
    """The request's `next` (POST, then GET) when it is a path on this site, else `default`.

    A path only: `redirect()` would read a bare word such as "checklist" as a view's name, and an
    absolute URL is never needed between our own pages.
    """
    target = request.POST.get("next") or request.GET.get("next")
    if (
        target
        and target.startswith("/")
        and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure())
    ):
        return target
    return default


@cache
def _home_pages() -> dict[str, str]:
    """URL names of each access level's home, as the apps declare them (`AppConfig.home_pages`),
    so accounts knows no app above it."""
    pages: dict[str, str] = {}
    for config in apps.get_app_configs():
        pages |= getattr(config, "home_pages", {})
    return pages


def member_home(membership) -> str:
    """Where a member lands in their agency: an SRO on their schools, a public viewer on what the
    agency publishes, everyone else on the agency's dashboard."""
    name = _home_pages().get(membership.access)
    if name is None:
        return membership.agency.get_absolute_url()
    return reverse(name, kwargs={"slug": membership.agency.slug})
