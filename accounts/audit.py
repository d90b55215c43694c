"""The audit log: one function records an event, in the caller's transaction.

Services call `record(...)` where the operation happens, so if the operation rolls back, so does
its record. The IP address and browser of the request come from a context variable that
`AuditContextMiddleware` sets, so services need no request. Sign-ins, sign-outs and lockouts
arrive as Django's (and django-axes') signals, connected in `AccountsConfig.ready`.

    record(AuditEvent.Action.UNLOCKED, agency=agency, actor=lead, target=user,
           summary=f"Unlocked {user.email}")
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass

from django.db.models import Model
from django.http import HttpRequest, HttpResponse

from accounts import lockout, two_factor
from accounts.models import Agency, AuditEvent, User
from accounts.spreadsheets import csv_lines

Action = AuditEvent.Action
USER_AGENT_LENGTH = AuditEvent._meta.get_field("user_agent").max_length
SUMMARY_LENGTH = AuditEvent._meta.get_field("summary").max_length


@dataclass(frozen=True)
class Origin:
    """Where a request came from, as the audit log keeps it."""

    ip_address: str | None = None
    user_agent: str = ""

    @classmethod
    def of(cls, request: HttpRequest) -> Origin:
        return cls(
            ip_address=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_LENGTH],
        )


_origin: ContextVar[Origin | None] = ContextVar("audit_origin", default=None)


def client_ip(request: HttpRequest) -> str | None:
    """The client's address, read as the lockout reads it (`accounts.lockout.client_ip`: the
    connection's, or behind TRUSTED_PROXIES the one our proxies saw)."""
    try:
        return str(ipaddress.ip_address(lockout.client_ip(request) or ""))
    except ValueError:
        return None


class AuditContextMiddleware:
    """Makes the request's origin known to `record` for the length of the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _origin.set(Origin.of(request))
        try:
            return self.get_response(request)
        finally:
            _origin.reset(token)


def record(
    action: str,
    *,
    agency: Agency | None = None,
    actor: User | None = None,
    actor_email: str = "",
    target: Model | None = None,
    summary: str = "",
    origin: Origin | None = None,
    **details,
) -> AuditEvent:
    """Add an event to the audit log, inside the caller's transaction.

    `actor_email` defaults to the actor's address (a failed sign-in passes the address tried);
    `target` is the object acted on; `details` are stored as JSON (old → new values, formats).
    """
    origin = origin or _origin.get() or Origin()
    event = AuditEvent(
        agency=agency,
        actor=actor,
        actor_email=(actor_email or (actor.email if actor else ""))[:254],
        action=action,
        summary=(summary or Action(action).label)[:SUMMARY_LENGTH],
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        ip_address=origin.ip_address,
        user_agent=origin.user_agent,
        details=details,
    )
    event.save()
    return event


def record_for_person(
    action: str,
    *,
    user: User | None,
    actor: User | None = None,
    actor_email: str = "",
    summary: str = "",
    origin: Origin | None = None,
    **details,
) -> list[AuditEvent]:
    """An event about a person's account (`user`, None for an unknown address), recorded in the
    log of each agency they belong to, or in no agency's log, so every lead of theirs sees it."""
    agencies = list(Agency.objects.filter(memberships__user=user)) if user else []
    return [
        record(
            action,
            agency=agency,
            actor=actor,
            actor_email=actor_email,
            target=user,
            summary=summary,
            origin=origin,
            **details,
        )
        for agency in agencies or [None]
    ]


# Signals: Django's sign-in and sign-out, django-axes' lockout --------------------------------


def on_logged_in(sender, request: HttpRequest | None, user: User, **kwargs) -> None:
    """The password was right. "Signed in" only when that is all the sign-in needs; otherwise
    the code step (or two-factor set-up) records it when done (`services.two_factor_sign_in`).

    A form that took the code with the password (the admin's) leaves the device on the user.
    """
    if getattr(user, "otp_device", None) is None and (step := _step_after_password(user)):
        summary = f"{user.email}'s password was accepted; awaiting {step}"
        action = Action.PASSWORD_ACCEPTED
    else:
        summary, action = f"{user.email} signed in", Action.LOGIN
    record_for_person(action, user=user, actor=user, summary=summary, origin=_of(request))


def _step_after_password(user: User) -> str | None:
    if two_factor.has_two_factor(user):
        return "their two-factor code"
    if two_factor.is_required(user):
        return "two-factor set-up, which their agency requires"
    return None


def on_logged_out(sender, request: HttpRequest | None, user: User | None, **kwargs) -> None:
    if user is not None:
        summary = f"{user.email} signed out"
        record_for_person(
            Action.LOGOUT, user=user, actor=user, summary=summary, origin=_of(request)
        )


def on_login_failed(
    sender, credentials: dict, request: HttpRequest | None = None, **kwargs
) -> None:
    """Only the address tried is kept: never the password, nor anything else submitted.

    Who tried is unknown, so the event has no actor: the account tried is its target. A wrong
    password re-entered by a signed-in person to confirm an act (`lockout.password_confirm`) is
    theirs: they are its actor.
    """
    user, email = _account(credentials.get("username"))
    if act := credentials.get(lockout.CONFIRMING):
        record_for_person(
            Action.PASSWORD_REFUSED,
            user=user,
            actor=user,
            summary=f"A wrong password was given to confirm {act} as {email}",
            origin=_of(request),
            act=act,
        )
        return
    record_for_person(
        Action.LOGIN_FAILED,
        user=user,
        actor_email=email,
        summary=f"Failed sign-in as {email or '(no address)'}",
        origin=_of(request),
        known_account=user is not None,
    )


def on_locked_out(
    sender, request: HttpRequest | None = None, username: str | None = None, **kwargs
) -> None:
    """django-axes locked out an address (and/or IP) after repeated failures."""
    user, email = _account(username)
    wait = getattr(request, "axes_wait_seconds", 0)
    summary = (
        f"Sign-in as {email or '(no address)'} held back {wait} s: many failures from this address"
        if wait
        else f"Sign-in locked for {email or '(no address)'} after repeated failures"
    )
    record_for_person(
        Action.LOCKED_OUT, user=user, actor_email=email, summary=summary, origin=_of(request)
    )


def _of(request: HttpRequest | None) -> Origin | None:
    return Origin.of(request) if request is not None else None


def _account(username: str | None) -> tuple[User | None, str]:
    email = User.objects.normalize_login(username or "")
    return User.objects.filter(email=email).first(), email


# Export ---------------------------------------------------------------------------------------

CSV_COLUMNS = [
    "when", "action", "summary", "person", "email", "target_type", "target_id", "ip_address",
    "user_agent", "details",
]  # fmt: skip


def events_csv(events) -> Iterator[str]:
    """The events as CSV text, row by row, for a streaming response. No cell can run as a
    spreadsheet formula: the log holds text that anyone could have typed (an address tried)."""
    rows = (
        [
            event.at.isoformat(),
            event.action,
            event.summary,
            event.person,
            event.actor_email,
            event.target_type,
            event.target_id,
            event.ip_address,
            event.user_agent,
            json.dumps(event.details, sort_keys=True) if event.details else "",
        ]
        for event in events.select_related("actor").iterator(chunk_size=500)
    )
    return csv_lines(CSV_COLUMNS, rows)
