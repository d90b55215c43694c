from __future__ import annotations

import uuid
from datetime import date, timedelta
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from accounts.models import Agency, Role, School


class Catalog(models.Model):
    """A body of recommendations, such as one page of the RAND toolkit, in all its versions."""

    slug = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=200, help_text="The title of the newest version.")

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("catalog_detail", kwargs={"slug": self.slug})


class CatalogVersionQuerySet(models.QuerySet["CatalogVersion"]):
    def latest_first(self) -> CatalogVersionQuerySet:
        return self.order_by("-number")

    def latest_of_each(self) -> CatalogVersionQuerySet:
        """The newest version of every catalog."""
        newest = CatalogVersion.objects.filter(catalog=models.OuterRef("catalog")).order_by(
            "-number"
        )
        return self.filter(number=models.Subquery(newest.values("number")[:1]))

    def with_counts(self) -> CatalogVersionQuerySet:
        return self.annotate(
            item_count=models.Count("items", distinct=True),
            section_count=models.Count("sections", distinct=True),
        )


class CatalogVersion(models.Model):
    """One loaded catalog file, frozen: a changed file becomes a new version, never an edit."""

    catalog = models.ForeignKey(Catalog, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(
        help_text="1, 2, 3… in the order the versions were loaded."
    )
    version = models.CharField(max_length=50, help_text="The version label the file gives.")
    title = models.CharField(max_length=200)
    publisher = models.CharField(max_length=200)
    source_url = models.URLField(max_length=500)
    published = models.CharField(
        max_length=10, help_text="ISO date, full or partial (2022, 2022-06)."
    )
    description = models.TextField(blank=True)
    content_sha256 = models.CharField(max_length=64)
    source_file = models.CharField(max_length=255)
    loaded_at = models.DateTimeField(auto_now_add=True)

    objects = CatalogVersionQuerySet.as_manager()

    class Meta:
        ordering = ["catalog", "number"]
        get_latest_by = "number"
        constraints = [
            models.UniqueConstraint("catalog", "number", name="checklists_version_unique_number"),
            models.UniqueConstraint(
                "catalog", "content_sha256", name="checklists_version_unique_content"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} {self.version} (#{self.number})"

    def get_absolute_url(self) -> str:
        return reverse("catalog_version", kwargs={"slug": self.catalog.slug, "number": self.number})


class Source(models.Model):
    """A work that items and figures cite, with its full citation."""

    catalog_version = models.ForeignKey(
        CatalogVersion, on_delete=models.CASCADE, related_name="sources"
    )
    key = models.SlugField(max_length=100)
    citation = models.TextField()
    url = models.URLField(max_length=500, blank=True)
    doi = models.CharField("DOI", max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["catalog_version", "order"]
        constraints = [
            models.UniqueConstraint("catalog_version", "key", name="checklists_source_unique_key"),
        ]

    def __str__(self) -> str:
        return self.citation

    @property
    def doi_url(self) -> str:
        return f"https://doi.org/{self.doi}" if self.doi else ""


class Section(models.Model):
    catalog_version = models.ForeignKey(
        CatalogVersion, on_delete=models.CASCADE, related_name="sections"
    )
    code = models.SlugField(max_length=50)
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["catalog_version", "order"]
        constraints = [
            models.UniqueConstraint(
                "catalog_version", "code", name="checklists_section_unique_code"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ItemQuerySet(models.QuerySet["Item"]):
    def for_role(self, role: Role | str) -> ItemQuerySet:
        slug = role if isinstance(role, str) else role.slug
        return self.filter(roles__slug=slug)

    def search(self, text: str) -> ItemQuerySet:
        text = text.strip()
        if not text:
            return self
        return self.filter(
            models.Q(code__icontains=text)
            | models.Q(title__icontains=text)
            | models.Q(guidance__icontains=text)
            | models.Q(why__icontains=text)
        )


class Item(models.Model):
    """One actionable recommendation, with a code that stays the same across versions."""

    class Scope(models.TextChoices):
        AGENCY = "agency", "Agency-wide"
        SCHOOL = "school", "Per school"

    catalog_version = models.ForeignKey(
        CatalogVersion, on_delete=models.CASCADE, related_name="items"
    )
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="items")
    code = models.CharField(max_length=20)
    title = models.CharField(max_length=200)
    guidance = models.TextField()
    why = models.TextField("why it matters")
    basis = models.CharField(max_length=200, help_text="Where in the source the item comes from.")
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.AGENCY)
    order = models.PositiveSmallIntegerField(default=0)
    weight = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(3)]
    )
    roles = models.ManyToManyField(Role, related_name="items")
    sources = models.ManyToManyField(Source, related_name="items")

    objects = ItemQuerySet.as_manager()

    class Meta:
        ordering = ["catalog_version", "order"]
        constraints = [
            models.UniqueConstraint("catalog_version", "code", name="checklists_item_unique_code"),
            models.CheckConstraint(
                condition=models.Q(weight__gte=1, weight__lte=3),
                name="checklists_item_weight_1_to_3",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def is_school_scoped(self) -> bool:
        return self.scope == self.Scope.SCHOOL


class EvidencePrompt(models.Model):
    """A typed question whose answer proves an item; assessment forms render one field each."""

    class Kind(models.TextChoices):
        DATE = "date", "Date"
        NUMBER = "number", "Number"
        BOOLEAN = "boolean", "Yes/no"
        TEXT = "text", "Text"
        CHOICE = "choice", "Choice"
        FILE = "file", "File"

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="prompts")
    key = models.SlugField(max_length=50)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    label = models.CharField(max_length=200)
    help_text = models.TextField(blank=True)
    required = models.BooleanField(default=False)
    order = models.PositiveSmallIntegerField(default=0)
    min_number = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    max_number = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    unit = models.CharField(max_length=50, blank=True)
    min_date = models.DateField(null=True, blank=True)
    max_date = models.DateField(null=True, blank=True)
    not_after_today = models.BooleanField(default=False)
    max_length = models.PositiveIntegerField(null=True, blank=True)
    choices = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["item", "order"]
        constraints = [
            models.UniqueConstraint("item", "key", name="checklists_prompt_unique_key"),
        ]

    def __str__(self) -> str:
        return self.label


class Figure(models.Model):
    """A research figure from the source, kept as data for the report and the dashboard."""

    catalog_version = models.ForeignKey(
        CatalogVersion, on_delete=models.CASCADE, related_name="figures"
    )
    key = models.SlugField(max_length=100)
    title = models.CharField(max_length=200)
    note = models.TextField(blank=True)
    period = models.CharField(max_length=50, blank=True)
    unit = models.CharField(max_length=50)
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="figures")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["catalog_version", "order"]
        constraints = [
            models.UniqueConstraint("catalog_version", "key", name="checklists_figure_unique_key"),
        ]

    def __str__(self) -> str:
        return self.title


class FigureValue(models.Model):
    figure = models.ForeignKey(Figure, on_delete=models.CASCADE, related_name="values")
    label = models.CharField(max_length=200)
    value = models.PositiveIntegerField()
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["figure", "order"]

    def __str__(self) -> str:
        return f"{self.label}: {self.value}"


class AssessmentLocked(PermissionDenied):
    """A signed-off assessment is a record: no write may change it."""

    def __init__(self) -> None:
        super().__init__("This assessment is signed off: it can no longer be changed.")


def _refuse_if_locked(assessment_ids) -> None:
    if Assessment.objects.filter(pk__in=assessment_ids, state=Assessment.State.SIGNED_OFF).exists():
        raise AssessmentLocked


class AssessmentQuerySet(models.QuerySet["Assessment"]):
    def visible_to(self, user) -> AssessmentQuerySet:
        if not user.is_authenticated:
            return self.none()
        return self.filter(agency__memberships__user=user)

    def newest_first(self) -> AssessmentQuerySet:
        return self.order_by("-created_at", "-pk")


class Assessment(models.Model):
    """One agency's pass through one frozen catalog version."""

    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        SIGNED_OFF = "signed_off", "Signed off"

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="assessments")
    catalog_version = models.ForeignKey(
        CatalogVersion, on_delete=models.PROTECT, related_name="assessments"
    )
    previous = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The assessment this one continues from.",
    )
    title = models.CharField(max_length=200, help_text="For example: 2026 annual assessment")
    revision = models.PositiveSmallIntegerField(default=1)
    revision_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="revisions",
        help_text="The signed-off revision this one reopens.",
    )
    due_date = models.DateField(null=True, blank=True)
    state = models.CharField(max_length=12, choices=State.choices, default=State.DRAFT)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = AssessmentQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                "revision_of", name="checklists_assessment_one_reopening_per_revision"
            ),
        ]

    def __str__(self) -> str:
        return self.title if self.revision == 1 else f"{self.title} (revision {self.revision})"

    def get_absolute_url(self) -> str:
        return reverse("assessment_checklist", kwargs={"slug": self.agency.slug, "pk": self.pk})

    @property
    def is_locked(self) -> bool:
        """A signed-off assessment is a record: nothing in it changes any more."""
        return self.state == self.State.SIGNED_OFF


class ResponseQuerySet(models.QuerySet["Response"]):
    def for_school(self, school: School) -> ResponseQuerySet:
        return self.filter(school=school)

    def for_schools(self, school_ids) -> ResponseQuerySet:
        return self.filter(school__in=school_ids)

    def open(self) -> ResponseQuerySet:
        return self.exclude(status__in=[Response.Status.IN_PLACE, Response.Status.NOT_APPLICABLE])

    def overdue(self, today: date | None = None) -> ResponseQuerySet:
        return self.open().filter(target_date__lt=today or timezone.localdate())

    def assigned_to(self, user) -> ResponseQuerySet:
        return self.filter(owner=user)

    def for_roles(self, roles) -> ResponseQuerySet:
        return self.filter(item__roles__in=roles).distinct()

    def update(self, **kwargs) -> int:
        _refuse_if_locked(self.values("assessment_id"))
        return super().update(**kwargs)

    def for_display(self) -> ResponseQuerySet:
        """Everything a checklist row shows, in a fixed number of queries."""
        return self.select_related("item__section", "school", "owner", "previous").prefetch_related(
            "item__roles", "item__prompts", "attachments"
        )


class Response(models.Model):
    """Where the agency stands on one item (for one school, if the item is per school)."""

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", "Not started"
        IN_PROGRESS = "in_progress", "In progress"
        IN_PLACE = "in_place", "In place"
        NOT_APPLICABLE = "not_applicable", "Not applicable"

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="responses")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="responses")
    school = models.ForeignKey(
        School, null=True, blank=True, on_delete=models.PROTECT, related_name="responses"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NOT_STARTED)
    notes = models.TextField(blank=True)
    justification = models.TextField(
        blank=True, help_text="Why the item does not apply to the agency (or school)."
    )
    answers = models.JSONField(default=dict, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_responses",
    )
    target_date = models.DateField(null=True, blank=True)
    carried_over = models.BooleanField(
        default=False, help_text="Copied from the previous assessment and not yet confirmed."
    )
    previous = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(null=True, blank=True)

    objects = ResponseQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["previous"], related_name="changes")

    class Meta:
        ordering = ["item__order", "school__name"]
        constraints = [
            models.UniqueConstraint(
                "assessment",
                "item",
                condition=models.Q(school__isnull=True),
                name="checklists_response_one_per_item",
            ),
            models.UniqueConstraint(
                "assessment",
                "item",
                "school",
                condition=models.Q(school__isnull=False),
                name="checklists_response_one_per_item_and_school",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item.code} at {self.school}" if self.school_id else self.item.code

    def save(self, *args, **kwargs) -> None:
        # A guard, not behaviour: no code path may change a signed-off record.
        _refuse_if_locked([self.assessment_id])
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse(
            "response_detail", kwargs={"slug": self.assessment.agency.slug, "pk": self.pk}
        )

    def delete(self, *args, **kwargs):
        _refuse_if_locked([self.assessment_id])
        return super().delete(*args, **kwargs)

    @property
    def counts_as_in_place(self) -> bool:
        return self.status == self.Status.IN_PLACE and not self.carried_over

    @property
    def is_overdue(self) -> bool:
        open_ = self.status not in (self.Status.IN_PLACE, self.Status.NOT_APPLICABLE)
        return open_ and self.target_date is not None and self.target_date < timezone.localdate()

    def answered(self, prompt: EvidencePrompt) -> bool:
        if prompt.kind == EvidencePrompt.Kind.FILE:
            return any(a.prompt_key == prompt.key for a in self.attachments.all())
        return self.answers.get(prompt.key) not in (None, "")

    def missing_evidence(self) -> list[EvidencePrompt]:
        """The required prompts that have no answer yet."""
        return [p for p in self.item.prompts.all() if p.required and not self.answered(p)]

    def evidence_summary(self) -> tuple[int, int]:
        """(answered, asked) over the item's prompts."""
        prompts = list(self.item.prompts.all())
        return sum(self.answered(p) for p in prompts), len(prompts)

    def is_complete(self) -> bool:
        return self.status != self.Status.NOT_STARTED and not (
            self.status == self.Status.IN_PLACE and self.missing_evidence()
        )


def evidence_path(attachment: Attachment, filename: str) -> str:
    """Evidence is stored under a random name: the original name is kept only as data."""
    suffix = PurePath(filename).suffix.lower()[:10]
    agency_id = attachment.response.assessment.agency_id
    return f"evidence/{agency_id}/{uuid.uuid4().hex}{suffix}"


class Attachment(models.Model):
    """An evidence file, served only through a permission-checked download."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="attachments")
    prompt_key = models.SlugField(max_length=50, blank=True)
    file = models.FileField(upload_to=evidence_path, max_length=255)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField("SHA-256", max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at"]

    def __str__(self) -> str:
        return self.original_name

    def save(self, *args, **kwargs) -> None:
        _refuse_if_locked(Response.objects.filter(pk=self.response_id).values("assessment_id"))
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse(
            "attachment_download",
            kwargs={"slug": self.response.assessment.agency.slug, "pk": self.pk},
        )

    def delete(self, *args, **kwargs):
        _refuse_if_locked(Response.objects.filter(pk=self.response_id).values("assessment_id"))
        return super().delete(*args, **kwargs)


class SignOffQuerySet(models.QuerySet["SignOff"]):
    def for_agency(self, agency) -> SignOffQuerySet:
        """The agency's sign-offs, newest first, ready to list with their reports."""
        return (
            self.filter(assessment__agency=agency)
            .select_related("assessment")
            .prefetch_related("reports")
            .order_by("-signed_at")
        )

    def update(self, **kwargs):
        raise TypeError("A sign-off is never changed.")

    def delete(self):
        raise TypeError("A sign-off is never deleted.")


class SignOff(models.Model):
    """A lead's attestation of one revision: a row that is only ever added."""

    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="sign_offs")
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    typed_name = models.CharField(max_length=150)
    typed_title = models.CharField(max_length=150)
    statement = models.TextField()
    signed_at = models.DateTimeField(default=timezone.now)
    snapshot = models.TextField(help_text="The canonical JSON of the whole assessment, as signed.")
    snapshot_sha256 = models.CharField("snapshot SHA-256", max_length=64, unique=True)

    objects = SignOffQuerySet.as_manager()

    class Meta:
        ordering = ["-signed_at"]
        constraints = [
            models.UniqueConstraint("assessment", name="checklists_signoff_one_per_revision"),
        ]

    def __str__(self) -> str:
        return f"{self.assessment} signed off by {self.typed_name}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise TypeError("A sign-off is never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("A sign-off is never deleted.")


class ReportQuerySet(models.QuerySet):
    def stalled(self, *, now=None) -> ReportQuerySet:
        """Renders whose lease ran out: the worker that claimed them died or hung."""
        cutoff = (now or timezone.now()) - Report.lease()
        return self.filter(state=Report.State.RUNNING).filter(
            models.Q(started_at__lt=cutoff) | models.Q(started_at__isnull=True)
        )


class Report(models.Model):
    """A signed report, rendered once in the background and served from storage afterwards.

    A render holds the row for `REPORT_RENDER_LEASE` seconds from `started_at`; after that, a
    render that never finished is taken to be lost and is queued again (`reports_recover`).
    """

    class Edition(models.TextChoices):
        FULL = "full", "Full report (Law Enforcement Sensitive)"
        PUBLIC = "public", "Public summary"

    class State(models.TextChoices):
        PENDING = "pending", "Waiting to render"
        RUNNING = "running", "Rendering"
        DONE = "done", "Ready"
        FAILED = "failed", "Failed"

    sign_off = models.ForeignKey(SignOff, on_delete=models.PROTECT, related_name="reports")
    edition = models.CharField(max_length=10, choices=Edition.choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    file = models.FileField(upload_to="reports/%Y/", max_length=255, blank=True)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(
        null=True, blank=True, help_text="When the last render began."
    )
    rendered_at = models.DateTimeField(null=True, blank=True)

    objects = ReportQuerySet.as_manager()

    class Meta:
        ordering = ["sign_off", "edition"]
        constraints = [
            models.UniqueConstraint(
                "sign_off", "edition", name="checklists_report_one_per_edition"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_edition_display()} of {self.sign_off.assessment}"

    @staticmethod
    def lease() -> timedelta:
        return timedelta(seconds=settings.REPORT_RENDER_LEASE)

    def is_being_rendered(self, *, now=None) -> bool:
        """A render claimed the row and its lease has not run out."""
        return (
            self.state == self.State.RUNNING
            and self.started_at is not None
            and self.started_at >= (now or timezone.now()) - self.lease()
        )
