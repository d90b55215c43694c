"""Hold a half-signed-in person at the two-factor step until it is done."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from accounts import two_factor

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
