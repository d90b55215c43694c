from __future__ import annotations

import django_otp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.util import random_hex

from accounts import audit, services, two_factor
from accounts.access import get_agency, get_invitation, get_member, get_membership
from accounts.forms import (
    AcceptInvitationForm,
    AgencyForm,
    AuditFilterForm,
    InvitationForm,
    MembershipForm,
    TwoFactorCodeForm,
    TwoFactorDisableForm,
    TwoFactorEnrolForm,
)
from accounts.lockout import locked_out_usernames
from accounts.models import AuditEvent, Invitation, User
from accounts.once import submitted_once
from accounts.redirects import member_home, safe_next


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    memberships = list(request.user.agency_memberships.values())
    if len(memberships) == 1:
        return redirect(member_home(memberships[0]))
    return render(request, "accounts/home.html", {"memberships": memberships})


@require_safe
def people(request: HttpRequest, slug: str) -> HttpResponse:
    agency = get_agency(request, slug)
    can_manage = request.user.has_perm("accounts.manage_people", agency)
    context = {
        "agency": agency,
        "can_manage": can_manage,
        "memberships": agency.memberships.select_related("user").prefetch_related(
            "roles", "schools"
        ),
        "invitations": agency.invitations.pending().prefetch_related("roles", "schools")
        if can_manage
        else Invitation.objects.none(),
        "locked_out": locked_out_usernames(agency.memberships.values("user__email")),
    }
    return render(request, "accounts/people.html", context)


@require_POST
def membership_unlock(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = get_agency(request, slug)
    membership = get_member(request, agency, pk, "accounts.unlock_member")
    services.account_unlock(membership=membership, by=request.user)
    messages.success(request, f"{membership.user} can sign in again.")
    return redirect("people", slug=agency.slug)


@require_http_methods(["GET", "POST"])
@submitted_once
def invite(request: HttpRequest, slug: str) -> HttpResponse:
    agency = get_agency(request, slug, "accounts.manage_people")
    form = InvitationForm(request.POST or None, agency=agency)
    if request.method == "POST" and form.is_valid():
        try:
            invitation, token = services.invitation_create(
                agency=agency, invited_by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            accept_url = request.build_absolute_uri(reverse("invitation_link", args=[token]))
            transaction.on_commit(
                lambda: services.invitation_send(invitation=invitation, accept_url=accept_url)
            )
            messages.success(request, f"An invitation was sent to {invitation.email}.")
            return redirect("people", slug=agency.slug)
    context = {"agency": agency, "form": form, "valid_days": settings.INVITATION_VALID_DAYS}
    return render(request, "accounts/invite.html", context)


@require_POST
def invitation_revoke(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = get_agency(request, slug)
    invitation = get_invitation(request, agency, pk, "accounts.manage_people")
    services.invitation_revoke(invitation=invitation, by=request.user)
    messages.success(request, f"The invitation of {invitation.email} was withdrawn.")
    return redirect("people", slug=agency.slug)


@require_http_methods(["GET", "POST"])
def membership_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = get_agency(request, slug)
    membership = get_membership(request, agency, pk, "accounts.manage_people")
    form = MembershipForm(request.POST or None, instance=membership, agency=agency)
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_update(membership=membership, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{membership.user}'s access was saved.")
            return redirect("people", slug=agency.slug)
    context = {"agency": agency, "form": form, "membership": membership}
    return render(request, "accounts/membership_form.html", context)


@require_http_methods(["GET", "POST"])
def membership_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = get_agency(request, slug)
    membership = get_membership(request, agency, pk, "accounts.manage_people")
    error = None
    if request.method == "POST":
        try:
            services.membership_remove(membership=membership, by=request.user)
        except ValidationError as exc:
            error = exc.messages[0]
        else:
            messages.success(request, f"{membership.user} was removed from {agency.name}.")
            return redirect("people", slug=agency.slug)
    context = {"agency": agency, "membership": membership, "error": error}
    return render(request, "accounts/membership_remove.html", context, status=400 if error else 200)


# The invitation's token, once the emailed link has been opened: kept in the session, so the
# page the person works on has a clean URL and the token stays out of access logs and Referer.
INVITATION_TOKEN = "invitation_token"  # noqa: S105 — a session key, not a secret


@login_not_required
@require_safe
def invitation_link(request: HttpRequest, token: str) -> HttpResponse:
    """The emailed link: swaps its token for the session at once, and goes on to a clean URL."""
    request.session[INVITATION_TOKEN] = token
    return redirect("invitation_accept")


@login_not_required
@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest) -> HttpResponse:
    """Join an agency from an emailed link: signed in, or by creating an account."""
    token = request.session.get(INVITATION_TOKEN, "")
    invitation = Invitation.objects.select_related("agency").for_token(token).first()
    if invitation is None or not invitation.is_pending:
        return render(request, "accounts/invitation_invalid.html", status=410)
    has_account = User.objects.filter(email=invitation.email).exists()
    form = None
    if not request.user.is_authenticated and not has_account:
        form = AcceptInvitationForm(request.POST or None, email=invitation.email)
    ready = request.user.is_authenticated or (form is not None and form.is_valid())
    error = None
    if request.method == "POST" and ready:
        try:
            _accept(request, token, form)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            request.session.pop(INVITATION_TOKEN, None)
            messages.success(request, f"Welcome to {invitation.agency.name}.")
            return redirect(invitation.agency)
    context = {"invitation": invitation, "form": form, "has_account": has_account, "error": error}
    return render(request, "accounts/invitation_accept.html", context, status=400 if error else 200)


def _accept(request: HttpRequest, token: str, form: AcceptInvitationForm | None) -> None:
    if request.user.is_authenticated:
        services.invitation_accept(token=token, user=request.user)
        return
    user = services.invitation_accept_as_new_user(
        token=token,
        full_name=form.cleaned_data["full_name"],
        job_title=form.cleaned_data["job_title"],
        password=form.cleaned_data["password1"],
    )
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")


@require_http_methods(["GET", "POST"])
def agency_settings(request: HttpRequest, slug: str) -> HttpResponse:
    agency = get_agency(request, slug, "accounts.change_agency")
    form = AgencyForm(request.POST or None, request.FILES or None, instance=agency)
    if request.method == "POST" and form.is_valid():
        services.agency_update(agency=agency, by=request.user, **form.cleaned_data)
        messages.success(request, "The agency's details were saved.")
        return redirect("agency_settings", slug=agency.slug)
    return render(request, "accounts/agency_settings.html", {"agency": agency, "form": form})


@require_safe
def agency_logo(request: HttpRequest, slug: str) -> FileResponse:
    agency = get_agency(request, slug, "accounts.view_published")  # on the public summary too
    if not agency.logo:
        raise Http404("No logo.")
    response = FileResponse(agency.logo.open("rb"))
    response["X-Content-Type-Options"] = "nosniff"
    return response


# Two-factor sign-in. The session holds the key being set up (until confirmed) and a new set of
# recovery codes (until shown once).
SETUP_KEY = "two_factor_setup_key"
NEW_CODES = "two_factor_new_codes"


def _next_url(request: HttpRequest) -> str:
    return safe_next(request, resolve_url(settings.LOGIN_REDIRECT_URL))


@never_cache
@require_http_methods(["GET", "POST"])
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """The second step of signing in: a code from the app, or a recovery code."""
    next_url = _next_url(request)
    if request.sign_in_step != "code":
        return redirect(next_url)
    form = TwoFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.two_factor_sign_in(user=request.user, code=form.cleaned_data["code"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            request.session.cycle_key()
            django_otp.login(request, device)
            if isinstance(device, StaticDevice):
                left = device.token_set.count()
                messages.warning(
                    request, f"You used a recovery code. {left} of them are left for next time."
                )
            return redirect(next_url)
    return render(request, "registration/two_factor_verify.html", {"form": form, "next": next_url})


@never_cache
@require_http_methods(["GET", "POST"])
def two_factor_settings(request: HttpRequest) -> HttpResponse:
    """Two-factor sign-in: its state, or setting it up with an authenticator app."""
    user = request.user
    device = two_factor.totp_device(user)
    if device is not None:
        recovery = two_factor.recovery_device(user)
        context = {
            "device": device,
            "recovery_left": recovery.token_set.count() if recovery else 0,
            "required": two_factor.is_required(user),
        }
        return render(request, "accounts/two_factor.html", context)
    key = request.session.setdefault(SETUP_KEY, random_hex(20))
    form = TwoFactorEnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = services.two_factor_enable(
                user=user,
                key=key,
                code=form.cleaned_data["code"],
                signing_in=request.sign_in_step == "enrol",
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            del request.session[SETUP_KEY]
            request.session[NEW_CODES] = codes
            django_otp.login(request, device)
            messages.success(request, "Two-factor sign-in is on.")
            return redirect("two_factor_recovery_codes")
    context = {
        "form": form,
        "secret": two_factor.secret_for_display(key),
        "qr": two_factor.qr_data_uri(two_factor.config_url(user, key)),
        "required": two_factor.is_required(user),
    }
    return render(request, "accounts/two_factor_setup.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def two_factor_recovery_codes(request: HttpRequest) -> HttpResponse:
    """A new set of recovery codes is shown once; afterwards only how many are left."""
    if not two_factor.has_two_factor(request.user):
        return redirect("two_factor_settings")
    if request.method == "POST":
        request.session[NEW_CODES] = services.recovery_codes_create(user=request.user)
        messages.success(request, "Your new recovery codes are below. The old ones no longer work.")
        return redirect("two_factor_recovery_codes")
    recovery = two_factor.recovery_device(request.user)
    context = {
        "codes": request.session.pop(NEW_CODES, None),
        "recovery_left": recovery.token_set.count() if recovery else 0,
    }
    return render(request, "accounts/two_factor_recovery_codes.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def two_factor_disable(request: HttpRequest) -> HttpResponse:
    """Turn two-factor sign-in off with the password and a code; not where an agency needs it."""
    user = request.user
    if not two_factor.has_two_factor(user):
        return redirect("two_factor_settings")
    required = two_factor.is_required(user)
    form = TwoFactorDisableForm(request.POST or None, user=user, request=request)
    if request.method == "POST" and not required and form.is_valid():
        try:
            services.two_factor_verify(user=user, code=form.cleaned_data["code"])
            services.two_factor_disable(user=user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Two-factor sign-in is off.")
            return redirect("two_factor_settings")
    status = 400 if request.method == "POST" and required else 200
    context = {"form": form, "required": required}
    return render(request, "accounts/two_factor_disable.html", context, status=status)


AUDIT_PAGE_SIZE = 50


def _audit_events(request: HttpRequest, agency) -> tuple[AuditFilterForm, object]:
    form = AuditFilterForm(request.GET or None, agency=agency)
    events = AuditEvent.objects.for_agency(agency)
    if not form.is_bound:
        return form, events
    return form, form.filter(events) if form.is_valid() else events.none()


@require_safe
def audit_log(request: HttpRequest, slug: str) -> HttpResponse:
    """The agency's audit log for its leads: newest first, filtered, 50 to a page."""
    agency = get_agency(request, slug, "accounts.view_audit_log")
    form, events = _audit_events(request, agency)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "agency": agency,
        "form": form,
        "page": Paginator(events, AUDIT_PAGE_SIZE).get_page(request.GET.get("page")),
        "query": query.urlencode(),
    }
    status = 400 if form.errors else 200
    return render(request, "accounts/audit_log.html", context, status=status)


@require_safe
def audit_log_export(request: HttpRequest, slug: str) -> HttpResponse:
    """The filtered events as CSV; exporting is itself recorded."""
    agency = get_agency(request, slug, "accounts.view_audit_log")
    form, events = _audit_events(request, agency)
    if form.errors:
        return audit_log(request, slug)
    audit.record(
        AuditEvent.Action.AUDIT_LOG_EXPORTED,
        agency=agency,
        actor=request.user,
        summary="Exported the audit log as CSV",
        filters={k: str(v) for k, v in form.cleaned_data.items() if v} if form.is_bound else {},
    )
    response = StreamingHttpResponse(
        audit.events_csv(events), content_type="text/csv; charset=utf-8"
    )
    name = f"muster-{agency.slug}-audit-{timezone.localdate().isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


class _PasswordRecorded:
    """A Django password view whose new password is recorded in the audit log, in the same
    transaction as the change."""

    action: str
    summary: str

    def form_valid(self, form):
        with transaction.atomic():
            response = super().form_valid(form)
            user = form.user
            audit.record_for_person(
                self.action, user=user, actor=user, summary=self.summary.format(email=user.email)
            )
        return response


class PasswordChangeView(_PasswordRecorded, auth_views.PasswordChangeView):
    action = AuditEvent.Action.PASSWORD_CHANGED
    summary = "{email} changed their password"


class PasswordResetConfirmView(_PasswordRecorded, auth_views.PasswordResetConfirmView):
    action = AuditEvent.Action.PASSWORD_RESET
    summary = "{email} set a new password from a reset link"
