"""Where a form sends a person back to: the `next` they came from, if it is safe."""

from __future__ import annotations

from django.http import HttpRequest
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
