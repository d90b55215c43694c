"""Sign-in lockout with django-axes: who is the client, who is locked out, what they see.

The settings (`AXES_*`, `ADDRESS_*` in config/settings.py) point here. Failures are counted per
account and client address together, and per client address alone. An account is locked from
an address at `AXES_FAILURE_LIMIT` failures from there, so a stranger elsewhere cannot lock its
owner out; an address is slowed down after `ADDRESS_SLOWDOWN_AFTER` failures on any accounts
and locked at `ADDRESS_FAILURE_LIMIT`, high enough for a whole office behind one NAT. The
password re-entered to confirm an act (`password_confirm`) counts as a sign-in would.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Iterable
from datetime import timedelta
from functools import cache

from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.db.models import Max, Sum
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

    A connection from anywhere but one of TRUSTED_PROXIES is the client itself, whatever it
    sends. From a trusted proxy, X-Forwarded-For is read from the right, where the proxies write,
    past each hop that is itself a trusted proxy: the first other address is the client. Entries
    further left came from the client and are never read.
    """
    remote = request.META.get("REMOTE_ADDR")
    client = remote
    if not _is_trusted_proxy(client):
        return client
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    for hop in reversed([part.strip() for part in forwarded if part.strip()]):
        try:
            client = str(ipaddress.ip_address(hop))
        except ValueError:  # not written by a proxy of ours: the last good hop is all we know
            return client
        if not _is_trusted_proxy(client):
            return client
    return client


def _is_trusted_proxy(address: str | None) -> bool:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip in network for network in _networks(tuple(settings.TRUSTED_PROXIES)))


@cache
def _networks(proxies: tuple[str, ...]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(proxy, strict=False) for proxy in proxies]


def locked_out_usernames(usernames: Iterable[str]) -> set[str]:
    """Which of these logins are locked out from some address now, in one query (a queryset of
    emails works)."""
    since = timezone.now() - get_cool_off()
    return set(
        AccessAttempt.objects.filter(username__in=usernames, attempt_time__gte=since)
        .values("username", "ip_address")
        .annotate(failures=Sum("failures_since_start"))
        .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
        .values_list("username", flat=True)
    )


class LockoutHandler(AxesDatabaseHandler):
    """axes' database handler, with a limit of its own for the address alone and a slow-down.

    axes compares one count with one limit: `get_failures` is the account's failures from this
    address, or the limit itself once the address as a whole has reached ADDRESS_FAILURE_LIMIT.
    """

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        account, address = (_failures(q) for q in self.get_user_attempts(request, credentials))
        if address >= settings.ADDRESS_FAILURE_LIMIT:
            return max(account, settings.AXES_FAILURE_LIMIT)
        return account

    def is_locked(self, request: HttpRequest, credentials: dict | None = None) -> bool:
        if super().is_locked(request, credentials):
            return True
        request.axes_wait_seconds = _slowdown(request.axes_ip_address)
        return request.axes_wait_seconds > 0

    def reset_user_attempts(self, request: HttpRequest, credentials: dict | None = None) -> int:
        """A successful sign-in forgets that account's failures from that address only: the
        address's count stays, or signing in to one's own account would reset it."""
        account = self.filter_user_attempts(request, credentials)[0]
        return account.delete()[0]


def _failures(attempts) -> int:
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


def _slowdown(ip_address: str | None) -> int:
    """Seconds this address must still wait before its next try: none until it has failed
    ADDRESS_SLOWDOWN_AFTER times, then 1, 2, 4… (at most ADDRESS_SLOWDOWN_MAX_SECONDS) after
    its last failure."""
    since = timezone.now() - get_cool_off()
    found = AccessAttempt.objects.filter(ip_address=ip_address, attempt_time__gte=since).aggregate(
        failures=Sum("failures_since_start"), last=Max("attempt_time")
    )
    beyond = (found["failures"] or 0) - settings.ADDRESS_SLOWDOWN_AFTER
    if beyond < 0:
        return 0
    wait = timedelta(seconds=min(2**beyond, settings.ADDRESS_SLOWDOWN_MAX_SECONDS))
    return max(0, math.ceil((found["last"] + wait - timezone.now()).total_seconds()))


# Marks a failure that was a password re-entered to confirm an act, not a sign-in.
CONFIRMING = "confirming"


def password_confirm(request: HttpRequest, *, user: User, password: str, act: str) -> None:
    """Check the password a signed-in person re-enters to confirm `act` (e.g. "sign-off").

    It counts toward the same lockout as signing in: a wrong one is a failure of this account
    from this address, audited, and while the account or address is locked out it is refused
    unchecked. Raises ValidationError on "password".
    """
    credentials = {settings.AXES_USERNAME_FORM_FIELD: user.email, CONFIRMING: act}
    if not AxesProxyHandler.is_allowed(request, credentials):
        raise ValidationError({"password": _refusal(request)}, code="locked_out")
    if user.check_password(password):
        return
    user_login_failed.send(sender=__name__, credentials=credentials, request=request)
    if request.axes_locked_out:
        raise ValidationError({"password": _refusal(request)}, code="locked_out")
    raise ValidationError({"password": "That is not your password."}, code="wrong")


def _refusal(request: HttpRequest) -> str:
    # The form says so beside the field: the sign-in lockout page (AxesMiddleware) is for sign-in.
    request.axes_locked_out = False
    if wait := getattr(request, "axes_wait_seconds", 0):
        return f"Too many wrong passwords from your network: wait {wait} s, then try again."
    minutes = int(get_cool_off(request).total_seconds() // 60)
    return (
        f"Too many wrong passwords: try again in {minutes} minutes, or ask a lead of your agency "
        "to unlock you."
    )


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """The page a locked-out (or slowed-down) person sees instead of axes' bare text."""
    wait = getattr(request, "axes_wait_seconds", 0)
    minutes = int(get_cool_off(request).total_seconds() // 60)
    context = {"minutes": minutes, "wait_seconds": wait}
    response = render(request, "registration/locked_out.html", context, status=429)
    response["Retry-After"] = str(wait or minutes * 60)
    return response
