"""Sign-in lockout with django-axes: who is the client, who is locked out, what they see.

The settings (`AXES_*` in config/settings.py) point here. Failures are counted per login and,
separately, per client address; either reaching `AXES_FAILURE_LIMIT` within the cool-off locks.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.models import User


def username(request: HttpRequest, credentials: dict | None) -> str | None:
    """The login axes counts failures against: the email as typed, normalized like a login.

    Without this, "Chief@…" and "chief@…" would be two separate counters for one account.
    """
    data = credentials if credentials else request.POST
    value = data.get(settings.AXES_USERNAME_FORM_FIELD)
    return User.objects.normalize_login(value) if value else None


def client_ip(request: HttpRequest) -> str | None:
    """The client's address, which a client cannot choose by sending X-Forwarded-For.

    With no trusted proxy (TRUSTED_PROXY_COUNT=0) it is the connection's address. Behind N
    proxies that each append to X-Forwarded-For, it is the N-th entry from the right: the one our
    outermost proxy wrote. Entries further left came from the client and are never read.
    """
    remote = request.META.get("REMOTE_ADDR")
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < count:  # not through all our proxies: the connection is the client
        return remote
    try:
        return str(ipaddress.ip_address(forwarded[-count]))
    except ValueError:
        return remote


def locked_out_usernames(usernames: Iterable[str]) -> set[str]:
    """Which of these logins are locked out now, in one query (a queryset of emails works)."""
    since = timezone.now() - get_cool_off()
    return set(
        AccessAttempt.objects.filter(username__in=usernames, attempt_time__gte=since)
        .values("username")
        .annotate(failures=Sum("failures_since_start"))
        .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
        .values_list("username", flat=True)
    )


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """The page a locked-out person sees instead of axes' bare text."""
    minutes = int(get_cool_off(request).total_seconds() // 60)
    return render(request, "registration/locked_out.html", {"minutes": minutes}, status=429)
