"""Training records: the people an agency trains, the courses, sessions, completions and the
requirements the agency holds itself to. Currency (who is current on what) is `currency.py`."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone

from accounts.models import Agency, Role, School

NOT_NEGATIVE = MinValueValidator(0, message="Hours cannot be negative.")


class PersonQuerySet(models.QuerySet["Person"]):
    def of(self, agency: Agency) -> PersonQuerySet:
        return self.filter(agency=agency)

    def active(self) -> PersonQuerySet:
        return self.filter(status=Person.Status.ACTIVE)

    def sworn(self) -> PersonQuerySet:
        return self.filter(sworn=True)


class Person(models.Model):
    """Someone the agency must train; most never sign in to Muster."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        SEPARATED = "separated", "Separated"

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="personnel")
    employee_number = models.CharField(
        "employee or badge number", max_length=30, help_text="Unique within the agency."
    )
    full_name = models.CharField(max_length=150)
    rank = models.CharField("rank or job title", max_length=100, blank=True)
    unit = models.CharField("unit or assignment", max_length=100, blank=True)
    sworn = models.BooleanField(default=True, help_text="Sworn officer (untick for civilians).")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    hired_on = models.DateField(null=True, blank=True)
    separated_on = models.DateField(null=True, blank=True)
    roles = models.ManyToManyField(
        Role, blank=True, related_name="+", help_text="Functional roles, such as incident command."
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Their Muster account, when they have one.",
    )

    objects = PersonQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "personnel"
        ordering = ["full_name", "employee_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "employee_number"],
                name="training_person_unique_number_per_agency",
                violation_error_message="Another person in the agency has this employee number.",
            ),
            models.CheckConstraint(
                condition=models.Q(status="active", separated_on__isnull=True)
                | models.Q(status="separated"),
                name="training_person_separated_date_only_when_separated",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.employee_number})"

    def get_absolute_url(self) -> str:
        return reverse("training_person", kwargs={"slug": self.agency.slug, "pk": self.pk})

    def clean(self) -> None:
        others = Person.objects.filter(
            agency_id=self.agency_id, employee_number=self.employee_number
        )
        if self.agency_id and others.exclude(pk=self.pk).exists():
            raise ValidationError(
                {"employee_number": "Another person in the agency has this employee number."}
            )
        if self.status == self.Status.ACTIVE and self.separated_on:
            raise ValidationError(
                {"separated_on": "Only a separated person has a separation date."}
            )
        if self.hired_on and self.separated_on and self.separated_on < self.hired_on:
            raise ValidationError({"separated_on": "The separation date is before the hire date."})
        if self.hired_on and self.hired_on > timezone.localdate():
            raise ValidationError({"hired_on": "The hire date cannot be in the future."})


class CourseQuerySet(models.QuerySet["Course"]):
    def available_to(self, agency: Agency) -> CourseQuerySet:
        """The shipped courses and the agency's own."""
        return self.filter(models.Q(agency__isnull=True) | models.Q(agency=agency))


class Course(models.Model):
    """A course: shipped as data (`training/data/courses.yaml`), or one an agency adds."""

    agency = models.ForeignKey(
        Agency,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="courses",
        help_text="Empty for the courses Muster ships.",
    )
    code = models.SlugField(max_length=50, help_text="Stable code, used in imported files.")
    name = models.CharField(max_length=200)
    provider = models.CharField(max_length=200, blank=True)
    hours = models.DecimalField(
        max_digits=6, decimal_places=2, validators=[NOT_NEGATIVE], default=0
    )
    valid_months = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="How long a completion stays current (empty: for good)."
    )
    evidences = models.JSONField(
        default=list, blank=True, help_text="Codes of the checklist items this course evidences."
    )
    description = models.TextField(blank=True)
    source_url = models.URLField(max_length=500, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    objects = CourseQuerySet.as_manager()

    class Meta:
        ordering = ["order", "name"]
        constraints = [
            models.UniqueConstraint(
                "agency",
                "code",
                name="training_course_unique_code_per_agency",
                violation_error_message="The agency already has a course with this code.",
            ),
            models.UniqueConstraint(
                "code",
                condition=models.Q(agency__isnull=True),
                name="training_course_unique_shipped_code",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_shipped(self) -> bool:
        return self.agency_id is None


class Session(models.Model):
    """One class of a course; its roster gives every attendee a completion."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="training_sessions")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="sessions")
    starts_on = models.DateField()
    ends_on = models.DateField()
    hours = models.DecimalField(max_digits=6, decimal_places=2, validators=[NOT_NEGATIVE])
    instructor = models.CharField("instructor or provider", max_length=200, blank=True)
    location = models.CharField(max_length=200, blank=True)
    school = models.ForeignKey(
        School,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="When the session was held jointly with a school.",
    )
    partner = models.CharField(
        max_length=200, blank=True, help_text="Another partner, such as fire/EMS."
    )
    community_attendees = models.PositiveIntegerField(
        default=0, help_text="Attendees not on the roster, such as staff at a CRASE session."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-ends_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="training_session_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.course} on {self.ends_on:%B %-d, %Y}"

    def get_absolute_url(self) -> str:
        return reverse("training_session", kwargs={"slug": self.agency.slug, "pk": self.pk})

    def clean(self) -> None:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": "The session ends before it starts."})
        if self.ends_on and self.ends_on > timezone.localdate():
            raise ValidationError(
                {"ends_on": "A session is recorded once held: not in the future."}
            )


def certificate_path(completion: Completion, filename: str) -> str:
    suffix = PurePath(filename).suffix.lower()
    return f"certificates/{completion.person.agency_id}/{uuid.uuid4().hex}{suffix}"


class CompletionQuerySet(models.QuerySet["Completion"]):
    def of(self, agency: Agency) -> CompletionQuerySet:
        return self.filter(person__agency=agency)


class Completion(models.Model):
    """One person's completion of one course, from a session's roster or on its own."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="completions")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="completions")
    session = models.ForeignKey(
        Session, null=True, blank=True, on_delete=models.CASCADE, related_name="completions"
    )
    completed_on = models.DateField()
    hours = models.DecimalField(max_digits=6, decimal_places=2, validators=[NOT_NEGATIVE])
    provider = models.CharField(max_length=200, blank=True)
    certificate = models.FileField(upload_to=certificate_path, max_length=255, blank=True)
    certificate_name = models.CharField(max_length=255, blank=True)
    certificate_sha256 = models.CharField(max_length=64, blank=True)
    certificate_size = models.PositiveBigIntegerField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = CompletionQuerySet.as_manager()

    class Meta:
        ordering = ["-completed_on", "-pk"]
        constraints = [
            # Importing the same file twice finds the same completion instead of a second one.
            models.UniqueConstraint(
                "person",
                "course",
                "completed_on",
                name="training_completion_once_per_day",
                violation_error_message="This person already has this course on this date.",
            ),
            models.CheckConstraint(
                condition=models.Q(hours__gte=0), name="training_completion_hours_not_negative"
            ),
        ]

    def __str__(self) -> str:
        on = self.completed_on  # a date once cleaned; a value set but not yet cleaned may be text
        shown = f"{on:%B %-d, %Y}" if isinstance(on, date) else on
        return f"{self.person.full_name}: {self.course} on {shown}"

    def clean(self) -> None:
        errors = {}
        if self.completed_on and self.completed_on > timezone.localdate():
            errors["completed_on"] = "A completion cannot be in the future."
        person = self.person if self.person_id else None
        if self.completed_on and person and person.hired_on and self.completed_on < person.hired_on:
            errors["completed_on"] = (
                f"This is before {person.full_name} was hired ({person.hired_on:%Y-%m-%d})."
            )
        if errors:
            raise ValidationError(errors)


class Requirement(models.Model):
    """What the agency holds itself to: who, what, and within which window."""

    class Measure(models.TextChoices):
        ANY = "any", "Any one of the courses"
        ALL = "all", "Every one of the courses"
        HOURS = "hours", "Hours from the courses"

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="requirements")
    name = models.CharField(max_length=200)
    sworn_only = models.BooleanField("sworn personnel only", default=True)
    unit = models.CharField(
        max_length=100, blank=True, help_text="Only people in this unit (empty: every unit)."
    )
    role = models.ForeignKey(
        Role,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Only people holding this functional role.",
    )
    measure = models.CharField(max_length=10, choices=Measure.choices, default=Measure.ANY)
    courses = models.ManyToManyField(Course, related_name="requirements")
    hours = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[NOT_NEGATIVE],
        help_text="The hours needed, when the measure is hours.",
    )
    window_months = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1)], help_text="The rolling window, in months."
    )
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "name"]
        constraints = [
            models.UniqueConstraint(
                "agency",
                "name",
                name="training_requirement_unique_name",
                violation_error_message="The agency already has a requirement of this name.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse(
            "training_requirement_edit", kwargs={"slug": self.agency.slug, "pk": self.pk}
        )

    def clean(self) -> None:
        if self.measure == self.Measure.HOURS and not self.hours:
            raise ValidationError({"hours": "Give the hours needed."})

    def people(self) -> PersonQuerySet:
        """The active people this requirement applies to."""
        return Person.objects.of(self.agency).filter(self.covers())

    def covers(self, via: str = "") -> models.Q:
        """Who the requirement applies to, as a filter on people (or, with `via="person__"`, on
        rows pointing at a person): active, sworn if it says so, of its unit, holding its role."""
        who = models.Q(**{f"{via}status": Person.Status.ACTIVE})
        if self.sworn_only:
            who &= models.Q(**{f"{via}sworn": True})
        if self.unit:
            who &= models.Q(**{f"{via}unit__iexact": self.unit})
        if self.role_id:
            # A subquery, not a join: a person holding several roles stays one row.
            holders = Person.roles.through.objects.filter(
                person_id=models.OuterRef("person_id" if via else "pk"),
                role_id=self.role_id,
            )
            who &= models.Exists(holders)
        return who

    @property
    def who(self) -> str:
        parts = ["sworn" if self.sworn_only else "all", "active personnel"]
        if self.unit:
            parts.append(f"in {self.unit}")
        if self.role_id:
            parts.append(f"holding {self.role.name}")
        text = " ".join(parts)
        return text[0].upper() + text[1:]


class Currency(models.Model):
    """How long one person stays current on one requirement with the training they have had.

    Kept by `currency.refresh`, which the services that write completions and requirements call
    in their own transaction. A row exists once the person has any completion of the
    requirement's courses. It holds a date, not a status, so it never goes stale as days pass:
    the person is current before `lapses_on` (empty when their training has never met the
    requirement) and the status on any day follows from it (`currency.status_on`).
    """

    requirement = models.ForeignKey(Requirement, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="currency")
    lapses_on = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "currency"
        constraints = [
            models.UniqueConstraint(
                "requirement", "person", name="training_currency_once_per_requirement"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} on {self.requirement_id}: until {self.lapses_on}"


class Import(models.Model):
    """An uploaded CSV file, previewed before it is applied (once, in one transaction, by the
    task worker once someone confirms the preview)."""

    class Kind(models.TextChoices):
        PERSONNEL = "personnel", "Personnel"
        COMPLETIONS = "completions", "Completions"

    class State(models.TextChoices):
        UPLOADED = "uploaded", "Previewed, not imported"
        QUEUED = "queued", "Waiting for the task worker"
        RUNNING = "running", "Being imported"
        APPLIED = "applied", "Imported"
        REFUSED = "refused", "Refused: nothing imported"
        FAILED = "failed", "Failed: nothing imported"

    IN_PROGRESS = (State.QUEUED, State.RUNNING)
    # An import takes seconds; one still waiting or running after this long has lost its worker
    # (its transaction rolled back with it), and may be confirmed again.
    STUCK_AFTER = timedelta(minutes=30)

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="training_imports")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    file_name = models.CharField(max_length=255)
    content = models.TextField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    applied_at = models.DateTimeField(null=True, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.UPLOADED)
    lines = models.PositiveIntegerField(default=0, help_text="The file's lines of records.")
    queued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    # What stopped it: the problems by line (refused), or the reference of a logged failure.
    problems = models.JSONField(default=list, blank=True)
    error_reference = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} from {self.file_name}"

    def get_absolute_url(self) -> str:
        return reverse("training_import", kwargs={"slug": self.agency.slug, "pk": self.pk})

    @property
    def in_progress(self) -> bool:
        return self.state in self.IN_PROGRESS

    @property
    def can_retry(self) -> bool:
        """Failed, or waiting or running so long that its worker must have stopped."""
        since = self.started_at or self.queued_at
        stuck = self.in_progress and since and since < timezone.now() - self.STUCK_AFTER
        return self.state == self.State.FAILED or bool(stuck)


def add_months(day: date, months: int) -> date:
    """The same day `months` later (or earlier, if negative), clamped to the month's end."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")
