"""Exercise operations: each checks with `full_clean()`, writes in one transaction and records its
audit event. Nothing is half-saved: an exercise with one bad item or attendee saves nothing."""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.template.defaultfilters import pluralize
from django.utils import timezone

from accounts.audit import record
from accounts.models import Agency, AuditEvent, School, User
from checklists.assessments.evidence import stored_file_open, upload_checked
from checklists.catalog.models import Item
from checklists.signoff.models import Report
from checklists.signoff.snapshot import canonical, fingerprint
from exercises.aar import ATTESTATION, aar_snapshot
from exercises.models import (
    ActionEvent,
    AfterActionReport,
    CorrectiveAction,
    Exercise,
    Objective,
    Observation,
    Organization,
    Review,
    ReviewAttachment,
)
from exercises.tasks import aar_render_enqueue, aar_render_queued
from training.models import Completion, Person, Session
from training.services import session_attendees_add, session_change, session_record


def _record(agency: Agency, by: User | None, target, summary: str, **details) -> None:
    action = AuditEvent.Action.EXERCISE_RECORDED
    record(action, agency=agency, actor=by, target=target, summary=summary, **details)


def _check_items(items: list[Item], version_id: int, field: str = "items") -> None:
    if any(item.catalog_version_id != version_id for item in items):
        raise ValidationError({field: "Choose items of the exercise's catalog version."})


def _check_schools(schools: Iterable[School], agency: Agency, field: str = "schools") -> None:
    if any(school.agency_id != agency.pk for school in schools):
        raise ValidationError({field: "Choose among the agency's schools."})


@transaction.atomic
def organization_save(*, organization: Organization, by: User) -> Organization:
    organization.full_clean()
    organization.save()
    _record(organization.agency, by, organization, f"Saved the organization {organization.name}")
    return organization


def _objectives_set(exercise: Exercise, lines: list[str | tuple[str, str]]) -> None:
    """Keep objectives by their text; drop the ones gone unless a finding rests on them. A line
    is an objective's text, or its text and the core capability it tests."""
    existing = {o.text: o for o in exercise.objectives.all()}
    for order, line in enumerate(lines):
        text, capability = (line, "") if isinstance(line, str) else line
        objective = existing.pop(text, None) or Objective(exercise=exercise, text=text)
        objective.order, objective.capability = order, capability
        objective.full_clean()
        objective.save()
    for objective in existing.values():
        if objective.observations.exists():
            raise ValidationError(
                {"objectives": f"“{objective.text}” has findings recorded: keep it."}
            )
        objective.delete()


@transaction.atomic
def exercise_save(
    *,
    exercise: Exercise,
    objectives: list[str | tuple[str, str]],
    items: Iterable[Item] = (),
    organizations: Iterable[Organization] = (),
    attendees: Iterable[Person] = (),
    by: User,
) -> Exercise:
    """Add or change an exercise; attendance of a course-linked exercise records the training."""
    items, organizations, attendees = list(items), list(organizations), list(attendees)
    is_new = exercise.pk is None
    if is_new:
        exercise.created_by = by
    exercise.full_clean()
    _check_items(items, exercise.catalog_version_id)
    if any(o.agency_id != exercise.agency_id for o in organizations):
        raise ValidationError({"organizations": "Choose among the agency's organizations."})
    if any(p.agency_id != exercise.agency_id for p in attendees):
        raise ValidationError({"attendees": "Choose among the agency's people."})
    if attendees and not exercise.is_held:
        raise ValidationError({"attendees": "Attendance is recorded once the exercise is held."})
    exercise.save()
    _objectives_set(exercise, objectives)
    exercise.items.set(items)
    exercise.organizations.set(organizations)
    exercise.attendees.set(attendees)
    _training_record(exercise, attendees, by)
    verb = "Recorded" if is_new else "Changed"
    _record(exercise.agency, by, exercise, f"{verb} the exercise {exercise.title}")
    return exercise


def _training_record(exercise: Exercise, attendees: list[Person], by: User) -> None:
    """The matching completions, once: whoever already has the course on that day keeps theirs
    (it is this exercise, recorded in training); the others get one in the exercise's session,
    which follows the exercise's course, days and hours when they change."""
    if not exercise.course_id or not attendees:
        return
    session = exercise.session
    if session is not None:
        held = {"course_id": exercise.course_id, "starts_on": exercise.starts_on,
                "ends_on": exercise.ends_on, "hours": exercise.hours}  # fmt: skip
        if any(getattr(session, name) != value for name, value in held.items()):
            session_change(session=session, by=by, **held)
    credited = set(
        Completion.objects.filter(
            course=exercise.course, completed_on=exercise.ends_on, person__in=attendees
        ).values_list("person_id", flat=True)
    )
    missing = [person for person in attendees if person.pk not in credited]
    if not missing:
        return
    if session is None:
        session = Session(
            agency=exercise.agency, course=exercise.course, starts_on=exercise.starts_on,
            ends_on=exercise.ends_on, hours=exercise.hours, location=exercise.where[:200],
            school=exercise.school, instructor=f"Exercise: {exercise.title}"[:200],
        )  # fmt: skip
        exercise.session = session_record(session=session, attendees=missing, by=by)
        exercise.save(update_fields=["session"])
        return
    session_attendees_add(session=session, attendees=missing, by=by)


@transaction.atomic
def review_save(*, review: Review, by: User) -> Review:
    review.full_clean()
    review.save()
    _record(review.exercise.agency, by, review.exercise, f"Saved the review of {review.exercise}")
    return review


@transaction.atomic
def observation_add(*, observation: Observation, by: User) -> Observation:
    """A strength or an area for improvement under one of the exercise's objectives."""
    observation.recorded_by = by
    observation.full_clean()
    observation.save()
    exercise = observation.objective.exercise
    kind = observation.get_kind_display().lower()
    _record(exercise.agency, by, exercise, f"Recorded a {kind} for {exercise}")
    return observation


@transaction.atomic
def observation_change(*, observation: Observation, by: User) -> Observation:
    """Correct a finding's wording, analysis, kind or objective (within its exercise)."""
    observation.full_clean()
    exercise = observation.objective.exercise
    if observation.kind == Observation.Kind.STRENGTH and observation.corrective_actions.exists():
        raise ValidationError(
            {"kind": "Corrective actions answer this finding: it stays an area for improvement."}
        )
    observation.save()
    _record(exercise.agency, by, exercise, f"Changed a finding of {exercise}")
    return observation


@transaction.atomic
def observation_delete(*, observation: Observation, by: User) -> None:
    """Remove a finding; one that corrective actions answer stays until they answer another."""
    exercise = observation.objective.exercise
    if n := observation.corrective_actions.count():
        raise ValidationError(
            f"{n} corrective action{pluralize(n)} answer{pluralize(n, 's,')} this finding: "
            "change them to answer another finding (or none) first."
        )
    text = observation.text[:80]
    observation.delete()
    _record(exercise.agency, by, exercise, f"Removed the finding “{text}” of {exercise}")


@transaction.atomic
def attachment_add(*, exercise: Exercise, upload: UploadedFile, by: User) -> ReviewAttachment:
    """A file checked by its content like evidence, stored under a clean name with its SHA-256."""
    try:
        checked = upload_checked(upload)
    except ValidationError as error:
        raise ValidationError({"file": error.messages}) from error
    name = checked.name
    attachment = ReviewAttachment(
        exercise=exercise, name=name, sha256=checked.sha256, size=checked.size, uploaded_by=by
    )
    attachment.file.save(name, upload, save=False)
    attachment.save()
    _record(
        exercise.agency, by, exercise, f"Attached {name} to {exercise}", sha256=attachment.sha256
    )
    return attachment


@transaction.atomic
def attachment_delete(*, attachment: ReviewAttachment, by: User) -> None:
    """Remove a review file; one that is the evidence of a corrective action's step stays, as
    that step's history is only ever added to."""
    if ActionEvent.objects.filter(evidence=attachment).exists():
        raise ValidationError(
            "This file is the evidence of a corrective action's step: it stays with its history."
        )
    exercise, name, sha256 = attachment.exercise, attachment.name, attachment.sha256
    stored = attachment.file.name
    attachment.delete()
    # The file goes once the row is gone for good (a rollback keeps both).
    transaction.on_commit(lambda: attachment.file.storage.delete(stored))
    record(
        AuditEvent.Action.EVIDENCE_REMOVED, agency=exercise.agency, actor=by, target=exercise,
        summary=f"Removed {name} from {exercise}", sha256=sha256,
    )  # fmt: skip


def attachment_open(*, attachment: ReviewAttachment, by: User) -> IO[bytes]:
    handle = stored_file_open(attachment.file)
    record(
        AuditEvent.Action.EVIDENCE_DOWNLOADED, agency=attachment.exercise.agency, actor=by,
        target=attachment, summary=f"Downloaded {attachment.name}", sha256=attachment.sha256,
    )  # fmt: skip
    return handle


def _action_record(action: CorrectiveAction, by: User, summary: str) -> None:
    record(
        AuditEvent.Action.CORRECTIVE_ACTION_CHANGED, agency=action.exercise.agency, actor=by,
        target=action, summary=summary, status=action.status,
    )  # fmt: skip


@transaction.atomic
def action_save(
    *,
    action: CorrectiveAction,
    items: Iterable[Item] = (),
    schools: Iterable[School] = (),
    by: User,
) -> CorrectiveAction:
    """Add or change a corrective action of the improvement plan."""
    items, schools = list(items), list(schools)
    is_new = action.pk is None
    exercise = action.exercise
    action.full_clean(exclude=["status", "done_by", "verified_by"])
    _check_items(items, exercise.catalog_version_id)
    _check_schools(schools, exercise.agency)
    if action.observation_id and action.observation.objective.exercise_id != exercise.pk:
        raise ValidationError({"observation": "Choose a finding of this exercise."})
    for field, other in (("owner", action.owner), ("organization", action.organization)):
        if other is not None and other.agency_id != exercise.agency_id:
            raise ValidationError({field: "Choose among the agency's own."})
    action.save()
    action.items.set(items)
    action.schools.set(schools)
    if is_new:
        ActionEvent.objects.create(action=action, status=action.status, by=by, note="Added")
    _action_record(action, by, f"{'Added' if is_new else 'Changed'} the corrective action {action}")
    return action


@transaction.atomic
def action_advance(
    *,
    action: CorrectiveAction,
    status: str,
    note: str = "",
    evidence: UploadedFile | None = None,
    by: User,
) -> CorrectiveAction:
    """One step of open → in progress → done → verified; verified by someone else, with a note."""
    action = CorrectiveAction.objects.select_for_update().get(pk=action.pk)
    if action.status not in CorrectiveAction.STEPS.get(status, ()):
        raise ValidationError({"status": f"An action {action.get_status_display().lower()} "
                               f"cannot become {CorrectiveAction.Status(status).label.lower()}."})  # fmt: skip
    if status == CorrectiveAction.Status.VERIFIED:
        if action.done_by_id == by.pk:
            raise ValidationError(
                {"status": "Someone other than the person who did the action verifies it."}
            )
        if not note.strip():
            raise ValidationError({"note": "Say how you verified it."})
        action.verified_by = by
    if status == CorrectiveAction.Status.DONE:
        action.done_by = by
    proof = attachment_add(exercise=action.exercise, upload=evidence, by=by) if evidence else None
    action.status = status
    action.full_clean()
    action.save(update_fields=["status", "done_by", "verified_by"])
    ActionEvent.objects.create(action=action, status=status, note=note, evidence=proof, by=by)
    _action_record(
        action, by, f"Marked the corrective action {action} {action.get_status_display().lower()}"
    )
    return action


def default_version(agency: Agency):
    """The catalog version of the agency's latest assessment (the one its checklist uses)."""
    latest = agency.assessments.order_by("-created_at", "-pk").first()
    return latest.catalog_version if latest else None


def aar_sign(
    *,
    exercise: Exercise,
    by: User,
    typed_name: str,
    typed_title: str,
    attest: bool,
    password: str,
) -> AfterActionReport:
    """A lead signs the exercise's AAR/IP as it stands: the snapshot is frozen, the PDF queued.

    The signer re-enters their password, as for a sign-off. Signing again later adds the next
    numbered report; the earlier ones stay as they were signed."""
    if not by.check_password(password):
        raise ValidationError({"password": "That is not your password."})
    if not attest:
        raise ValidationError({"attest": "Tick the statement to sign."})
    return _aar_write(exercise=exercise, by=by, typed_name=typed_name, typed_title=typed_title)


@transaction.atomic
def _aar_write(*, exercise: Exercise, by: User, typed_name: str, typed_title: str):
    exercise = Exercise.objects.select_for_update().select_related("agency").get(pk=exercise.pk)
    if not exercise.is_held:
        raise ValidationError("An exercise's after-action report is signed once it is held.")
    if not Review.objects.filter(exercise=exercise).exists():
        raise ValidationError("Record the review (evaluator and date) before signing the report.")
    number = exercise.after_action_reports.count() + 1
    signed_at = timezone.now()
    signer = {"name": typed_name, "title": typed_title, "account_name": by.full_name,
              "email": by.email, "at": signed_at.isoformat(), "statement": ATTESTATION}  # fmt: skip
    data = aar_snapshot(exercise, signer=signer, number=number, as_of=timezone.localdate())
    text = canonical(data)
    report = AfterActionReport.objects.create(
        exercise=exercise, number=number, signer=by, typed_name=typed_name,
        typed_title=typed_title, signed_at=signed_at, snapshot=text,
        snapshot_sha256=fingerprint(text),
    )  # fmt: skip
    _record(exercise.agency, by, exercise, f"Signed after-action report {number} of {exercise}",
            snapshot_sha256=report.snapshot_sha256)  # fmt: skip
    transaction.on_commit(lambda: aar_render_enqueue(report=report))
    return report


@transaction.atomic
def aars_recover() -> list[AfterActionReport]:
    """Queue again the AAR renders the worker lost, as `reports_recover` does for the reports:
    one that outlived its lease, and one waiting whose task is no longer queued."""
    cutoff = timezone.now() - Report.lease()
    locked = AfterActionReport.objects.select_for_update(of=("self",)).order_by("pk")
    stalled = locked.filter(state=Report.State.RUNNING).filter(
        Q(started_at__lt=cutoff) | Q(started_at__isnull=True)
    )
    waiting = locked.filter(state=Report.State.PENDING, signed_at__lt=cutoff)
    lost = list(stalled) + [r for r in waiting if not aar_render_queued(report=r)]
    for report in lost:
        report.state, report.task_id = Report.State.PENDING, ""
        report.save(update_fields=["state", "task_id"])
    transaction.on_commit(lambda: [aar_render_enqueue(report=r) for r in lost])
    return lost


def aar_open(*, report: AfterActionReport, by: User) -> IO[bytes]:
    """Open a signed AAR/IP's stored file for its download, which is recorded."""
    handle = stored_file_open(report.file)
    record(
        AuditEvent.Action.REPORT_DOWNLOADED, agency=report.exercise.agency, actor=by,
        target=report, summary=f"Downloaded after-action report {report.number} of "
        f"{report.exercise}", sha256=report.sha256,
    )  # fmt: skip
    return handle
