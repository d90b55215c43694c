"""Request middleware that belongs to no app: the request-body limit."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat


class RequestSizeLimitMiddleware:
    """Refuses a request whose declared body is over REQUEST_MAX_BYTES with a 413, before any
    view or middleware reads a byte of it (CSRF's check reads the body, but only later).

    A body without Content-Length cannot reach Django past the size: Django reads at most
    Content-Length bytes (none without it), and nginx, in front, refuses what is over its own
    client_max_body_size.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.REQUEST_MAX_BYTES:
            limit = filesizeformat(settings.REQUEST_MAX_BYTES)
            return render(request, "413.html", {"limit": limit}, status=413)
        return self.get_response(request)
