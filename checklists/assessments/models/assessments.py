"""An agency's assessments: the record a lead signs off, with its state and revisions."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models
from django.urls import reverse
from django.utils import timezone

from accounts.models import Agency
from checklists.catalog.models import CatalogVersion

# The one order of a checklist: item by item, each item's schools by name.
CHECKLIST_ORDER = ("item__order", "school__name")
TO_CONFIRM = models.Q(carried_over=True)  # to_confirm(), and the count scoring sums with it


class AssessmentLocked(PermissionDenied):
    """A signed-off assessment is a record, one in review is frozen: no write may change it."""

    def __init__(
        self, message: str = "This assessment is signed off: it can no longer be changed."
    ) -> None:
        super().__init__(message)


def refuse_if_locked(assessment_ids) -> None:
    if Assessment.objects.filter(pk__in=assessment_ids, state=Assessment.State.SIGNED_OFF).exists():
        raise AssessmentLocked


class AssessmentQuerySet(models.QuerySet["Assessment"]):
    def visible_to(self, user) -> AssessmentQuerySet:
        if not user.is_authenticated:
            return self.none()
        return self.filter(agency__memberships__user=user)

    def newest_first(self) -> AssessmentQuerySet:
        return self.order_by("-created_at", "-pk")

    def current_for(self, agency: Agency) -> Assessment | None:
        """The agency's newest assessment, the one its pages show."""
        assessment = (
            self.filter(agency=agency)
            .newest_first()
            .select_related("catalog_version", "previous")
            .first()
        )
        if assessment is not None:
            assessment.agency = agency  # already read: its pages' links need no second query
        return assessment

    def revisions_of(self, assessment: Assessment) -> list[Assessment]:
        """Every revision of the assessment, oldest first, in two queries however many there are.

        Revisions form a chain through `revision_of`; the agency's links are few (one row per
        assessment), so the chain is walked in memory rather than one query per link.
        """
        links = dict(
            self.filter(agency_id=assessment.agency_id).values_list("pk", "revision_of_id")
        )
        root = assessment.pk
        while links.get(root):
            root = links[root]
        reopened_by = {parent: child for child, parent in links.items() if parent}
        chain = [root]
        while chain[-1] in reopened_by:
            chain.append(reopened_by[chain[-1]])
        found = self.in_bulk(chain)
        return [found[pk] for pk in chain]


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
    reopen_reason = models.TextField(
        blank=True, help_text="Why the signed-off revision was reopened into this one."
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
    def revision_label(self) -> str:
        """How a list names the revision: "revision 2, reopened 3 Dec 2026: the reason"."""
        if self.revision == 1:
            return "revision 1"
        when = timezone.localtime(self.created_at)
        label = f"revision {self.revision}, reopened {when.day} {when:%b %Y}"
        return f"{label}: {self.reopen_reason}" if self.reopen_reason else label

    @property
    def is_past_due(self) -> bool:
        return (
            self.due_date is not None
            and not self.is_locked
            and self.due_date < timezone.localdate()
        )

    @property
    def can_be_deleted(self) -> bool:
        """Only a draft can be deleted: nothing was signed on it (a sign-off locks it for good)."""
        return self.state == self.State.DRAFT

    @property
    def is_locked(self) -> bool:
        """A signed-off assessment is a record: nothing in it changes any more."""
        return self.state == self.State.SIGNED_OFF

    @property
    def is_editable(self) -> bool:
        """Responses and evidence change only in a draft: review and sign-off freeze them."""
        return self.state == self.State.DRAFT

    def ensure_editable(self) -> None:
        """Raise `AssessmentLocked` unless the assessment is a draft."""
        if self.is_locked:
            raise AssessmentLocked
        if not self.is_editable:
            raise AssessmentLocked(
                "This assessment is in review: nothing in it changes until a lead returns it "
                "to draft."
            )

    @classmethod
    def lock_for_writing(cls, pk: int) -> Assessment:
        """Lock the assessment's row and check it is a draft; every response or evidence write
        takes this lock first, as the sign-off does, so a write racing a sign-off lands before
        its snapshot or is refused."""
        assessment = cls.objects.select_for_update().get(pk=pk)
        assessment.ensure_editable()
        return assessment
