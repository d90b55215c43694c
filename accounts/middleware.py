"""A session's absolute limit: it ends a fixed time after sign-in, however active it is.

The idle limit is Django's own (SESSION_COOKIE_AGE with SESSION_SAVE_EVERY_REQUEST); this
middleware adds the other half, which Django does not have.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django_htmx.http import HttpResponseClientRedirect

SIGNED_IN_AT = "muster_signed_in_at"


class SessionLimitMiddleware:
    """Signs out a session SESSION_ABSOLUTE_AGE seconds after it signed in.

    The sign-in time is recorded on the response that signs in, whichever view did it. A
    signed-in session without one (made before this limit existed) starts its clock now.
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
        if request.user.is_authenticated and SIGNED_IN_AT not in request.session:
            request.session[SIGNED_IN_AT] = int(time.time())
        return response

    @staticmethod
    def _expired(request: HttpRequest) -> bool:
        signed_in_at = request.session.get(SIGNED_IN_AT)
        return signed_in_at is not None and (
            time.time() - signed_in_at > settings.SESSION_ABSOLUTE_AGE
        )
