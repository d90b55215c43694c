"""Operations on agencies, people and schools that span more than one row."""

from __future__ import annotations

import time
from binascii import unhexlify
from collections.abc import Iterable
from datetime import timedelta

import django_otp
from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify
from django_otp.models import Device
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import two_factor
from accounts.audit import record, record_for_person
from accounts.models import Agency, AuditEvent, Invitation, Membership, Role, School, User

Action = AuditEvent.Action


def _changes(before: dict, after: dict) -> dict[str, list]:
    """{field: [old, new]} for each value that differs, for the audit log."""
    return {
        name: [before.get(name), value]
        for name, value in after.items()
        if before.get(name) != value
    }


def _describe(changes: dict[str, list]) -> str:
    def text(value) -> str:
        if isinstance(value, list):
            value = ", ".join(map(str, value))
        return str(value) if value not in (None, "") else "—"

    return "; ".join(
        f"{name.replace('_', ' ')}: {text(old)} → {text(new)}"
        for name, (old, new) in changes.items()
    )


def _access_of(access: str, roles: Iterable[Role], schools: Iterable[School]) -> dict:
    return {
        "access": access,
        "roles": sorted(role.name for role in roles),
        "schools": sorted(school.name for school in schools),
    }


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
    invited_by: User | None,
) -> tuple[Invitation, str]:
    """Invite someone to the agency; returns the invitation and its one-time token.

    An earlier open invitation to the same address is revoked, so only the newest link works.
    `invited_by` is None when an operator invites an agency's first lead (`agency_create`).
    """
    email = User.objects.normalize_login(email)
    roles = list(roles)
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
    record(
        Action.INVITATION_SENT,
        agency=agency,
        actor=invited_by,
        target=invitation,
        summary=f"{'Invited' if invited_by else 'An operator invited'} {email} as "
        f"{invitation.get_access_display()}",
        email=email,
        **_access_of(access, roles, schools),
    )
    return invitation, token


def invitation_send(*, invitation: Invitation, accept_url: str) -> None:
    """Email the invitation link to its recipient."""
    context = {"invitation": invitation, "accept_url": accept_url}
    # One line: a line break in the agency's name would be refused in a mail header.
    agency = " ".join(invitation.agency.name.split())
    send_mail(
        subject=f"You are invited to {agency} on Muster",
        message=render_to_string("accounts/email/invitation.txt", context),
        from_email=None,
        recipient_list=[invitation.email],
    )


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, by: User) -> None:
    if invitation.accepted_at is None and invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        record(
            Action.INVITATION_REVOKED,
            agency=invitation.agency,
            actor=by,
            target=invitation,
            summary=f"Withdrew the invitation of {invitation.email}",
            email=invitation.email,
        )


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
    membership, created = Membership.objects.get_or_create(
        user=user, agency=invitation.agency, defaults={"access": invitation.access}
    )
    before = _access_of(membership.access, membership.roles.all(), membership.schools.all())
    membership.access = invitation.access
    membership.save(update_fields=["access"])
    membership.roles.set(invitation.roles.all())
    membership.schools.set(invitation.schools.all())
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    _record_accepted(invitation, membership, before=None if created else before)
    return membership


def _record_accepted(invitation: Invitation, membership: Membership, before: dict | None) -> None:
    user, agency = membership.user, membership.agency
    after = _access_of(membership.access, membership.roles.all(), membership.schools.all())
    record(
        Action.INVITATION_ACCEPTED,
        agency=agency,
        actor=user,
        target=invitation,
        summary=f"{user.email} accepted the invitation",
    )
    if before is None:
        summary = f"{user.email} joined as {membership.get_access_display()}"
        record(
            Action.MEMBERSHIP_CREATED,
            agency=agency,
            actor=user,
            target=membership,
            summary=summary,
            **after,
        )
    elif changes := _changes(before, after):
        summary = f"{user.email}'s access changed by invitation: {_describe(changes)}"
        record(
            Action.MEMBERSHIP_CHANGED,
            agency=agency,
            actor=user,
            target=membership,
            summary=summary,
            changes=changes,
        )


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


def _membership_locked(membership: Membership, *, by: User) -> tuple[Membership, bool]:
    """Lock the membership and every lead of its agency, in one order; and whether a lead other
    than this member would be left.

    Every membership change takes its row locks here, all at once and in primary-key order, so
    two leads changing each other at the same moment queue one behind the other instead of
    deadlocking; the one who waited then sees what the other changed, and is refused if that
    took away their own lead access or the membership itself.
    """
    rows = (
        Membership.objects.select_for_update(of=("self",))
        .filter(
            Q(pk=membership.pk) | Q(agency_id=membership.agency_id, access=Membership.Access.LEAD)
        )
        .order_by("pk")
    )
    locked = {row.pk: row for row in rows}
    stored = locked.get(membership.pk)
    if stored is None:
        raise ValidationError("This person was removed from the agency meanwhile.")
    if not any(row.user_id == by.pk and row.is_lead for row in locked.values()):
        raise ValidationError("Your own access changed meanwhile: only a lead manages people.")
    others = any(row.is_lead and pk != membership.pk for pk, row in locked.items())
    return stored, others


@transaction.atomic
def membership_update(
    *,
    membership: Membership,
    access: str,
    roles: Iterable[Role],
    schools: Iterable[School],
    by: User,
) -> Membership:
    """Change a member's access, roles and schools. An agency always keeps at least one lead."""
    schools, roles = _check_schools(membership.agency, schools), list(roles)
    # Read the stored access: a bound ModelForm has already changed the instance in memory.
    stored, other_leads = _membership_locked(membership, by=by)
    before = _access_of(stored.access, stored.roles.all(), stored.schools.all())
    if stored.is_lead and access != Membership.Access.LEAD and not other_leads:
        raise ValidationError({"access": "The agency needs at least one lead."})
    membership.access = access
    membership.full_clean()
    membership.save(update_fields=["access"])
    membership.roles.set(roles)
    membership.schools.set(schools)
    after = _access_of(access, roles, schools)
    if changes := _changes(before, after):
        record(
            Action.MEMBERSHIP_CHANGED,
            agency=membership.agency,
            actor=by,
            target=membership,
            summary=f"Changed {membership.user.email}'s access: {_describe(changes)}",
            changes=changes,
        )
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, by: User) -> None:
    membership, other_leads = _membership_locked(membership, by=by)
    if membership.is_lead and not other_leads:
        raise ValidationError("The agency needs at least one lead: make someone else lead first.")
    record(
        Action.MEMBERSHIP_REMOVED,
        agency=membership.agency,
        actor=by,
        target=membership,
        summary=f"Removed {membership.user.email} from the agency",
        email=membership.user.email,
        **_access_of(membership.access, membership.roles.all(), membership.schools.all()),
    )
    membership.delete()


@transaction.atomic
def school_create(*, agency: Agency, by: User, **fields) -> School:
    """Add a school (its checklist rows are the assessments' business: `school_add`)."""
    school = School(agency=agency, **fields)
    school.full_clean()
    school.save()
    record(
        Action.SCHOOL_ADDED, agency=agency, actor=by, target=school, summary=f"Added {school.name}"
    )
    return school


@transaction.atomic
def school_update(*, school: School, by: User, **fields) -> School:
    """Change a school, recording what changed."""
    # Read the stored values: a bound ModelForm has already changed the instance in memory.
    stored = School.objects.select_for_update().get(pk=school.pk)
    for name, value in fields.items():
        setattr(school, name, value)
    school.full_clean()
    school.save()
    if changes := _changes({name: getattr(stored, name) for name in fields}, fields):
        archived = changes.get("is_active") == [True, False]
        record(
            Action.SCHOOL_ARCHIVED if archived else Action.SCHOOL_CHANGED,
            agency=school.agency,
            actor=by,
            target=school,
            summary=f"{'Archived' if archived else 'Changed'} {school.name}: {_describe(changes)}",
            changes=changes,
        )
    return school


@transaction.atomic
def account_unlock(*, membership: Membership, by: User) -> int:
    """Let a locked-out member sign in again now: lift every lock that keeps them out.

    Forgets their account's failures (from every address) and the failures of every address
    they tried to sign in from during the cool-off, whoever's account those were for: an
    office's shared address locked by others is lifted too. Returns how many records went.
    """
    user = membership.user
    since = timezone.now() - get_cool_off()
    tried_from = set(
        AccessAttempt.objects.filter(username=user.email).values_list("ip_address", flat=True)
    ) | set(
        AuditEvent.objects.filter(
            actor_email=user.email,
            action__in=[Action.LOGIN_FAILED, Action.LOCKED_OUT, Action.PASSWORD_REFUSED],
            at__gte=since,
            ip_address__isnull=False,
        ).values_list("ip_address", flat=True)
    )
    record(
        Action.UNLOCKED, agency=membership.agency, actor=by, target=user,
        summary=f"{by.email} unlocked {user.email}", addresses=sorted(tried_from - {None}),
    )  # fmt: skip
    removed, _ = AccessAttempt.objects.filter(
        Q(username=user.email) | Q(ip_address__in=tried_from - {None})
    ).delete()
    return removed


@transaction.atomic
def two_factor_enable(
    *, user: User, key: str, code: str, signing_in: bool = False
) -> tuple[TOTPDevice, list[str]]:
    """Turn on two-factor sign-in with the authenticator app holding `key` (hex).

    The device only counts once `code` shows the app computes the same codes as we do. Returns
    the device and a fresh set of recovery codes, to be shown once. `signing_in`: set up as the
    last step of signing in (the agency requires it), which it completes.
    """
    totp = TOTP(unhexlify(key))
    totp.time = time.time()
    if not two_factor.TOTP_CODE.fullmatch(code) or not totp.verify(int(code), tolerance=1):
        raise ValidationError(
            {"code": "That code does not match. Enter the code your app shows now."}
        )
    TOTPDevice.objects.filter(user=user).delete()
    record_for_person(
        Action.TWO_FACTOR_ENABLED, user=user, actor=user,
        summary=f"{user.email} turned on two-factor sign-in",
    )  # fmt: skip
    if signing_in:
        record_for_person(
            Action.LOGIN, user=user, actor=user,
            summary=f"{user.email} signed in, having set up two-factor sign-in",
        )  # fmt: skip
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
    record_for_person(
        Action.TWO_FACTOR_DISABLED, user=user, actor=user,
        summary=f"{user.email} turned off two-factor sign-in",
    )  # fmt: skip


def _verify(user: User, device: Device | None, code: str, signing_in: bool = False) -> Device:
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
        outcome = ": not signed in" if signing_in else ""
        record_for_person(
            Action.TWO_FACTOR_FAILED, user=user, actor=user,
            summary=f"A wrong two-factor code was given for {user.email}{outcome}",
        )  # fmt: skip
        raise ValidationError({"code": "That code is not right. Check it and try again."})
    return verified


def two_factor_sign_in(*, user: User, code: str) -> Device:
    """The code step of signing in: check the code (as `two_factor_verify`), and record that
    the person is now signed in. A wrong code is recorded as refused, the person not signed in."""
    device = two_factor_verify(user=user, code=code, signing_in=True)
    how = "a recovery code" if isinstance(device, StaticDevice) else "a two-factor code"
    record_for_person(
        Action.LOGIN, user=user, actor=user, summary=f"{user.email} signed in with {how}"
    )
    return device


def two_factor_verify(*, user: User, code: str, signing_in: bool = False) -> Device:
    """Check a sign-in code: six digits from the authenticator app, or a recovery code.

    Raises ValidationError (on "code") for a wrong code, or while wrong codes are throttled:
    each device waits 1, 2, 4, 8… seconds after consecutive failures (django-otp's throttling).
    """
    code = two_factor.normalize_code(code)
    if two_factor.TOTP_CODE.fullmatch(code):
        return _verify(user, two_factor.totp_device(user), code, signing_in)
    return _verify(user, two_factor.recovery_device(user), code, signing_in)


@transaction.atomic
def agency_create(
    *, name: str, kind: str, state: str, lead_email: str, slug: str = "", operator: str
) -> tuple[Agency, Invitation, str]:
    """A new agency, and an invitation for its first lead: an operator's act (`manage.py
    agency_create`), recorded in the new agency's log. Returns the agency, the invitation and
    its one-time token. Refuses a name (in any case) or slug that another agency has."""
    name = " ".join(name.split())
    agency = Agency(name=name, slug=slug or slugify(name)[:100], kind=kind, state=state)
    taken = {}
    if other := Agency.objects.filter(name__iexact=name).first():
        taken["name"] = f"An agency named “{other.name}” exists already (names ignore case)."
    if Agency.objects.filter(slug=agency.slug).exists():
        taken["slug"] = f"An agency with the slug “{agency.slug}” exists already: choose another."
    if taken:
        raise ValidationError(taken)
    agency.full_clean()
    agency.save()
    record(
        Action.AGENCY_CREATED, agency=agency, target=agency, actor_email="",
        summary=f"Operator {operator} created the agency {name}", operator=operator,
    )  # fmt: skip
    invitation, token = invitation_create(
        agency=agency, email=lead_email, access=Membership.Access.LEAD, invited_by=None
    )
    return agency, invitation, token


@transaction.atomic
def agency_update(*, agency: Agency, by: User, **fields) -> Agency:
    """Change how the agency is named and shown on its reports (a logo is an uploaded file)."""
    stored = Agency.objects.select_for_update().get(pk=agency.pk)
    for name, value in fields.items():
        # As a ModelForm saves: a file field takes an upload, False to clear, or its current file.
        agency._meta.get_field(name).save_form_data(agency, value)
    agency.full_clean()
    agency.save()
    before = {name: str(getattr(stored, name)) for name in fields}
    if changes := _changes(before, {name: str(getattr(agency, name)) for name in fields}):
        record(
            Action.AGENCY_CHANGED,
            agency=agency,
            actor=by,
            target=agency,
            summary=f"Changed the agency's settings: {_describe(changes)}",
            changes=changes,
        )
    return agency
