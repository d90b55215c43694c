"""Sign-in middleware: a session's absolute time limit, the two-factor step, no caching.

SessionLimitMiddleware keeps the idle limit (SESSION_COOKIE_AGE) moving on while the person is
active, and adds the absolute one, which Django does not have. TwoFactorMiddleware
holds a half-signed-in person at the two-factor step until it is done. NoStoreMiddleware keeps
what a signed-in person sees out of every cache.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django_htmx.http import HttpResponseClientRedirect

from accounts import two_factor

SIGNED_IN_AT = "muster_signed_in_at"
SEEN_AT = "muster_seen_at"


class SessionLimitMiddleware:
    """Signs out a session SESSION_ABSOLUTE_AGE seconds after it signed in, and keeps the idle
    limit (SESSION_COOKIE_AGE) moving on while the person is active.

    The sign-in time is recorded on the response that signs in, whichever view did it. A
    signed-in session without one (made before this limit existed) starts its clock now.
    Activity is written at most once per SESSION_IDLE_REFRESH seconds: saving the session is what
    moves its expiry on, and a write on every click would cost every request three queries.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated and self._expired(request):
            logout(request)
            messages.info(
                request,
                "Your session ended: a sign-in lasts at most "
                f"{settings.SESSION_ABSOLUTE_AGE // 3600} hours. Sign in again to go on.",
            )
            login = redirect_to_login(request.get_full_path())
            if request.headers.get("HX-Request") == "true":
                return HttpResponseClientRedirect(login.url)
            return login
        response = self.get_response(request)
        if request.user.is_authenticated:
            now = int(time.time())
            session = request.session
            session.setdefault(SIGNED_IN_AT, now)
            if now - session.get(SEEN_AT, 0) >= settings.SESSION_IDLE_REFRESH:
                session[SEEN_AT] = now
        return response

    @staticmethod
    def _expired(request: HttpRequest) -> bool:
        signed_in_at = request.session.get(SIGNED_IN_AT)
        return signed_in_at is not None and (
            time.time() - signed_in_at > settings.SESSION_ABSOLUTE_AGE
        )


STEP_URLS = {"code": "two_factor_verify", "enrol": "two_factor_settings"}


class TwoFactorMiddleware:
    """After the password, a person with two-factor sign-in must give a code; a person whose agency
    requires it must set it up. Until then every page but that step, sign-out and static files
    sends them to the step. Installed after django-otp's OTPMiddleware, which marks verification.

    The step is left on `request.sign_in_step` so that pages can hide navigation meanwhile.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.sign_in_step = step = two_factor.pending_step(request.user)
        if step is None or self._is_open(request, step):
            return self.get_response(request)
        url = reverse(STEP_URLS[step])
        if step == "code" and request.method == "GET":
            url += "?" + urlencode({"next": request.get_full_path()}, safe="/")
        return redirect(url)

    @staticmethod
    def _is_open(request: HttpRequest, step: str) -> bool:
        path = request.path
        return path in (reverse(STEP_URLS[step]), reverse("logout")) or path.startswith(
            settings.STATIC_URL
            if settings.STATIC_URL.startswith("/")
            else f"/{settings.STATIC_URL}"
        )


class NoStoreMiddleware:
    """Every response to a signed-in person, page or download, is `Cache-Control: no-store,
    private`: a shared computer's browser cache or a proxy never keeps an agency's data."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.user.is_authenticated:
            patch_cache_control(response, no_store=True, private=True)
        return response
