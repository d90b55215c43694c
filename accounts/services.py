"""Operations on agencies, people and schools that span more than one row."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

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
    # One line: a line break in the agency's name would be refused in a mail header.
    agency = " ".join(invitation.agency.name.split())
    send_mail(
        subject=f"You are invited to {agency} on Muster",
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
