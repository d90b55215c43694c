"""Operations on assessments and their responses: start, carry over, edit, assign."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from accounts import services as accounts_services
from accounts.audit import record
from accounts.models import Agency, AuditEvent, Membership, School, User
from checklists.assessments import extensions
from checklists.assessments.evidence import attachment_add, pending_attach, pending_discard
from checklists.assessments.models import (
    Assessment,
    AssessmentLocked,
    Attachment,
    PendingUpload,
    Response,
)
from checklists.catalog.models import CatalogVersion, Item


class ResponseConflict(Exception):
    """Someone saved the response after the editor opened it."""

    def __init__(self, current: Response) -> None:
        self.current = current
        super().__init__(f"{current} was changed by someone else (version {current.version}).")


@transaction.atomic
def assessment_start(
    *, agency: Agency, catalog_version: CatalogVersion, title: str, due_date: date | None, by: User
) -> Assessment:
    """Start an assessment with a response for every item, and every school item for each active school."""
    assessment = _assessment_create(
        agency=agency,
        catalog_version=catalog_version,
        title=title,
        due_date=due_date,
        created_by=by,
    )
    _responses_create(assessment, list(agency.schools.active()))
    _record_started(assessment, by=by)
    return assessment


def _record_started(assessment: Assessment, *, by: User) -> None:
    version = assessment.catalog_version
    previous = assessment.previous
    record(
        AuditEvent.Action.ASSESSMENT_STARTED,
        agency=assessment.agency,
        actor=by,
        target=assessment,
        summary=f"Started {assessment.title}"
        + (f", carried over from {previous.title}" if previous else ""),
        catalog=version.catalog.slug,
        catalog_version=version.version,
        previous_id=assessment.previous_id,
    )


def _assessment_create(**fields) -> Assessment:
    assessment = Assessment(**fields)
    assessment.full_clean()
    assessment.save()
    return assessment


def _responses_create(
    assessment: Assessment, schools: list[School], copy_from: dict | None = None, carry: bool = True
) -> None:
    items = list(assessment.catalog_version.items.prefetch_related("prompts"))
    rows = [
        Response(assessment=assessment, item=item, school=school)
        for item in items
        for school in ([None] if not item.is_school_scoped else schools)
    ]
    if copy_from is not None:
        for row in rows:
            _carry_over(row, copy_from.get((row.item.code, row.school_id)), carry=carry)
    bulk_create_with_history(rows, Response, batch_size=500, default_user=assessment.created_by)


@transaction.atomic
def school_responses_ensure(*, school: School) -> int:
    """Give an active school its rows in every draft assessment; returns how many were created.

    An assessment in review is frozen: it gets the school's rows when a lead returns it to draft
    (`assessment_schools_fill`).
    """
    if not school.is_active:
        return 0
    drafts = school.agency.assessments.filter(state=Assessment.State.DRAFT)
    return sum(_school_rows_create(assessment, school) for assessment in drafts)


def assessment_schools_fill(*, assessment: Assessment) -> int:
    """Give every active school its missing rows in the assessment; returns how many."""
    schools = assessment.agency.schools.active()
    return sum(_school_rows_create(assessment, school) for school in schools)


def _school_rows_create(assessment: Assessment, school: School) -> int:
    items = assessment.catalog_version.items.filter(scope=Item.Scope.SCHOOL)
    have = set(assessment.responses.filter(school=school).values_list("item_id", flat=True))
    rows = [
        Response(assessment=assessment, item=item, school=school)
        for item in items
        if item.pk not in have
    ]
    bulk_create_with_history(rows, Response)
    return len(rows)


@transaction.atomic
def assessment_start_next(
    *, previous: Assessment, title: str, due_date: date | None, by: User
) -> Assessment:
    """Start the next cycle on the newest catalog version, starting from the previous answers.

    Copied responses are marked carried over: they count as in place only once someone confirms
    them, because last year's drill is not this year's.
    """
    version = previous.catalog_version.catalog.versions.latest_first().first()
    assessment = _assessment_create(
        agency=previous.agency,
        catalog_version=version,
        previous=previous,
        title=title,
        due_date=due_date,
        created_by=by,
    )
    earlier = {
        (r.item.code, r.school_id): r
        for r in previous.responses.select_related("item").prefetch_related("attachments")
    }
    _responses_create(assessment, list(previous.agency.schools.active()), copy_from=earlier)
    _attachments_carry_over(assessment)
    _record_started(assessment, by=by)
    return assessment


@transaction.atomic
def assessment_change(
    *, assessment: Assessment, title: str, due_date: date | None, by: User
) -> Assessment:
    """Rename or re-date an assessment that is not yet signed off (its report names it)."""
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    if assessment.is_locked:
        raise AssessmentLocked
    before = {"title": assessment.title, "due_date": assessment.due_date}
    assessment.title, assessment.due_date = title, due_date
    assessment.full_clean()
    assessment.save(update_fields=["title", "due_date"])
    after = {"title": assessment.title, "due_date": assessment.due_date}
    changed = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    if changed:
        record(
            AuditEvent.Action.ASSESSMENT_CHANGED,
            agency=assessment.agency,
            actor=by,
            target=assessment,
            summary=f"Changed {assessment}: " + ", ".join(k.replace("_", " ") for k in changed),
            changes=changed,
        )
    return assessment


@transaction.atomic
def assessment_delete(*, assessment: Assessment, by: User) -> None:
    """Delete a draft, with its responses; the audit log keeps that it existed and who deleted it.

    Only a draft: a sign-off makes an assessment a record, and one in review is on its way there.
    Stored evidence files stay (a carried-over file is shared with the assessment before).
    """
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    if not assessment.can_be_deleted:
        raise ValidationError("Only a draft can be deleted; this assessment is past review.")
    summary = f"Deleted the draft {assessment}"
    details = {
        "title": assessment.title,
        "revision": assessment.revision,
        "responses": assessment.responses.count(),
    }
    record(
        AuditEvent.Action.ASSESSMENT_DELETED,
        agency=assessment.agency,
        actor=by,
        target=assessment,
        summary=summary,
        **details,
    )
    Attachment.objects.filter(response__assessment=assessment).delete()
    assessment.responses.all().delete()
    assessment.delete()


def _carry_over(row: Response, earlier: Response | None, *, carry: bool = True) -> None:
    """Copy an earlier response; `carry` marks it to be confirmed (a new cycle, not a revision)."""
    if earlier is None:
        return
    keys = {p.key for p in row.item.prompts.all()}
    row.previous = earlier
    row.status = earlier.status
    row.notes = earlier.notes
    row.justification = earlier.justification
    row.answers = {k: v for k, v in earlier.answers.items() if k in keys}
    row.owner_id = earlier.owner_id
    if carry:
        row.carried_over = earlier.status != Response.Status.NOT_STARTED
    else:
        row.carried_over, row.target_date = earlier.carried_over, earlier.target_date


def _attachments_carry_over(assessment: Assessment) -> None:
    """The new rows point at the same stored files, so the evidence stays one click away."""
    copies = [
        Attachment(
            response=response,
            prompt_key=old.prompt_key,
            file=old.file.name,
            original_name=old.original_name,
            content_type=old.content_type,
            size=old.size,
            sha256=old.sha256,
            uploaded_by_id=old.uploaded_by_id,
            uploaded_at=old.uploaded_at,
        )
        for response in assessment.responses.filter(previous__isnull=False).prefetch_related(
            "previous__attachments"
        )
        for old in response.previous.attachments.all()
    ]
    Attachment.objects.bulk_create(copies)


@transaction.atomic
def response_update(
    *,
    response: Response,
    by: User,
    expected_version: int,
    status: str,
    notes: str = "",
    justification: str = "",
    answers: dict[str, Any] | None = None,
    owner: User | None = None,
    target_date: date | None = None,
    confirm: bool = False,
    files: Iterable[tuple[str, UploadedFile]] = (),
    pending: Iterable[PendingUpload] = (),
) -> Response:
    """Save an edit of a response, unless someone else saved it since it was opened.

    Raises `ResponseConflict` (with the stored version) when `expected_version` is stale,
    `AssessmentLocked` unless the assessment is a draft, and `ValidationError` when the rules
    of the item are not met: nothing is written in any of these cases. `files` are new uploads
    (prompt key, file; "" for a supporting document), `pending` files kept from an earlier try.
    """
    assessment = Assessment.lock_for_writing(response.assessment_id)
    current = (
        Response.objects.select_for_update(of=("self",))
        .select_related("assessment__agency", "item")
        .get(pk=response.pk)
    )
    current.assessment = assessment
    if current.version != expected_version:
        raise ResponseConflict(current)
    files = list(files)
    pending = [p for p in pending if p.response_id == current.pk and p.uploaded_by_id == by.pk]
    current.status, current.notes, current.justification = status, notes, justification
    current.answers = {k: v for k, v in (answers or {}).items() if v not in (None, "")}
    current.owner, current.target_date = owner, target_date
    if confirm:
        current.carried_over = False
    _check_owner(current.assessment.agency, owner)
    keys = {key for key, _ in files} | {p.prompt_key for p in pending}
    if errors := current.rule_errors(pending_keys=keys):
        raise ValidationError(errors)
    if problems := extensions.response_problems(current):
        raise ValidationError(problems)
    for prompt_key, upload in files:
        attachment_add(response=current, upload=upload, prompt_key=prompt_key, by=by)
    for kept in pending:
        pending_attach(pending=kept, response=current, by=by)
    pending_discard(response=current, by=by)
    current.version += 1
    current.updated_by, current.updated_at = by, timezone.now()
    current.full_clean()
    _save_with_history(current, by=by, reason="edit")
    return current


def _save_with_history(response: Response, *, by: User, reason: str) -> None:
    """Save, recording who and why in the response's history (also outside a request)."""
    response._history_user = by
    response._change_reason = reason
    response.save()


def _check_owner(agency: Agency, owner: User | None) -> None:
    if owner is not None and not Membership.objects.filter(agency=agency, user=owner).exists():
        raise ValidationError({"owner": "Choose a member of the agency."})


@transaction.atomic
def responses_assign(
    *,
    assessment: Assessment,
    responses: Iterable[Response],
    owner: User,
    target_date: date | None,
    by: User,
) -> int:
    """Give responses an owner and a target date; returns how many changed."""
    assessment = Assessment.lock_for_writing(assessment.pk)
    _check_owner(assessment.agency, owner)
    count = 0
    # Lock only the response rows, in a fixed order (no outer join from the default ordering).
    locked = Response.objects.select_for_update(of=("self",)).order_by("pk")
    for response in locked.filter(assessment=assessment, pk__in=[r.pk for r in responses]):
        response.owner, response.target_date = owner, target_date
        response.version += 1
        response.updated_by, response.updated_at = by, timezone.now()
        _save_with_history(response, by=by, reason="assigned")
        count += 1
    return count


@transaction.atomic
def assessment_revision_create(*, assessment: Assessment, by: User, reason: str = "") -> Assessment:
    """A new revision of a signed-off assessment, with its answers and files as they were."""
    revision = _assessment_create(
        reopen_reason=reason,
        agency=assessment.agency,
        catalog_version=assessment.catalog_version,
        previous=assessment.previous,
        revision_of=assessment,
        revision=assessment.revision + 1,
        title=assessment.title,
        due_date=assessment.due_date,
        created_by=by,
    )
    earlier = {
        (r.item.code, r.school_id): r
        for r in assessment.responses.select_related("item").prefetch_related("attachments")
    }
    _responses_create(
        revision, list(assessment.agency.schools.active()), copy_from=earlier, carry=False
    )
    _attachments_carry_over(revision)
    return revision


@transaction.atomic
def responses_confirm(*, assessment: Assessment, responses: Iterable[Response], by: User) -> int:
    """Confirm carried-over responses as still true; returns how many were confirmed.

    Each confirmation is a saved version in the response's history, with who and when.
    """
    assessment = Assessment.lock_for_writing(assessment.pk)
    count = 0
    locked = Response.objects.select_for_update(of=("self",)).order_by("pk")
    chosen = [r.pk for r in responses]
    for response in locked.filter(assessment=assessment, pk__in=chosen).to_confirm():
        response.carried_over = False
        response.version += 1
        response.updated_by, response.updated_at = by, timezone.now()
        _save_with_history(response, by=by, reason="confirmed")
        count += 1
    return count


# Completeness ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Gap:
    """Something that stops an assessment from being submitted."""

    response: Response
    reason: str


class IncompleteAssessment(ValidationError):
    def __init__(self, gaps: list[Gap]) -> None:
        self.gaps = gaps
        super().__init__(
            f"{len(gaps)} item(s) need attention before the assessment can be submitted."
        )


def assessment_gaps(assessment: Assessment) -> list[Gap]:
    """Every applicable response without a status, and every in-place one missing evidence."""
    return [
        Gap(response, reason)
        for response in assessment.responses.for_display()
        if (reason := response.gap())
    ]


# Schools ---------------------------------------------------------------------------------------


@transaction.atomic
def school_add(*, agency: Agency, by: User, **fields) -> School:
    """Add a school; an active one gets its rows in every open assessment at once."""
    school = accounts_services.school_create(agency=agency, by=by, **fields)
    school_responses_ensure(school=school)
    return school


@transaction.atomic
def school_change(*, school: School, by: User, **fields) -> School:
    """Change a school; reactivating it fills in any rows it missed while inactive."""
    school = accounts_services.school_update(school=school, by=by, **fields)
    school_responses_ensure(school=school)
    return school
