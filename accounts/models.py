from __future__ import annotations

import hashlib
import secrets
from functools import cached_property
from zoneinfo import ZoneInfo

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from accounts.states import US_STATES


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    @staticmethod
    def normalize_login(email: str) -> str:
        """Email addresses are logins: compared and stored in lower case."""
        return email.strip().lower()

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email=self.normalize_login(username or ""))

    def create_user(self, email: str, password: str | None = None, **fields) -> User:
        if not email:
            raise ValueError("A user needs an email address.")
        user = self.model(email=self.normalize_login(email), **fields)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> User:
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with their email address."""

    email = models.EmailField("email address", unique=True)
    full_name = models.CharField(max_length=150)
    job_title = models.CharField(
        max_length=150, blank=True, help_text="For example: Chief of Police"
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(
        "staff status", default=False, help_text="Can sign in to the Django admin."
    )
    date_joined = models.DateTimeField(default=timezone.now)
    # Set when the mail server refused this address (notifications.delivery); shown in People.
    email_undeliverable_at = models.DateTimeField(null=True, blank=True, editable=False)
    email_undeliverable_reason = models.CharField(max_length=300, blank=True, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name", "email"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    def clean(self) -> None:
        super().clean()
        self.email = User.objects.normalize_login(self.email)

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @cached_property
    def agency_memberships(self) -> dict[str, Membership]:
        """This person's memberships by agency slug, read once per request."""
        memberships = self.memberships.select_related("agency").order_by("agency__name")
        return {m.agency.slug: m for m in memberships}

    def membership_in(self, agency: Agency) -> Membership | None:
        if not self.is_authenticated or not self.is_active:
            return None
        return self.agency_memberships.get(agency.slug)


class Role(models.Model):
    """A functional role that checklist items are tied to and that people hold."""

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=100)
    description = models.TextField(
        blank=True, max_length=2000, validators=[MaxLengthValidator(2000)]
    )
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


# The time zones an agency may keep its local time in: the United States' and UTC.
TIME_ZONES = [
    ("America/New_York", "Eastern"),
    ("America/Chicago", "Central"),
    ("America/Denver", "Mountain"),
    ("America/Phoenix", "Mountain (Arizona)"),
    ("America/Los_Angeles", "Pacific"),
    ("America/Anchorage", "Alaska"),
    ("Pacific/Honolulu", "Hawaii"),
    ("UTC", "UTC"),
]


class AgencyQuerySet(models.QuerySet["Agency"]):
    def visible_to(self, user) -> AgencyQuerySet:
        if not user.is_authenticated:
            return self.none()
        return self.filter(memberships__user=user)


class Agency(models.Model):
    class Kind(models.TextChoices):
        LAW_ENFORCEMENT = "law_enforcement", "Law enforcement"
        SCHOOL_DISTRICT = "school_district", "School district"
        FIRE_EMS = "fire_ems", "Fire/EMS"
        OTHER = "other", "Other"

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.LAW_ENFORCEMENT)
    jurisdiction = models.CharField(
        max_length=200, blank=True, help_text="The area the agency serves, e.g. City of Harbor City"
    )
    state = models.CharField(max_length=2, choices=US_STATES, blank=True)
    logo = models.ImageField(
        upload_to="logos/", blank=True, help_text="Shown on the cover of the agency's reports."
    )
    require_two_factor = models.BooleanField(
        "require two-factor sign-in",
        default=False,
        help_text="Everyone in the agency must confirm each sign-in with a code from an "
        "authenticator app. Those who have not set it up are asked to before anything else.",
    )
    time_zone = models.CharField(
        max_length=40,
        choices=TIME_ZONES,
        default="America/New_York",
        help_text="The agency's local time: digests arrive in the morning there.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AgencyQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "agencies"
        ordering = ["name"]
        constraints = [
            # A signed report names its agency: no two agencies may answer to the same name.
            models.UniqueConstraint(
                Lower("name"),
                name="accounts_agency_unique_name",
                violation_error_message="Another agency already has this name.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("agency_detail", kwargs={"slug": self.slug})

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


class SchoolQuerySet(models.QuerySet["School"]):
    def active(self) -> SchoolQuerySet:
        return self.filter(is_active=True)

    def for_member(self, membership: Membership) -> SchoolQuerySet:
        """The schools a member works on: an SRO the schools they serve, everyone else all."""
        if membership.access == Membership.Access.SRO:
            return self.filter(pk__in=membership.school_ids)
        return self


class School(models.Model):
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="schools")
    name = models.CharField(max_length=200)
    district = models.CharField(max_length=200, blank=True)
    address = models.TextField(blank=True, max_length=500, validators=[MaxLengthValidator(500)])
    is_active = models.BooleanField(
        "active",
        default=True,
        help_text="Inactive schools keep their history but get no new items.",
    )
    notes = models.TextField(blank=True, max_length=4000, validators=[MaxLengthValidator(4000)])

    objects = SchoolQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                "agency",
                Lower("name"),
                name="accounts_school_unique_name_per_agency",
                violation_error_message="The agency already has a school of this name.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("school_edit", kwargs={"slug": self.agency.slug, "pk": self.pk})


class Membership(models.Model):
    """A person's place in an agency: what they may do and which roles they hold."""

    class Access(models.TextChoices):
        LEAD = "lead", "Lead"
        EDITOR = "editor", "Editor"
        SRO = "sro", "School resource officer"
        VIEWER = "viewer", "Viewer"
        # Council liaisons, school boards: the public summary and published scores, nothing else.
        PUBLIC = "public", "Public viewer"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="memberships")
    access = models.CharField(max_length=10, choices=Access.choices, default=Access.VIEWER)
    roles = models.ManyToManyField(Role, blank=True, related_name="memberships")
    schools = models.ManyToManyField(
        School, blank=True, related_name="memberships", help_text="The schools an SRO serves."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user__full_name"]
        constraints = [
            models.UniqueConstraint("user", "agency", name="accounts_membership_one_per_agency"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.agency} ({self.get_access_display()})"

    @property
    def is_lead(self) -> bool:
        return self.access == self.Access.LEAD

    @property
    def can_edit(self) -> bool:
        return self.access in (self.Access.LEAD, self.Access.EDITOR)

    @property
    def is_public_viewer(self) -> bool:
        """Sees only what the agency publishes: signed public summaries and their scores."""
        return self.access == self.Access.PUBLIC

    @cached_property
    def school_ids(self) -> frozenset[int]:
        return frozenset(self.schools.values_list("pk", flat=True))

    @cached_property
    def role_ids(self) -> frozenset[int]:
        return frozenset(self.roles.values_list("pk", flat=True))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def pending(self) -> InvitationQuerySet:
        return self.filter(
            accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )

    def for_token(self, token: str) -> InvitationQuerySet:
        return self.filter(token_hash=_token_hash(token))


class Invitation(models.Model):
    """An emailed, single-use link that makes its recipient a member of an agency.

    Only the SHA-256 of the token is stored, so the database alone cannot be used to accept it.
    """

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    access = models.CharField(
        max_length=10, choices=Membership.Access.choices, default=Membership.Access.VIEWER
    )
    roles = models.ManyToManyField(Role, blank=True, related_name="+")
    schools = models.ManyToManyField(School, blank=True, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )  # blank: an operator invited an agency's first lead (manage.py agency_create)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                "agency",
                Lower("email"),
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="accounts_invitation_one_open_per_email",
            ),
        ]

    def __str__(self) -> str:
        return f"Invitation of {self.email} to {self.agency}"

    def set_new_token(self) -> str:
        """Give the invitation a fresh token and return it; only its hash is kept."""
        token = secrets.token_urlsafe(32)
        self.token_hash = _token_hash(token)
        return token

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and not self.is_expired


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def for_agency(self, agency: Agency) -> AuditEventQuerySet:
        """The agency's log, newest first, ready to list with who did each thing."""
        return self.filter(agency=agency).select_related("actor").order_by("-at", "-pk")

    def update(self, **kwargs):
        raise TypeError("An audit event is never changed.")

    def delete(self):
        raise TypeError("An audit event is never deleted.")


class AuditEvent(models.Model):
    """Something a person did (or tried) that an auditor may ask about: a row only ever added.

    The database refuses UPDATE and DELETE on this table (triggers, migration 0003) except the
    one update Django makes when a person is deleted: clearing `actor`, while `actor_email` keeps
    who it was. Record events with `accounts.audit.record`.
    """

    class Action(models.TextChoices):
        LOGIN = "login", "Signed in"
        PASSWORD_ACCEPTED = "password_accepted", "Password accepted, awaiting code"
        LOGIN_FAILED = "login_failed", "Sign-in failed"
        PASSWORD_REFUSED = "password_refused", "Password re-entry refused"
        LOCKED_OUT = "locked_out", "Locked out"
        UNLOCKED = "unlocked", "Unlocked"
        LOGOUT = "logout", "Signed out"
        PASSWORD_CHANGED = "password_changed", "Password changed"
        PASSWORD_RESET = "password_reset", "Password reset by email"
        TWO_FACTOR_ENABLED = "two_factor_enabled", "Two-factor sign-in turned on"
        TWO_FACTOR_DISABLED = "two_factor_disabled", "Two-factor sign-in turned off"
        TWO_FACTOR_FAILED = "two_factor_failed", "Two-factor code refused"
        INVITATION_SENT = "invitation_sent", "Invitation sent"
        INVITATION_ACCEPTED = "invitation_accepted", "Invitation accepted"
        INVITATION_REVOKED = "invitation_revoked", "Invitation withdrawn"
        MEMBERSHIP_CREATED = "membership_created", "Member added"
        MEMBERSHIP_CHANGED = "membership_changed", "Access changed"
        MEMBERSHIP_REMOVED = "membership_removed", "Member removed"
        AGENCY_CHANGED = "agency_changed", "Agency settings changed"
        SCHOOL_ADDED = "school_added", "School added"
        SCHOOL_CHANGED = "school_changed", "School changed"
        SCHOOL_ARCHIVED = "school_archived", "School archived"
        ASSESSMENT_STARTED = "assessment_started", "Assessment started"
        ASSESSMENT_CHANGED = "assessment_changed", "Assessment renamed or re-dated"
        ASSESSMENT_DELETED = "assessment_deleted", "Draft assessment deleted"
        ASSESSMENT_SUBMITTED = "assessment_submitted", "Assessment submitted"
        ASSESSMENT_RETURNED = "assessment_returned", "Assessment returned to draft"
        ASSESSMENT_SIGNED_OFF = "assessment_signed_off", "Assessment signed off"
        ASSESSMENT_REOPENED = "assessment_reopened", "Assessment reopened"
        ASSESSMENT_EXPORTED = "assessment_exported", "Assessment exported"
        EVIDENCE_ADDED = "evidence_added", "Evidence added"
        EVIDENCE_REMOVED = "evidence_removed", "Evidence removed"
        EVIDENCE_DOWNLOADED = "evidence_downloaded", "Evidence downloaded"
        COMMENT_ADDED = "comment_added", "Review comment added"
        COMMENT_RESOLVED = "comment_resolved", "Review comment resolved"
        COMMENT_REOPENED = "comment_reopened", "Review comment reopened"
        REPORT_DOWNLOADED = "report_downloaded", "Signed report downloaded"
        DRAFT_REPORT_DOWNLOADED = "draft_report_downloaded", "Draft report downloaded"
        AUDIT_LOG_EXPORTED = "audit_log_exported", "Audit log exported"
        ADMIN_CHANGED = "admin_changed", "Changed in the admin"
        AGENCY_CREATED = "agency_created", "Agency created"
        TRAINING_RECORDED = "training_recorded", "Training records changed"
        TRAINING_IMPORTED = "training_imported", "Training records imported"
        CERTIFICATE_DOWNLOADED = "certificate_downloaded", "Training certificate downloaded"
        EXERCISE_RECORDED = "exercise_recorded", "Exercise records changed"
        CORRECTIVE_ACTION_CHANGED = "corrective_action_changed", "Corrective action changed"

    at = models.DateTimeField("when", default=timezone.now, db_index=True)
    # Sign-ins of people outside any agency (an unknown address) belong to no agency's log.
    agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="audit_events"
    )
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_email = models.CharField(
        "person's email", max_length=254, blank=True, help_text="Kept when the account is gone."
    )
    action = models.CharField(max_length=40, choices=Action.choices)
    summary = models.CharField(max_length=500)
    target_type = models.CharField(max_length=100, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    ip_address = models.GenericIPAddressField("IP address", null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    details = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["agency", "-at"], name="accounts_audit_agency_at"),
            models.Index(fields=["agency", "actor_email"], name="accounts_audit_agency_person"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_action_display()}: {self.summary}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise TypeError("An audit event is never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("An audit event is never deleted.")

    @property
    def person(self) -> str:
        """Who did it, as a reader knows them: the name while the account exists, else the email."""
        if self.actor is not None:
            return self.actor.full_name or self.actor.email
        return self.actor_email
