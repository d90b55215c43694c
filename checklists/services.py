"""Operations on catalogs and assessments that span several rows."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path, PurePath
from typing import Any

import filetype
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from accounts.audit import record
from accounts.models import Agency, AuditEvent, Membership, Role, School, User
from checklists.catalog import CatalogError, CatalogSpec, Problem, PromptSpec, read_catalog
from checklists.models import (
    Assessment,
    AssessmentLocked,
    Attachment,
    Catalog,
    CatalogVersion,
    EvidencePrompt,
    Figure,
    FigureValue,
    Item,
    Report,
    Response,
    Section,
    SignOff,
    Source,
)


@dataclass(frozen=True)
class CatalogLoad:
    version: CatalogVersion
    created: bool


def catalog_load(*, path: Path | str) -> CatalogLoad:
    """Load a catalog file as a new version, unless its content is already loaded.

    The whole file is checked before anything is written (`CatalogError` otherwise), and the
    write is one transaction. A version is never changed once written, so an assessment keeps
    the exact items it was started on.
    """
    spec = read_catalog(path)
    try:
        return _catalog_write(spec=spec, source_file=Path(path).name)
    except ValidationError as error:
        # The reader checks what the models check; should they ever differ, the file is still
        # refused as a whole, with the model's own words.
        fields = error.message_dict if hasattr(error, "error_dict") else {"": error.messages}
        problems = [
            Problem(1, "" if field == NON_FIELD_ERRORS else field, message)
            for field, messages in fields.items()
            for message in messages
        ]
        raise CatalogError(path, problems) from error


@transaction.atomic
def _catalog_write(*, spec: CatalogSpec, source_file: str) -> CatalogLoad:
    digest = spec.sha256()
    catalog, _ = Catalog.objects.select_for_update().get_or_create(
        slug=spec.slug, defaults={"title": spec.title}
    )
    existing = catalog.versions.filter(content_sha256=digest).first()
    if existing is not None:
        return CatalogLoad(version=existing, created=False)
    if catalog.title != spec.title:
        catalog.title = spec.title
        catalog.save(update_fields=["title"])
    number = (catalog.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = CatalogVersion(
        catalog=catalog,
        number=number,
        content_sha256=digest,
        source_file=source_file,
        **spec.model_dump(
            include={"version", "title", "publisher", "source_url", "published", "description"}
        ),
    )
    version.full_clean()
    version.save()
    roles = _roles_save(spec)
    sources = _sources_create(spec, version)
    _items_create(spec, version, roles, sources)
    _figures_create(spec, version, sources)
    return CatalogLoad(version=version, created=True)


def _roles_save(spec: CatalogSpec) -> dict[str, Role]:
    """Roles are shared by every catalog and by people: create new ones, keep names current."""
    existing = {
        role.slug: role for role in Role.objects.filter(slug__in=[r.slug for r in spec.roles])
    }
    for order, role_spec in enumerate(spec.roles):
        values = {"name": role_spec.name, "description": role_spec.description, "order": order}
        role = existing.get(role_spec.slug)
        if role is None:
            existing[role_spec.slug] = Role.objects.create(slug=role_spec.slug, **values)
        elif any(getattr(role, field) != value for field, value in values.items()):
            Role.objects.filter(pk=role.pk).update(**values)
    return existing


def _sources_create(spec: CatalogSpec, version: CatalogVersion) -> dict[str, Source]:
    sources = [
        Source(
            catalog_version=version,
            key=s.key,
            citation=s.citation,
            url=s.url or "",
            doi=s.doi or "",
            order=order,
        )
        for order, s in enumerate(spec.sources)
    ]
    return {source.key: source for source in _bulk_create(Source, sources)}


def _items_create(
    spec: CatalogSpec, version: CatalogVersion, roles: dict[str, Role], sources: dict[str, Source]
) -> None:
    sections = _bulk_create(
        Section,
        [
            Section(
                catalog_version=version, code=s.code, title=s.title, summary=s.summary, order=order
            )
            for order, s in enumerate(spec.sections)
        ],
    )
    pairs = [
        (sections[s], item) for s, section in enumerate(spec.sections) for item in section.items
    ]
    items = _bulk_create(
        Item,
        [
            Item(
                catalog_version=version,
                section=section,
                order=order,
                **item.model_dump(
                    include={"code", "title", "guidance", "why", "basis", "scope", "weight"}
                ),
            )
            for order, (section, item) in enumerate(pairs)
        ],
    )
    prompts, item_roles, item_sources = [], [], []
    for item, (_, item_spec) in zip(items, pairs, strict=True):
        prompts += [_prompt(item, order, p) for order, p in enumerate(item_spec.prompts)]
        item_roles += [Item.roles.through(item=item, role=roles[slug]) for slug in item_spec.roles]
        item_sources += [
            Item.sources.through(item=item, source=sources[key]) for key in item_spec.sources
        ]
    _bulk_create(EvidencePrompt, prompts)
    Item.roles.through.objects.bulk_create(item_roles)
    Item.sources.through.objects.bulk_create(item_sources)


def _prompt(item: Item, order: int, spec: PromptSpec) -> EvidencePrompt:
    def number(value) -> Decimal | None:
        return value if isinstance(value, Decimal) else None

    def day(value) -> date | None:
        return value if isinstance(value, date) else None

    return EvidencePrompt(
        item=item,
        key=spec.key,
        kind=spec.kind,
        label=spec.label,
        help_text=spec.help,
        required=spec.required,
        order=order,
        min_number=number(spec.min),
        max_number=number(spec.max),
        unit=spec.unit or "",
        min_date=day(spec.min),
        max_date=day(spec.max),
        not_after_today=spec.max == "today",
        max_length=spec.max_length,
        choices=list(spec.choices or []),
    )


def _figures_create(spec: CatalogSpec, version: CatalogVersion, sources: dict[str, Source]) -> None:
    figures = _bulk_create(
        Figure,
        [
            Figure(
                catalog_version=version,
                order=order,
                source=sources[f.source],
                **f.model_dump(include={"key", "title", "note", "period", "unit"}),
            )
            for order, f in enumerate(spec.figures)
        ],
    )
    values = [
        FigureValue(figure=figure, label=v.label, value=v.value, order=order)
        for figure, f in zip(figures, spec.figures, strict=True)
        for order, v in enumerate(f.values)
    ]
    _bulk_create(FigureValue, values)


def _bulk_create[M](model: type[M], objects: list[M]) -> list[M]:
    """Check each row as the model would, then insert them all at once."""
    for obj in objects:
        obj.full_clean(validate_unique=False, validate_constraints=False)
    return model.objects.bulk_create(objects)


# Assessments -----------------------------------------------------------------------------------


class ResponseConflict(Exception):
    """Someone saved the response after the editor opened it."""

    def __init__(self, current: Response) -> None:
        self.current = current
        super().__init__(f"{current} was changed by someone else (version {current.version}).")


def _ensure_editable(assessment: Assessment) -> None:
    if assessment.is_locked:
        raise AssessmentLocked


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
    bulk_create_with_history(rows, Response, batch_size=500)


@transaction.atomic
def school_responses_ensure(*, school: School) -> int:
    """Give an active school its rows in every open assessment; returns how many were created."""
    if not school.is_active:
        return 0
    created = 0
    for assessment in school.agency.assessments.exclude(state=Assessment.State.SIGNED_OFF):
        items = assessment.catalog_version.items.filter(scope=Item.Scope.SCHOOL)
        have = set(assessment.responses.filter(school=school).values_list("item_id", flat=True))
        rows = [
            Response(assessment=assessment, item=item, school=school)
            for item in items
            if item.pk not in have
        ]
        bulk_create_with_history(rows, Response)
        created += len(rows)
    return created


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
) -> Response:
    """Save an edit of a response, unless someone else saved it since it was opened.

    Raises `ResponseConflict` (with the stored version) when `expected_version` is stale,
    `AssessmentLocked` on a signed-off assessment, and `ValidationError` when the rules of the
    item are not met: nothing is written in any of these cases.
    """
    current = (
        Response.objects.select_for_update(of=("self",))
        .select_related("assessment__agency", "item")
        .get(pk=response.pk)
    )
    _ensure_editable(current.assessment)
    if current.version != expected_version:
        raise ResponseConflict(current)
    files = list(files)
    current.status, current.notes, current.justification = status, notes, justification
    current.answers = {k: v for k, v in (answers or {}).items() if v not in (None, "")}
    current.owner, current.target_date = owner, target_date
    if confirm:
        current.carried_over = False
    _check_owner(current.assessment.agency, owner)
    _check_evidence(current, pending_keys={key for key, _ in files})
    for prompt_key, upload in files:
        attachment_add(response=current, upload=upload, prompt_key=prompt_key, by=by)
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


def _check_evidence(response: Response, pending_keys: set[str]) -> None:
    S = Response.Status
    if response.status == S.NOT_APPLICABLE and not response.justification.strip():
        raise ValidationError({"justification": "Say why the item does not apply."})
    if response.status == S.IN_PLACE:
        missing = [p for p in response.missing_evidence() if p.key not in pending_keys]
        if missing:
            raise ValidationError(
                {p.key: "Required before the item can be marked in place." for p in missing}
            )


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
    _ensure_editable(assessment)
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


# Evidence files --------------------------------------------------------------------------------

ALLOWED_EVIDENCE = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "tif": "image/tiff",
    "heic": "image/heic",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt": "application/vnd.ms-powerpoint",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
    "rtf": "application/rtf",
}
EXTENSION_ALIASES = {"jpeg": "jpg", "tiff": "tif"}


def evidence_check(upload: UploadedFile) -> str:
    """The file's real type by its content; `ValidationError` unless it is allowed and matches."""
    if upload.size > settings.EVIDENCE_MAX_BYTES:
        limit = settings.EVIDENCE_MAX_BYTES // (1024 * 1024)
        raise ValidationError(f"{upload.name} is larger than the {limit} MB limit.")
    upload.seek(0)
    kind = filetype.guess(upload.read(8192))
    upload.seek(0)
    if kind is None or kind.extension not in ALLOWED_EVIDENCE:
        raise ValidationError(
            f"{upload.name} is not a PDF, image or office document, judging by its content."
        )
    extension = PurePath(upload.name).suffix.lower().lstrip(".")
    if EXTENSION_ALIASES.get(extension, extension) != kind.extension:
        raise ValidationError(
            f"{upload.name} is a {kind.extension.upper()} file with the wrong ending."
        )
    return ALLOWED_EVIDENCE[kind.extension]


def _sanitized_name(name: str) -> str:
    base = PurePath(name.replace("\\", "/")).name
    clean = "".join(c for c in base if c.isprintable() and c not in '<>:"/\\|?*').strip(" .")
    return clean[:200] or "evidence"


@transaction.atomic
def attachment_add(
    *, response: Response, upload: UploadedFile, prompt_key: str, by: User
) -> Attachment:
    """Store an evidence file after checking its content, size and name."""
    _ensure_editable(response.assessment)
    content_type = evidence_check(upload)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    attachment = Attachment(
        response=response,
        prompt_key=prompt_key,
        original_name=_sanitized_name(upload.name),
        content_type=content_type,
        size=upload.size,
        sha256=digest.hexdigest(),
        uploaded_by=by,
    )
    attachment.file.save(attachment.original_name, upload, save=False)
    attachment.save()
    _record_evidence(AuditEvent.Action.EVIDENCE_ADDED, attachment, by=by, verb="Added")
    return attachment


def _record_evidence(action: str, attachment: Attachment, *, by: User | None, verb: str) -> None:
    response = attachment.response
    record(
        action,
        agency=response.assessment.agency,
        actor=by,
        target=attachment,
        summary=f"{verb} {attachment.original_name} on {response.item.code}"
        + (f" at {response.school.name}" if response.school_id else ""),
        response_id=response.pk,
        assessment_id=response.assessment_id,
        sha256=attachment.sha256,
    )


@transaction.atomic
def attachment_delete(*, attachment: Attachment, by: User) -> None:
    _ensure_editable(attachment.response.assessment)
    name = attachment.file.name
    _record_evidence(AuditEvent.Action.EVIDENCE_REMOVED, attachment, by=by, verb="Removed")
    attachment.delete()
    # Carried-over attachments share the stored file with the previous assessment's rows.
    if not Attachment.objects.filter(file=name).exists():
        transaction.on_commit(lambda: attachment.file.storage.delete(name))


# Review and sign-off ----------------------------------------------------------------------------

ATTESTATION = (
    "I have reviewed this assessment. To the best of my knowledge, the readiness it records and "
    "the evidence behind it are accurate and complete as of the date of my sign-off."
)


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
    gaps = []
    for response in assessment.responses.for_display().order_by("item__order", "school__name"):
        if response.status == Response.Status.NOT_STARTED:
            gaps.append(Gap(response, "No status recorded yet."))
        elif response.status == Response.Status.IN_PLACE and (
            missing := response.missing_evidence()
        ):
            labels = ", ".join(p.label for p in missing)
            gaps.append(Gap(response, f"In place, but missing required evidence: {labels}."))
    return gaps


@transaction.atomic
def assessment_submit(*, assessment: Assessment, by: User) -> Assessment:
    """Send a complete assessment for the lead's review; `IncompleteAssessment` lists the gaps."""
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    _ensure_editable(assessment)
    if gaps := assessment_gaps(assessment):
        raise IncompleteAssessment(gaps)
    assessment.state = Assessment.State.IN_REVIEW
    assessment.submitted_at, assessment.submitted_by = timezone.now(), by
    assessment.save(update_fields=["state", "submitted_at", "submitted_by"])
    _record_assessment(AuditEvent.Action.ASSESSMENT_SUBMITTED, assessment, by=by, verb="Submitted")
    return assessment


def _record_assessment(action: str, assessment: Assessment, *, by: User, verb: str, **details):
    record(
        action,
        agency=assessment.agency,
        actor=by,
        target=assessment,
        summary=f"{verb} {assessment.title}"
        + (f" (revision {assessment.revision})" if assessment.revision > 1 else ""),
        **details,
    )


@transaction.atomic
def assessment_return(*, assessment: Assessment, by: User) -> Assessment:
    """Send an assessment in review back to draft, for more work."""
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    if assessment.state == Assessment.State.IN_REVIEW:
        assessment.state = Assessment.State.DRAFT
        assessment.save(update_fields=["state"])
        verb = "Returned to draft:"
        _record_assessment(AuditEvent.Action.ASSESSMENT_RETURNED, assessment, by=by, verb=verb)
    return assessment


def assessment_sign_off(
    *,
    assessment: Assessment,
    by: User,
    typed_name: str,
    typed_title: str,
    attest: bool,
    password: str,
) -> SignOff:
    """Sign off a reviewed assessment: the snapshot is frozen and the signed reports are queued.

    The signer re-enters their password. Two leads signing at once produce exactly one sign-off.
    """
    if not by.check_password(password):
        raise ValidationError({"password": "That is not your password."})
    if not attest:
        raise ValidationError({"attest": "Tick the statement to sign off."})
    sign_off = _sign_off_write(
        assessment=assessment, by=by, typed_name=typed_name, typed_title=typed_title
    )
    return sign_off


@transaction.atomic
def _sign_off_write(
    *, assessment: Assessment, by: User, typed_name: str, typed_title: str
) -> SignOff:
    from checklists.snapshot import assessment_snapshot, canonical, fingerprint
    from checklists.tasks import report_render_enqueue

    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    if assessment.state == Assessment.State.SIGNED_OFF:
        raise ValidationError("This assessment has already been signed off.", code="signed")
    if assessment.state != Assessment.State.IN_REVIEW:
        raise ValidationError(
            "Submit the assessment for review before signing it off.", code="draft"
        )
    signed_at = timezone.now()
    signer = {
        "name": typed_name,
        "title": typed_title,
        "email": by.email,
        "at": signed_at.isoformat(),
        "statement": ATTESTATION,
    }
    text = canonical(assessment_snapshot(assessment, signer=signer))
    sign_off = SignOff(
        assessment=assessment,
        signer=by,
        typed_name=typed_name,
        typed_title=typed_title,
        statement=ATTESTATION,
        signed_at=signed_at,
        snapshot=text,
        snapshot_sha256=fingerprint(text),
    )
    sign_off.full_clean()
    sign_off.save()
    assessment.state = Assessment.State.SIGNED_OFF
    assessment.save(update_fields=["state"])
    reports = [Report.objects.create(sign_off=sign_off, edition=e) for e in Report.Edition.values]
    _record_assessment(
        AuditEvent.Action.ASSESSMENT_SIGNED_OFF,
        assessment,
        by=by,
        verb="Signed off",
        typed_name=typed_name,
        typed_title=typed_title,
        snapshot_sha256=sign_off.snapshot_sha256,
    )
    transaction.on_commit(lambda: [report_render_enqueue(report=r) for r in reports])
    return sign_off


@transaction.atomic
def assessment_reopen(*, assessment: Assessment, by: User) -> Assessment:
    """Open a new revision to edit; the signed revision and its reports stay exactly as they were."""
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    if assessment.state != Assessment.State.SIGNED_OFF:
        raise ValidationError("Only a signed-off assessment can be reopened.")
    if Assessment.objects.filter(revision_of=assessment).exists():
        raise ValidationError("This revision has already been reopened.")
    revision = _assessment_create(
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
    _record_assessment(
        AuditEvent.Action.ASSESSMENT_REOPENED,
        assessment,
        by=by,
        verb="Reopened",
        revision_id=revision.pk,
        revision=revision.revision,
    )
    return revision


# Signed reports ----------------------------------------------------------------------------------


def report_render(*, report: Report) -> Report:
    """Render, sign and store a signed report, once: a finished report is never rendered again.

    The row is claimed in its own transaction, so a second worker finds it being rendered (and
    leaves it) or done. Should two renders still overlap — the first outlived its lease and was
    queued again — the row is locked to store the file, and only the first to finish stores
    one. A failure is recorded on the row for the page to show, and a lead may retry it.
    """
    from checklists.report import report_pdf
    from checklists.signing import sign_pdf

    claimed = _report_claim(report)
    if claimed is None:
        return Report.objects.get(pk=report.pk)
    sign_off = claimed.sign_off
    try:
        pdf = report_pdf(sign_off.assessment, edition=claimed.edition, sign_off=sign_off)
        signed = sign_pdf(
            pdf,
            reason=f"Sign-off by {sign_off.typed_name}",
            location=sign_off.assessment.agency.name,
        )
    except Exception as error:
        # Only this attempt's own claim: a newer attempt may be under way.
        Report.objects.filter(
            pk=claimed.pk, state=Report.State.RUNNING, attempts=claimed.attempts
        ).update(state=Report.State.FAILED, error=f"{type(error).__name__}: {error}")
        raise
    return _report_store(claimed, signed)


@transaction.atomic
def _report_claim(report: Report) -> Report | None:
    """Mark the report as being rendered by us, unless it is done or someone else holds it."""
    report = (
        Report.objects.select_for_update(of=("self",))
        .select_related("sign_off__assessment__agency")
        .get(pk=report.pk)
    )
    if report.state == Report.State.DONE or report.is_being_rendered():
        return None
    report.state, report.attempts, report.error = Report.State.RUNNING, report.attempts + 1, ""
    report.started_at = timezone.now()
    report.save(update_fields=["state", "attempts", "error", "started_at"])
    return report


@transaction.atomic
def _report_store(claimed: Report, signed: bytes) -> Report:
    report = Report.objects.select_for_update(of=("self",)).get(pk=claimed.pk)
    if report.state == Report.State.DONE:
        return report
    assessment = claimed.sign_off.assessment
    name = f"muster-{assessment.agency.slug}-{assessment.pk}-r{assessment.revision}-{report.edition}.pdf"
    report.file.save(name, ContentFile(signed), save=False)
    report.sha256, report.size = hashlib.sha256(signed).hexdigest(), len(signed)
    report.state, report.error, report.rendered_at = Report.State.DONE, "", timezone.now()
    report.save()
    return report


@transaction.atomic
def reports_recover() -> list[Report]:
    """Queue again the renders that were lost; returns the reports queued.

    The task worker does not resume a task whose process died (killed, out of memory, the
    machine restarted): its report would stay "rendering" for ever. A render that outlived its
    lease, and a waiting report whose task is no longer queued, are queued again. Rendering is
    idempotent, so queueing one report twice costs at most a wasted render.
    """
    from checklists.tasks import report_render_enqueue, report_render_queued

    cutoff = timezone.now() - Report.lease()
    locked = Report.objects.select_for_update(of=("self",)).order_by("pk")
    lost = list(locked.stalled()) + [
        report
        for report in locked.filter(state=Report.State.PENDING, created_at__lt=cutoff)
        if not report_render_queued(report=report)
    ]
    for report in lost:
        report.state, report.task_id = Report.State.PENDING, ""
        report.save(update_fields=["state", "task_id"])
    transaction.on_commit(lambda: [report_render_enqueue(report=r) for r in lost])
    return lost


@transaction.atomic
def report_retry(*, report: Report) -> Report:
    """Queue a failed render again."""
    from checklists.tasks import report_render_enqueue

    report = Report.objects.select_for_update(of=("self",)).get(pk=report.pk)
    if report.state != Report.State.FAILED:
        raise ValidationError("Only a failed report can be rendered again.")
    report.state, report.task_id = Report.State.PENDING, ""
    report.save(update_fields=["state", "task_id"])
    transaction.on_commit(lambda: report_render_enqueue(report=report))
    return report
