"""Sign-offs (rows only ever added) and the signed reports rendered from them."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from checklists.assessments.models import Assessment


class SignOffQuerySet(models.QuerySet["SignOff"]):
    def for_agency(self, agency) -> SignOffQuerySet:
        """The agency's sign-offs, newest first, ready to list with their reports."""
        return (
            self.filter(assessment__agency=agency)
            .select_related("assessment")
            .prefetch_related("reports")
            .order_by("-signed_at")
        )

    def of_revisions(self, revisions) -> SignOffQuerySet:
        """The sign-offs of these revisions, with their reports."""
        return self.filter(assessment__in=revisions).prefetch_related("reports")

    def matching(self, sha256: str) -> tuple[SignOff | None, str]:
        """The sign-off with this snapshot fingerprint, and the edition whose snapshot it is."""
        found = (
            self.select_related("assessment__agency", "signer")
            .filter(models.Q(snapshot_sha256=sha256) | models.Q(public_snapshot_sha256=sha256))
            .first()
        )
        if found is None:
            return None, ""
        edition = Report.Edition.FULL if found.snapshot_sha256 == sha256 else Report.Edition.PUBLIC
        return found, edition

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
    public_snapshot = models.TextField(
        blank=True, help_text="The canonical JSON of what the public may see, as signed."
    )
    public_snapshot_sha256 = models.CharField(
        "public snapshot SHA-256", max_length=64, unique=True, null=True, blank=True
    )
    logo = models.FileField(
        upload_to="sign-offs/logos/",
        max_length=255,
        blank=True,
        help_text="The agency's logo as it was at sign-off, printed on the signed reports.",
    )

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

    def superseded_by(self) -> SignOff | None:
        """The newest sign-off of a later revision of the same assessment, if any."""
        later = [
            revision
            for revision in Assessment.objects.revisions_of(self.assessment)
            if revision.revision > self.assessment.revision
        ]
        return SignOff.objects.filter(assessment__in=later).order_by("-signed_at").first()

    def snapshot_for(self, edition: str) -> str:
        """The canonical JSON an edition embeds: the full record, or what the public may see."""
        return self.public_snapshot if edition == Report.Edition.PUBLIC else self.snapshot

    def fingerprint_for(self, edition: str) -> str:
        if edition == Report.Edition.PUBLIC:
            return self.public_snapshot_sha256 or ""
        return self.snapshot_sha256


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
    error = models.TextField(blank=True, help_text="For operators: what went wrong, in full.")
    error_reference = models.CharField(
        max_length=16, blank=True, help_text="What members are shown; the log has the detail."
    )
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
        return being_rendered(self, now=now)


def being_rendered(row, *, now=None) -> bool:
    """A render claimed the row (a report, or another signed document with the same state
    fields) and its lease has not run out."""
    return (
        row.state == Report.State.RUNNING
        and row.started_at is not None
        and row.started_at >= (now or timezone.now()) - Report.lease()
    )


class DraftReportQuerySet(models.QuerySet["DraftReport"]):
    def in_progress(self, *, now=None) -> DraftReportQuerySet:
        """Drafts waiting or rendering within the render lease (one older is taken as lost)."""
        cutoff = (now or timezone.now()) - Report.lease()
        return self.filter(
            state__in=[Report.State.PENDING, Report.State.RUNNING], created_at__gte=cutoff
        )


class DraftReport(models.Model):
    """A draft report of an assessment not yet signed off, prepared in the task worker.

    The worker takes the snapshot of the live rows when it gets to the draft, and keys the draft
    on that snapshot's fingerprint: when an earlier draft of the same edition has the same one,
    nothing has changed since, and its file is served again instead of being rendered again.
    """

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="drafts")
    edition = models.CharField(max_length=10, choices=Report.Edition.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(
        max_length=10, choices=Report.State.choices, default=Report.State.PENDING
    )
    snapshot_sha256 = models.CharField(
        "snapshot SHA-256",
        max_length=64,
        blank=True,
        help_text="Of the live snapshot, the assessment's state, the logo and the paper size.",
    )
    reused = models.BooleanField(
        default=False, help_text="Nothing had changed: an earlier draft's file is served again."
    )
    file = models.FileField(upload_to="drafts/%Y/", max_length=255, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    error = models.TextField(blank=True, help_text="For operators: what went wrong, in full.")
    error_reference = models.CharField(max_length=16, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    rendered_at = models.DateTimeField(null=True, blank=True)

    objects = DraftReportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["assessment", "edition", "snapshot_sha256"],
                name="checklists_draft_snapshot_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Draft {self.get_edition_display().lower()} of {self.assessment}"

    def get_absolute_url(self) -> str:
        return reverse("draft_detail", args=[self.assessment.agency.slug, self.pk])

    @property
    def in_progress(self) -> bool:
        return self.state in (Report.State.PENDING, Report.State.RUNNING)
