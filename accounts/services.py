"""Operations on agencies, people and schools that span more than one row."""

from __future__ import annotations

import time
from binascii import unhexlify
from collections.abc import Iterable
from datetime import timedelta

import django_otp
from axes.utils import reset as axes_reset
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django_otp.models import Device
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import two_factor
from accounts.models import Agency, Invitation, Membership, Role, School, User


def _check_schools(agency: Agency, schools: Iterable[School]) -> list[School]:
    schools = list(schools)
    if any(school.agency_id != agency.pk for school in schools):
        raise ValidationError({"schools": "Choose schools of this agency only."})
    return schools


@transaction.atomic
def invitation_create(
    *,
    agency: Agency,
    email: str,
    access: str,
    roles: Iterable[Role] = (),
    schools: Iterable[School] = (),
    invited_by: User,
) -> tuple[Invitation, str]:
    """Invite someone to the agency; returns the invitation and its one-time token.

    An earlier open invitation to the same address is revoked, so only the newest link works.
    """
    email = User.objects.normalize_login(email)
    if Membership.objects.filter(agency=agency, user__email=email).exists():
        raise ValidationError({"email": "This person is already a member of the agency."})
    schools = _check_schools(agency, schools)
    Invitation.objects.filter(
        agency=agency, email=email, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    invitation = Invitation(
        agency=agency,
        email=email,
        access=access,
        invited_by=invited_by,
        expires_at=timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS),
    )
    token = invitation.set_new_token()
    invitation.full_clean()
    invitation.save()
    invitation.roles.set(roles)
    invitation.schools.set(schools)
    return invitation, token


def invitation_send(*, invitation: Invitation, accept_url: str) -> None:
    """Email the invitation link to its recipient."""
    context = {"invitation": invitation, "accept_url": accept_url}
    send_mail(
        subject=f"You are invited to {invitation.agency.name} on Muster",
        message=render_to_string("accounts/email/invitation.txt", context),
        from_email=None,
        recipient_list=[invitation.email],
    )


def invitation_revoke(*, invitation: Invitation) -> None:
    if invitation.accepted_at is None and invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])


def _pending_invitation(token: str) -> Invitation:
    invitation = Invitation.objects.select_for_update().for_token(token).first()
    if invitation is None or not invitation.is_pending:
        raise ValidationError("This invitation link is no longer valid.", code="invalid")
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, user: User) -> Membership:
    """Make `user` a member as the invitation says; the link then stops working."""
    invitation = _pending_invitation(token)
    if user.email != invitation.email:
        raise ValidationError(
            f"This invitation was sent to {invitation.email}. "
            "Sign in with that address to accept it.",
            code="wrong_user",
        )
    membership, _ = Membership.objects.get_or_create(
        user=user, agency=invitation.agency, defaults={"access": invitation.access}
    )
    membership.access = invitation.access
    membership.save(update_fields=["access"])
    membership.roles.set(invitation.roles.all())
    membership.schools.set(invitation.schools.all())
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership


@transaction.atomic
def invitation_accept_as_new_user(
    *, token: str, full_name: str, job_title: str, password: str
) -> User:
    """Create the account of an invited person who had none, and accept the invitation."""
    invitation = _pending_invitation(token)
    if User.objects.filter(email=invitation.email).exists():
        raise ValidationError("An account with this address exists: sign in to accept.")
    user = User.objects.create_user(
        invitation.email, password, full_name=full_name, job_title=job_title
    )
    invitation_accept(token=token, user=user)
    return user


def _leads_left(agency: Agency, without: Membership) -> bool:
    # Lock the agency's leads so that two leads stepping down at once cannot both succeed.
    leads = (
        Membership.objects.select_for_update(of=("self",))
        .order_by("pk")
        .filter(agency=agency, access=Membership.Access.LEAD)
    )
    return any(lead.pk != without.pk for lead in leads)


@transaction.atomic
def membership_update(
    *,
    membership: Membership,
    access: str,
    roles: Iterable[Role],
    schools: Iterable[School],
) -> Membership:
    """Change a member's access, roles and schools. An agency always keeps at least one lead."""
    schools = _check_schools(membership.agency, schools)
    # Read the stored access: a bound ModelForm has already changed the instance in memory.
    stored = Membership.objects.select_for_update().get(pk=membership.pk)
    stepping_down = stored.is_lead and access != Membership.Access.LEAD
    if stepping_down and not _leads_left(membership.agency, without=membership):
        raise ValidationError({"access": "The agency needs at least one lead."})
    membership.access = access
    membership.full_clean()
    membership.save(update_fields=["access"])
    membership.roles.set(roles)
    membership.schools.set(schools)
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership) -> None:
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.is_lead and not _leads_left(membership.agency, without=membership):
        raise ValidationError("The agency needs at least one lead: make someone else lead first.")
    membership.delete()


@transaction.atomic
def school_create(*, agency: Agency, **fields) -> School:
    """Add a school; an active one gets its rows in every open assessment at once."""
    from checklists.services import school_responses_ensure

    school = School(agency=agency, **fields)
    school.full_clean()
    school.save()
    school_responses_ensure(school=school)
    return school


@transaction.atomic
def school_update(*, school: School, **fields) -> School:
    """Change a school; reactivating it fills in any rows it missed while inactive."""
    from checklists.services import school_responses_ensure

    for name, value in fields.items():
        setattr(school, name, value)
    school.full_clean()
    school.save()
    school_responses_ensure(school=school)
    return school


def account_unlock(*, membership: Membership, by: User) -> int:
    """Let a locked-out member sign in again now: forget their failed sign-ins.

    Uses axes' reset, which deletes the failure records of their login (from every address).
    Returns how many records were removed.
    """
    return axes_reset(username=membership.user.email)


@transaction.atomic
def two_factor_enable(*, user: User, key: str, code: str) -> tuple[TOTPDevice, list[str]]:
    """Turn on two-factor sign-in with the authenticator app holding `key` (hex).

    The device only counts once `code` shows the app computes the same codes as we do. Returns
    the device and a fresh set of recovery codes, to be shown once.
    """
    totp = TOTP(unhexlify(key))
    totp.time = time.time()
    if not two_factor.TOTP_CODE.fullmatch(code) or not totp.verify(int(code), tolerance=1):
        raise ValidationError(
            {"code": "That code does not match. Enter the code your app shows now."}
        )
    TOTPDevice.objects.filter(user=user).delete()
    device = TOTPDevice.objects.create(
        user=user,
        name="Authenticator app",
        key=key,
        confirmed=True,
        drift=totp.drift,
        last_t=totp.t(),  # the code just used cannot be used again to sign in
    )
    return device, _recovery_codes_replace(user)


def _recovery_codes_replace(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(two_factor.RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


@transaction.atomic
def recovery_codes_create(*, user: User) -> list[str]:
    """Replace a person's recovery codes with a new set; the old codes stop working."""
    if not two_factor.has_two_factor(user):
        raise ValidationError("Turn on two-factor sign-in first.")
    return _recovery_codes_replace(user)


@transaction.atomic
def two_factor_disable(*, user: User) -> None:
    """Turn two-factor sign-in off, unless an agency of theirs requires it."""
    if two_factor.is_required(user):
        raise ValidationError(
            "Your agency requires two-factor sign-in, so it cannot be turned off.",
            code="required",
        )
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


def _verify(user: User, device: Device | None, code: str) -> Device:
    # Not inside a transaction of ours: a wrong code must leave its throttling mark even though
    # we raise. django_otp.verify_token locks the device row while it checks and counts.
    if device is None:
        raise ValidationError({"code": "That code is not right. Check it and try again."})
    allowed, details = device.verify_is_allowed()
    if not allowed:
        wait = max(1, int((details["locked_until"] - timezone.now()).total_seconds()) + 1)
        raise ValidationError(
            {"code": f"Too many wrong codes. Wait {wait} seconds, then try again."},
            code="throttled",
        )
    verified = django_otp.verify_token(user, device.persistent_id, code)
    if verified is None:
        raise ValidationError({"code": "That code is not right. Check it and try again."})
    return verified


def recovery_code_use(*, user: User, code: str) -> StaticDevice:
    """Sign in with one of the person's recovery codes, which then stops working."""
    return _verify(user, two_factor.recovery_device(user), two_factor.normalize_code(code))


def two_factor_verify(*, user: User, code: str) -> Device:
    """Check a sign-in code: six digits from the authenticator app, or a recovery code.

    Raises ValidationError (on "code") for a wrong code, or while wrong codes are throttled:
    each device waits 1, 2, 4, 8… seconds after consecutive failures (django-otp's throttling).
    """
    code = two_factor.normalize_code(code)
    if two_factor.TOTP_CODE.fullmatch(code):
        return _verify(user, two_factor.totp_device(user), code)
    return recovery_code_use(user=user, code=code)
