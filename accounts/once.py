"""Forms that create something are acted on once, however often they are submitted.

A double click on "Start next assessment" sends the same form twice. Each create form carries a
one-time token (`OnceForm`, a hidden field); the view is decorated with `@submitted_once`. The
first POST with a token claims it in the shared cache (an atomic add, in the database every
worker shares), runs the view, and keeps the address it redirected to. Any later POST with the
same token, from the same person, is sent to that address instead of acting again: one object,
and the second click lands where the first did, without an error page. A POST that does not
redirect (a form with errors) frees its token, so the corrected form can be sent.

The button is also disabled while the form posts (static/js/muster.js), so most second clicks
never leave the browser; the token is what makes it certain.
"""

from __future__ import annotations

import secrets
import time
from functools import wraps

from django import forms
from django.contrib import messages
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

FIELD = "once"
TIMEOUT = 24 * 60 * 60  # a form left open overnight and sent twice the next morning
PENDING = "…"
WAIT_SECONDS = 10.0  # how long a repeat waits for the first submission to finish


class OnceForm(forms.Form):
    """A form with the hidden one-time token; mix it into a create form."""

    once = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields[FIELD].initial = secrets.token_urlsafe(16)

    def clean(self) -> dict:
        cleaned = super().clean()
        cleaned.pop(FIELD, None)  # the token is the view's business, not the service's
        return cleaned


def _key(request: HttpRequest, token: str) -> str:
    return f"muster:once:{request.user.pk}:{token}"


def _earlier_result(request: HttpRequest, key: str) -> HttpResponse:
    deadline = time.monotonic() + WAIT_SECONDS
    url = cache.get(key)
    while url == PENDING and time.monotonic() < deadline:
        time.sleep(0.1)
        url = cache.get(key)
    if not url or url == PENDING:  # the first is still at work (or failed): show the form again
        return redirect(request.get_full_path())
    messages.info(request, "That form was already sent: this is what it did.")
    return redirect(url)


def submitted_once(view):
    """Run a create view's POST once per form token; a repeat is sent where the first went."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        token = request.POST.get(FIELD, "") if request.method == "POST" else ""
        if not token or not request.user.is_authenticated or len(token) > 64:
            return view(request, *args, **kwargs)
        key = _key(request, token)
        if not cache.add(key, PENDING, TIMEOUT):
            return _earlier_result(request, key)
        try:
            response = view(request, *args, **kwargs)
        except BaseException:
            cache.delete(key)
            raise
        if 300 <= response.status_code < 400 and response.get("Location"):
            cache.set(key, response["Location"], TIMEOUT)
        else:
            cache.delete(key)
        return response

    return wrapper
