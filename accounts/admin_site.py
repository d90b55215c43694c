"""The admin site: only with a second factor, and every change it makes in an agency's audit log.

It is Django's AdminSite as django-otp's OTPAdminSite: a person is let in only when their
session was verified with a code. Signing in happens on Muster's own sign-in page (the lockout,
the code step and the audit log are there), never on a second login form of the admin's.

Every model registered here (ours, and those of django-axes and django-otp) gets AuditedAdmin:
what the admin adds, changes or deletes is recorded in the log of each agency the object belongs
to, found through its foreign keys, so no model needs code of its own for it.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.models import LogEntry
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django_otp.admin import OTPAdminSite

from accounts.audit import record
from accounts.models import Agency, AuditEvent, User

# How far along foreign keys an object's agency is looked for (an evidence file's is three away:
# attachment → response → assessment → agency).
AGENCY_DEPTH = 4


def agencies_of(obj: Model) -> list[Agency]:
    """The agencies whose data `obj` is: itself, the nearest agency along its foreign keys, or,
    for a person's things (a two-factor device), the agencies the person belongs to."""
    if isinstance(obj, Agency):
        return [obj]
    if isinstance(obj, User):
        return list(Agency.objects.filter(memberships__user=obj))
    frontier = [obj]
    for _ in range(AGENCY_DEPTH):
        frontier = [parent for row in frontier for parent in _parents(row)]
        if agencies := [parent for parent in frontier if isinstance(parent, Agency)]:
            return agencies[:1]
        frontier = [parent for parent in frontier if not isinstance(parent, User)]
    person = next((p for p in _parents(obj) if isinstance(p, User)), None)
    return agencies_of(person) if person else []


def _parents(obj: Model) -> list[Model]:
    fields = [f for f in obj._meta.concrete_fields if f.many_to_one or f.one_to_one]
    return [parent for f in fields if (parent := getattr(obj, f.name, None)) is not None]


class AuditedAdmin:
    """Records each admin change in the audit log of the agencies it touches."""

    def log_addition(self, request: HttpRequest, obj: Model, message) -> LogEntry:
        entry = super().log_addition(request, obj, message)
        _record(request.user, obj, "added", entry)
        return entry

    def log_change(self, request: HttpRequest, obj: Model, message) -> LogEntry:
        entry = super().log_change(request, obj, message)
        _record(request.user, obj, "changed", entry)
        return entry

    def log_deletions(self, request: HttpRequest, queryset) -> list[LogEntry]:
        # Called before the deletion: each object can still be followed to its agency.
        objects = list(queryset)
        entries = super().log_deletions(request, objects)
        for obj, entry in zip(objects, entries, strict=True):
            _record(request.user, obj, "deleted", entry)
        return entries


def _record(user: User, obj: Model, verb: str, entry: LogEntry) -> None:
    change = entry.get_change_message()
    summary = f"{user.email} {verb} {obj._meta.verbose_name} “{obj}” in the admin"
    for agency in agencies_of(obj):
        record(
            AuditEvent.Action.ADMIN_CHANGED,
            agency=agency,
            actor=user,
            target=obj,
            summary=f"{summary}: {change}" if change and verb == "changed" else summary,
            verb=verb,
            change=change,
        )


class MusterAdminSite(OTPAdminSite):
    name = "admin"
    site_header = "Muster administration"

    def __init__(self, name: str = "admin") -> None:
        super().__init__(name)

    def register(self, model_or_iterable, admin_class=None, **options) -> None:
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, AuditedAdmin):
            attrs = {"__module__": admin_class.__module__}
            admin_class = type(admin_class.__name__, (AuditedAdmin, admin_class), attrs)
        super().register(model_or_iterable, admin_class, **options)

    def login(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        """Muster's own sign-in, then its code step; a person without two-factor sign-in is sent
        to set it up, since the admin is never open without it."""
        next_url = request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index")
        if not request.user.is_authenticated:
            return redirect_to_login(next_url)
        if not request.user.is_verified():
            messages.info(request, "The admin needs two-factor sign-in: turn it on first.")
            return redirect("two_factor_settings")
        return super().login(request, extra_context)
