"""An assessment's responses: one per item (and school), with its evidence files, pending
uploads and review comments."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from pathlib import PurePath

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from accounts.models import School
from checklists.assessments.models.assessments import (
    CHECKLIST_ORDER,
    TO_CONFIRM,
    Assessment,
    refuse_if_locked,
)
from checklists.catalog.models import EvidencePrompt, Item


class ResponseQuerySet(models.QuerySet["Response"]):
    def for_school(self, school: School) -> ResponseQuerySet:
        return self.filter(school=school)

    def for_schools(self, school_ids) -> ResponseQuerySet:
        return self.filter(school__in=school_ids)

    def open(self) -> ResponseQuerySet:
        """Responses still to be done: neither in place nor not applicable."""
        return self.filter(status__in=Response.OPEN_STATUSES)

    def overdue(self, today: date | None = None) -> ResponseQuerySet:
        return self.open().filter(target_date__lt=today or timezone.localdate())

    def needing_action(self) -> ResponseQuerySet:
        """Open responses, and carried-over ones still to be confirmed: the report's action plan."""
        return self.filter(
            models.Q(status__in=Response.OPEN_STATUSES) | models.Q(carried_over=True)
        )

    def to_confirm(self) -> ResponseQuerySet:
        """Carried over from the previous assessment and not yet confirmed."""
        return self.filter(TO_CONFIRM)

    def in_checklist_order(self) -> ResponseQuerySet:
        return self.order_by(*Response.CHECKLIST_ORDER)

    def assigned_to(self, user) -> ResponseQuerySet:
        return self.filter(owner=user)

    def for_roles(self, roles) -> ResponseQuerySet:
        return self.filter(item__roles__in=roles).distinct()

    def update(self, **kwargs) -> int:
        refuse_if_locked(self.values("assessment_id"))
        return super().update(**kwargs)

    def _with_items(
        self, related=("school", "owner", "previous"), items=Item.objects, prompts=None
    ) -> ResponseQuerySet:
        """The rows with their school, owner, previous response, and item with its prompts.

        The items are prefetched, not joined: a page or a report shows the same few items at
        many schools, and each is then read once and shared, its prompts with it."""
        return self.select_related(*related).prefetch_related(
            models.Prefetch("item", queryset=items.select_related("section")),
            models.Prefetch("item__prompts", queryset=prompts),
        )

    def for_display(self) -> ResponseQuerySet:
        """Everything a report or an export shows of each response, in a fixed number of
        queries: its files and its review comments in full."""
        return (
            self._with_items()
            .prefetch_related(
                "attachments",
                models.Prefetch(
                    "comments",
                    queryset=ReviewComment.objects.select_related("author", "resolved_by"),
                ),
            )
            .in_checklist_order()
        )

    # Of the item and its prompts, what a checklist row prints (response_row) and counts
    # (evidence_summary); of the owner and the previous response, read with the row itself.
    ROW_ITEM = ("section", "section__title", "section__order", "code", "title", "origin",
                "practice")  # fmt: skip
    ROW_PROMPT = ("item", "key", "kind", "required")
    ROW_READ = {
        "owner_name_listed": models.F("owner__full_name"),
        "previous_status_listed": models.F("previous__status"),
        "previous_answers_listed": models.F("previous__answers"),
    }

    def for_checklist(self) -> ResponseQuerySet:
        """What a checklist row shows (response_row), lighter than for_display for the page read
        most: each row's open review comments counted, and its owner's name and previous status
        and answers read, in the page's own query (no owner and previous response made per row);
        of its files only which prompt each answers, as a plain list (no related manager and
        queryset made per row)."""
        open_comments = (
            ReviewComment.objects.filter(response=models.OuterRef("pk"), resolved_at=None)
            .order_by()
            .values("response")
            .annotate(n=models.Count("pk"))
            .values("n")
        )
        files = Attachment.objects.only("response_id", "prompt_key").order_by()
        return (
            self._with_items(
                related=["school"],
                # Unordered: a row counts its prompts, and the rows give the items' order.
                items=Item.objects.only(*self.ROW_ITEM).order_by(),
                prompts=EvidencePrompt.objects.only(*self.ROW_PROMPT).order_by(),
            )
            .only(*(field.name for field in Response._meta.concrete_fields), "school__name")
            .annotate(
                open_comment_count=Coalesce(models.Subquery(open_comments), 0), **self.ROW_READ
            )
            .prefetch_related(
                models.Prefetch("attachments", queryset=files, to_attr="files_listed")
            )
            .in_checklist_order()
        )


class ResponseHistory(HistoricalRecords):
    """Every version of a response, indexed for the dashboard's recent changes: an assessment's
    latest edits come from the index in date order, not from sorting all of its history."""

    def get_meta_options(self, model) -> dict:
        options = super().get_meta_options(model)
        recent = models.Index(
            fields=["assessment", "history_type", "-history_date"], name="checklists_hist_recent"
        )
        return options | {"indexes": (*options.get("indexes", ()), recent)}


class Response(models.Model):
    """Where the agency stands on one item (for one school, if the item is per school)."""

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", "Not started"
        IN_PROGRESS = "in_progress", "In progress"
        IN_PLACE = "in_place", "In place"
        NOT_APPLICABLE = "not_applicable", "Not applicable"

    OPEN_STATUSES = (Status.NOT_STARTED, Status.IN_PROGRESS)
    CHECKLIST_ORDER = CHECKLIST_ORDER

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="responses")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="responses")
    school = models.ForeignKey(
        School, null=True, blank=True, on_delete=models.PROTECT, related_name="responses"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NOT_STARTED)
    # Limits on free text, so no member can make a page or a report render for minutes.
    notes = models.TextField(blank=True, max_length=10_000, validators=[MaxLengthValidator(10_000)])
    justification = models.TextField(
        blank=True,
        max_length=4000,
        validators=[MaxLengthValidator(4000)],
        help_text="Why the item does not apply to the agency (or school).",
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
    history = ResponseHistory(excluded_fields=["previous"], related_name="changes")

    class Meta:
        ordering = list(CHECKLIST_ORDER)
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
        refuse_if_locked([self.assessment_id])
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse(
            "response_detail", kwargs={"slug": self.assessment.agency.slug, "pk": self.pk}
        )

    def delete(self, *args, **kwargs):
        refuse_if_locked([self.assessment_id])
        return super().delete(*args, **kwargs)

    @property
    def counts_as_in_place(self) -> bool:
        return self.status == self.Status.IN_PLACE and not self.carried_over

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def is_overdue(self) -> bool:
        return self.overdue_on(timezone.localdate())

    def overdue_on(self, day: date) -> bool:
        """Still open after its target date, as of `day`."""
        return self.is_open and self.target_date is not None and self.target_date < day

    @property
    def needs_action(self) -> bool:
        return self.is_open or self.carried_over

    @property
    def owner_name(self) -> str:
        """Its owner's name, "" for nobody: as the checklist read it, or from the owner."""
        if hasattr(self, "owner_name_listed"):
            return self.owner_name_listed or ""
        return self.owner.full_name if self.owner_id else ""

    def _previous_state(self) -> tuple[str, dict] | None:
        """The status and answers of the response it was carried over from (None without one):
        as the checklist read them, or from that response."""
        if self.previous_id is None:
            return None
        if hasattr(self, "previous_status_listed"):
            return self.previous_status_listed, self.previous_answers_listed
        return self.previous.status, self.previous.answers

    @property
    def previous_status_label(self) -> str | None:
        """The status it had in the previous assessment, in words (None without one)."""
        state = self._previous_state()
        return self.Status(state[0]).label if state else None

    @property
    def changed_since_previous(self) -> bool:
        """Its status or answers differ from the response it was carried over from."""
        state = self._previous_state()
        return state is not None and state != (self.status, self.answers)

    def answered(self, prompt: EvidencePrompt) -> bool:
        if prompt.kind == EvidencePrompt.Kind.FILE:
            return any(a.prompt_key == prompt.key for a in self.files)
        return self.answers.get(prompt.key) not in (None, "")

    @property
    def files(self) -> list[Attachment]:
        """Its files: as the checklist read them (for_checklist), or through the related
        manager, prefetched or not."""
        listed = getattr(self, "files_listed", None)
        return listed if listed is not None else list(self.attachments.all())

    def missing_evidence(self) -> list[EvidencePrompt]:
        """The required prompts that have no answer yet."""
        return [p for p in self.item.prompts.all() if p.required and not self.answered(p)]

    def evidence_summary(self) -> tuple[int, int]:
        """(answered, asked) over the item's prompts."""
        prompts = list(self.item.prompts.all())
        return sum(self.answered(p) for p in prompts), len(prompts)

    def gap(self) -> str:
        """Why the response stops its assessment from being submitted ("" when it does not)."""
        if self.status == self.Status.NOT_STARTED:
            return "No status recorded yet."
        if self.carried_over:
            return "Carried over from the previous assessment: confirm it is still true."
        if self.status == self.Status.IN_PLACE and (missing := self.missing_evidence()):
            labels = ", ".join(p.label for p in missing)
            return f"In place, but missing required evidence: {labels}."
        return ""

    def is_complete(self) -> bool:
        return not self.gap()

    @property
    def unresolved_comment_count(self) -> int:
        """Open review comments: counted by the query (for_checklist), or from the prefetched
        comments (for_display)."""
        if (counted := getattr(self, "open_comment_count", None)) is not None:
            return counted
        return sum(not comment.is_resolved for comment in self.comments.all())

    def rule_errors(self, *, pending_keys: set[str] = frozenset()) -> dict[str, str]:
        """Every way the response breaks its item's rules, by field (prompt keys for evidence):
        all at once, so a form can show each beside its field."""
        errors = {}
        if self.status == self.Status.NOT_APPLICABLE and not self.justification.strip():
            errors["justification"] = "Say why the item does not apply."
        if self.status == self.Status.IN_PLACE:
            for prompt in self.missing_evidence():
                if prompt.key not in pending_keys:
                    errors[prompt.key] = "Required before the item can be marked in place."
        return self._number_errors() | errors

    def _number_errors(self) -> dict[str, str]:
        """Counts are whole numbers, and a part (`max_of`) never exceeds its whole."""
        prompts = {p.key: p for p in self.item.prompts.all()}
        numbers = {
            key: Decimal(str(value))
            for key, value in self.answers.items()
            if key in prompts
            and prompts[key].kind == EvidencePrompt.Kind.NUMBER
            and value not in (None, "")
        }
        errors = {}
        for key, value in numbers.items():
            prompt = prompts[key]
            if prompt.whole and value % 1:
                errors[key] = "Give a whole number."
            elif prompt.max_of in numbers and value > numbers[prompt.max_of]:
                whole = prompts[prompt.max_of]
                errors[key] = (
                    f"Cannot be more than {whole.label[:1].lower()}{whole.label[1:]} "
                    f"({numbers[prompt.max_of]})."
                )
        return errors


def evidence_path(attachment: Attachment | PendingUpload, filename: str) -> str:
    """Evidence is stored under a random name: the original name is kept only as data."""
    suffix = PurePath(filename).suffix.lower()[:10]
    agency_id = attachment.response.assessment.agency_id
    return f"evidence/{agency_id}/{uuid.uuid4().hex}{suffix}"


def pending_path(pending: PendingUpload, filename: str) -> str:
    """A pending upload is stored as evidence is, where its attachment will point."""
    return evidence_path(pending, filename)


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
        refuse_if_locked(Response.objects.filter(pk=self.response_id).values("assessment_id"))
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse(
            "attachment_download",
            kwargs={"slug": self.response.assessment.agency.slug, "pk": self.pk},
        )

    def delete(self, *args, **kwargs):
        refuse_if_locked(Response.objects.filter(pk=self.response_id).values("assessment_id"))
        return super().delete(*args, **kwargs)


class PendingUpload(models.Model):
    """A file chosen in a form that could not be saved yet: checked and stored, so the person
    need not choose it again, and attached when they save (or left behind if they never do)."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="+")
    prompt_key = models.SlugField(max_length=50, blank=True)
    file = models.FileField(upload_to=pending_path, max_length=255)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField("SHA-256", max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name


class ReviewCommentQuerySet(models.QuerySet["ReviewComment"]):
    def unresolved(self) -> ReviewCommentQuerySet:
        return self.filter(resolved_at__isnull=True)


class ReviewComment(models.Model):
    """A reviewer's remark on one response: who, when, and whether it has been dealt with."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField("comment", max_length=4000)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ReviewCommentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Comment on {self.response} by {self.author}"

    @property
    def is_resolved(self) -> bool:
        return self.resolved_at is not None
