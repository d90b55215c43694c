"""Exercises (HSEEP types, or a real incident reviewed), their objectives and observations, the
after-action review with its attachments, and the improvement plan's corrective actions."""

from __future__ import annotations

import uuid
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.urls import reverse
from django.utils import timezone

from accounts.models import Agency, School
from checklists.catalog.models import CatalogVersion, Item
from checklists.signoff.models import Report
from training.models import Course, Person, Session


class Organization(models.Model):
    """A named organization the agency exercises with, reused from exercise to exercise."""

    class Kind(models.TextChoices):
        OWN_UNIT = "own_unit", "Own unit"
        SCHOOL = "school", "School or district"
        FIRE_EMS = "fire_ems", "Fire/EMS"
        HOSPITAL = "hospital", "Hospital"
        PARTNER = "partner", "Partner agency"
        OTHER = "other", "Other"

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="organizations")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.PARTNER)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                "agency",
                "name",
                name="exercises_organization_unique_name",
                violation_error_message="The agency already has an organization of this name.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ExerciseQuerySet(models.QuerySet["Exercise"]):
    def of(self, agency: Agency) -> ExerciseQuerySet:
        return self.filter(agency=agency)

    def since(self, day) -> ExerciseQuerySet:
        return self.filter(ends_on__gt=day)

    def with_fire_ems(self) -> ExerciseQuerySet:
        return self.filter(_with_fire_ems())

    def with_schools(self) -> ExerciseQuerySet:
        return self.filter(_with_schools())

    def counts_by_kind(self) -> dict[str, tuple[int, int, int]]:
        """{kind: (exercises, of them with schools, with fire/EMS)} in one query, where
        with_schools() and with_fire_ems() would take one count each."""
        rows = (
            self.order_by()
            .values_list("kind")
            .annotate(
                n=models.Count("pk"),
                schools=models.Count("pk", filter=_with_schools()),
                fire_ems=models.Count("pk", filter=_with_fire_ems()),
            )
        )
        return {kind: (n, schools, fire_ems) for kind, n, schools, fire_ems in rows}


def _with_organization(kind: str) -> models.Exists:
    """An exercise's participating organizations include one of this kind (tested with EXISTS:
    no join, so no duplicate rows to make distinct or count away)."""
    return models.Exists(
        Exercise.organizations.through.objects.filter(
            exercise=models.OuterRef("pk"), organization__kind=kind
        )
    )


def _with_schools() -> models.Q:
    """Held at one of the agency's schools, or with a school among its organizations."""
    return models.Q(school__isnull=False) | models.Q(_with_organization(Organization.Kind.SCHOOL))


def _with_fire_ems() -> models.Exists:
    return _with_organization(Organization.Kind.FIRE_EMS)


class Exercise(models.Model):
    class Kind(models.TextChoices):
        SEMINAR = "seminar", "Seminar"
        WORKSHOP = "workshop", "Workshop"
        TABLETOP = "tabletop", "Tabletop"
        GAME = "game", "Game"
        DRILL = "drill", "Drill"
        FUNCTIONAL = "functional", "Functional"
        FULL_SCALE = "full_scale", "Full-scale"
        INCIDENT = "incident", "Real incident reviewed"

    class MissionArea(models.TextChoices):
        # HSEEP's five mission areas (the National Preparedness Goal).
        PREVENTION = "prevention", "Prevention"
        PROTECTION = "protection", "Protection"
        MITIGATION = "mitigation", "Mitigation"
        RESPONSE = "response", "Response"
        RECOVERY = "recovery", "Recovery"

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="exercises")
    title = models.CharField(max_length=200)
    kind = models.CharField("type", max_length=12, choices=Kind.choices)
    starts_on = models.DateField()
    ends_on = models.DateField()
    scenario = models.TextField(blank=True, help_text="Such as an active attacker at arrival.")
    school = models.ForeignKey(
        School,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="When it was held at one of the agency's schools.",
    )
    site = models.CharField("other site", max_length=200, blank=True)
    organizations = models.ManyToManyField(
        Organization,
        blank=True,
        related_name="exercises",
        verbose_name="participating organizations",
    )
    catalog_version = models.ForeignKey(CatalogVersion, on_delete=models.PROTECT, related_name="+")
    items = models.ManyToManyField(
        Item, blank=True, related_name="exercises", verbose_name="checklist items exercised"
    )
    course = models.ForeignKey(
        Course,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The training course attending it counts as, such as scenario training.",
    )
    attendees = models.ManyToManyField(Person, blank=True, related_name="exercises")
    session = models.OneToOneField(
        Session, null=True, blank=True, on_delete=models.SET_NULL, related_name="exercise"
    )
    hours = models.DecimalField(max_digits=6, decimal_places=2, default=4)
    mission_area = models.CharField(
        max_length=12, choices=MissionArea.choices, default=MissionArea.RESPONSE
    )
    contacts = models.TextField(
        "points of contact",
        blank=True,
        help_text="The exercise director and evaluation lead: name, title, organization, phone "
        "or email, one a line. Printed in the after-action report.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = ExerciseQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="exercises_exercise_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("exercise_detail", kwargs={"slug": self.agency.slug, "pk": self.pk})

    def clean(self) -> None:
        errors = {}
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            errors["ends_on"] = "The exercise ends before it starts."
        if self.school_id and self.agency_id and self.school.agency_id != self.agency_id:
            errors["school"] = "Choose one of the agency's schools."
        if errors:
            raise ValidationError(errors)

    @property
    def is_held(self) -> bool:
        return self.ends_on <= timezone.localdate()

    @property
    def where(self) -> str:
        return ", ".join(str(p) for p in (self.school, self.site) if p) or "—"


class Objective(models.Model):
    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="objectives")
    text = models.CharField("objective", max_length=300)
    capability = models.CharField(max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.text


class Observation(models.Model):
    """A strength or an area for improvement under one objective: the review's findings."""

    class Kind(models.TextChoices):
        STRENGTH = "strength", "Strength"
        IMPROVEMENT = "improvement", "Area for improvement"

    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="observations")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    text = models.TextField("observation")
    analysis = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["objective__order", "kind", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.text[:60]}"


class Review(models.Model):
    """The after-action review: who evaluated and when (the findings are the observations)."""

    exercise = models.OneToOneField(Exercise, on_delete=models.CASCADE, related_name="review")
    evaluator = models.CharField(max_length=200)
    reviewed_on = models.DateField("date of the review")
    summary = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"Review of {self.exercise}"

    def clean(self) -> None:
        exercise = self.exercise if self.exercise_id else None
        if exercise and self.reviewed_on and self.reviewed_on < exercise.starts_on:
            raise ValidationError({"reviewed_on": "The review is dated before the exercise."})
        if self.reviewed_on and self.reviewed_on > timezone.localdate():
            raise ValidationError({"reviewed_on": "The review cannot be dated in the future."})


def attachment_path(attachment: ReviewAttachment, filename: str) -> str:
    suffix = PurePath(filename).suffix.lower()
    return f"exercises/{attachment.exercise.agency_id}/{uuid.uuid4().hex}{suffix}"


class ReviewAttachment(models.Model):
    """A sign-in sheet, a photo or the external after-action report, checked like evidence."""

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=255)
    name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.name


class CorrectiveActionQuerySet(models.QuerySet["CorrectiveAction"]):
    def of(self, agency: Agency) -> CorrectiveActionQuerySet:
        return self.filter(exercise__agency=agency)

    def unresolved(self) -> CorrectiveActionQuerySet:
        """Open or in progress: not yet done."""
        return self.filter(status__in=CorrectiveAction.OPEN_STATUSES)

    def overdue(self, today=None) -> CorrectiveActionQuerySet:
        return self.unresolved().filter(due_on__lt=today or timezone.localdate())

    def counts(self, today) -> dict[str, int]:
        """How many actions, open, overdue (open after their due date) and verified, from one
        count by status (cheaper to ask for than a filtered count of each)."""
        rows = (
            self.order_by()
            .values_list("status")
            .annotate(
                n=models.Count("pk"), late=models.Count("pk", filter=models.Q(due_on__lt=today))
            )
        )
        by_status = {status: (n, late) for status, n, late in rows}
        still_open = [by_status.get(status, (0, 0)) for status in CorrectiveAction.OPEN_STATUSES]
        return {
            "total": sum(n for n, _ in by_status.values()),
            "open": sum(n for n, _ in still_open),
            "overdue": sum(late for _, late in still_open),
            "verified": by_status.get(CorrectiveAction.Status.VERIFIED, (0, 0))[0],
        }

    def for_table(self) -> CorrectiveActionQuerySet:
        """What a table of actions shows, in one query for any number of rows: the exercise and
        the responsible, and the items' codes and the schools' names as text (`item_codes`,
        `school_names`): prefetching them as model instances was a third of the plan's time."""
        return self.select_related("exercise", "owner", "organization").annotate(
            item_codes=_joined(CorrectiveAction.items.through, "item__code"),
            school_names=_joined(CorrectiveAction.schools.through, "school__name"),
        )


def _joined(through, field: str) -> models.Subquery:
    """The action's linked codes or names, "LER-18, LER-19", in a subquery of the link table
    (sorted where the database can sort inside an aggregate: PostgreSQL, SQLite 3.44 on)."""
    sort = {"order_by": field} if connection.features.supports_aggregate_order_by_clause else {}
    rows = through.objects.filter(correctiveaction=models.OuterRef("pk")).order_by()
    joined = models.StringAgg(field, models.Value(", "), **sort)
    return models.Subquery(rows.values("correctiveaction").annotate(joined=joined).values("joined"))


class CorrectiveAction(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        VERIFIED = "verified", "Verified"

    OPEN_STATUSES = (Status.OPEN, Status.IN_PROGRESS)
    # The status each step may follow.
    STEPS = {
        Status.IN_PROGRESS: (Status.OPEN,),
        Status.DONE: (Status.OPEN, Status.IN_PROGRESS),
        Status.VERIFIED: (Status.DONE,),
    }

    exercise = models.ForeignKey(
        Exercise, on_delete=models.CASCADE, related_name="corrective_actions"
    )
    observation = models.ForeignKey(
        Observation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="corrective_actions",
        verbose_name="finding",
    )
    description = models.TextField()
    items = models.ManyToManyField(
        Item, blank=True, related_name="corrective_actions", verbose_name="checklist items"
    )
    schools = models.ManyToManyField(School, blank=True, related_name="+")
    owner = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrective_actions",
        verbose_name="responsible person",
    )
    organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrective_actions",
        verbose_name="responsible organization",
    )
    starts_on = models.DateField("start date")
    due_on = models.DateField("due date")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = CorrectiveActionQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(due_on__gte=models.F("starts_on")),
                name="exercises_action_due_after_start",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="verified")
                | (
                    models.Q(verified_by__isnull=False) & ~models.Q(verified_by=models.F("done_by"))
                ),
                name="exercises_action_verified_by_someone_else",
            ),
        ]

    def __str__(self) -> str:
        return self.description[:80]

    def get_absolute_url(self) -> str:
        return reverse(
            "corrective_action", kwargs={"slug": self.exercise.agency.slug, "pk": self.pk}
        )

    def clean(self) -> None:
        errors = {}
        if self.starts_on and self.due_on and self.due_on < self.starts_on:
            errors["due_on"] = "The action is due before it starts."
        exercise = self.exercise if self.exercise_id else None
        if exercise and self.due_on and self.due_on < exercise.ends_on:
            errors["due_on"] = "The action is due before its exercise ended."
        if not self.owner_id and not self.organization_id:
            errors["owner"] = "Name a responsible person or organization."
        if errors:
            raise ValidationError(errors)

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_on < timezone.localdate()

    @property
    def responsible(self) -> str:
        return " / ".join(
            str(x) for x in (self.owner and self.owner.full_name, self.organization) if x
        )


class ActionEvent(models.Model):
    """One step in a corrective action's history; only ever added."""

    action = models.ForeignKey(CorrectiveAction, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(max_length=12, choices=CorrectiveAction.Status.choices)
    note = models.TextField(blank=True)
    evidence = models.ForeignKey(
        ReviewAttachment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_status_display()} at {self.at:%Y-%m-%d}"


class AfterActionReportQuerySet(models.QuerySet["AfterActionReport"]):
    def matching(self, sha256: str) -> AfterActionReport | None:
        """The report whose frozen snapshot has this fingerprint (the verify page asks)."""
        return (
            self.select_related("exercise__agency", "signer").filter(snapshot_sha256=sha256).first()
        )


class AfterActionReport(models.Model):
    """The after-action report and improvement plan (AAR/IP) of an exercise, as a lead signed it.

    The row holds the snapshot frozen at signing and is never changed after, except by the task
    worker that renders, signs and stores its PDF once (`exercises.aar.aar_render`). Signing
    again later (the plan moved on) adds a new report, numbered; the earlier ones stay.
    """

    State = Report.State

    exercise = models.ForeignKey(
        Exercise, on_delete=models.PROTECT, related_name="after_action_reports"
    )
    number = models.PositiveSmallIntegerField(default=1)
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    typed_name = models.CharField(max_length=150)
    typed_title = models.CharField(max_length=150)
    signed_at = models.DateTimeField(default=timezone.now)
    snapshot = models.TextField(help_text="The canonical JSON of the review and plan, as signed.")
    snapshot_sha256 = models.CharField("snapshot SHA-256", max_length=64, unique=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    file = models.FileField(upload_to="after-action/%Y/", max_length=255, blank=True)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    error = models.TextField(blank=True, help_text="For operators: what went wrong, in full.")
    error_reference = models.CharField(max_length=16, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    rendered_at = models.DateTimeField(null=True, blank=True)

    objects = AfterActionReportQuerySet.as_manager()

    class Meta:
        ordering = ["exercise", "-number"]
        constraints = [
            models.UniqueConstraint(
                "exercise", "number", name="exercises_after_action_report_unique_number"
            ),
        ]

    def __str__(self) -> str:
        return f"After-action report {self.number} of {self.exercise}"

    def get_absolute_url(self) -> str:
        agency = self.exercise.agency
        return reverse("exercise_aar_download", kwargs={"slug": agency.slug, "pk": self.pk})

    @property
    def in_progress(self) -> bool:
        return self.state in (self.State.PENDING, self.State.RUNNING)

    @property
    def file_name(self) -> str:
        exercise = self.exercise
        return f"muster-{exercise.agency.slug}-exercise-{exercise.pk}-aar-{self.number}.pdf"
