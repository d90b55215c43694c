"""Training operations: each checks with `full_clean()`, writes in one transaction and records
its audit event. Nothing is half-saved: a session with one bad attendee saves nobody."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import IO

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.audit import record
from accounts.models import Agency, AuditEvent, User
from checklists.assessments.evidence import sanitized_name, stored_file_open, upload_checked
from training import currency, importer
from training.data import read_courses
from training.models import Completion, Course, Import, Person, Requirement, Session
from training.tasks import import_apply_enqueue

IMPORT_MAX_BYTES = 5 * 1024 * 1024


ImportRefused = importer.ImportRefused


@transaction.atomic
def courses_load() -> tuple[int, int]:
    """Create or update the shipped courses from the data file; (created, updated)."""
    courses, _ = read_courses()
    created = updated = 0
    for fields in courses:
        course = Course.objects.filter(agency=None, code=fields["code"]).first() or Course()
        is_new = course.pk is None
        for name, value in fields.items():
            setattr(course, name, value)
        course.full_clean()
        course.save()
        created, updated = created + is_new, updated + (not is_new)
    return created, updated


def _record(agency: Agency, by: User | None, target, summary: str, **details) -> None:
    record(
        AuditEvent.Action.TRAINING_RECORDED,
        agency=agency,
        actor=by,
        target=target,
        summary=summary,
        **details,
    )


@transaction.atomic
def person_save(*, person: Person, roles: Iterable | None = None, by: User) -> Person:
    """Add or change a person of the agency's roster."""
    is_new = person.pk is None
    person.full_clean()
    person.save()
    if roles is not None:
        person.roles.set(roles)
    verb = "Added" if is_new else "Changed"
    _record(person.agency, by, person, f"{verb} {person.full_name} on the training roster")
    return person


@transaction.atomic
def course_save(*, course: Course, by: User) -> Course:
    """Add or change one of the agency's own courses."""
    course.full_clean()
    course.save()
    _record(course.agency, by, course, f"Saved the course {course.name}")
    return course


@transaction.atomic
def requirement_save(*, requirement: Requirement, courses: Iterable[Course], by: User):
    courses = list(courses)
    if not courses:
        raise ValidationError({"courses": "Choose at least one course."})
    if any(c.agency_id not in (None, requirement.agency_id) for c in courses):
        raise ValidationError({"courses": "Choose among the agency's courses."})
    requirement.full_clean()
    requirement.save()
    requirement.courses.set(courses)
    currency.refresh(requirement.agency, requirements=[requirement])
    _record(requirement.agency, by, requirement, f"Saved the requirement {requirement.name}")
    return requirement


@transaction.atomic
def session_record(*, session: Session, attendees: Iterable[Person], by: User) -> Session:
    """A held session and one completion per attendee on its roster."""
    attendees = _of_the_agency(session, attendees)
    session.full_clean()
    session.save()
    completions = _roster_credited(session, attendees, by)
    _record(session.agency, by, session, f"Recorded {session} with {len(completions)} attendees")
    return session


@transaction.atomic
def session_attendees_add(
    *, session: Session, attendees: Iterable[Person], by: User
) -> list[Completion]:
    """People added to a held session's roster (an exercise's attendees recorded later): one
    completion each, all validated before any is stored, and their currency refreshed once."""
    completions = _roster_credited(session, _of_the_agency(session, attendees), by)
    names = ", ".join(c.person.full_name for c in completions)
    _record(session.agency, by, session, f"Added to {session}: {names}"[:500])
    return completions


@transaction.atomic
def session_change(*, session: Session, by: User, **changes) -> Session:
    """A held session's course, days or hours changed (an exercise moved to another day): the
    completions recorded in it follow. Where a person already has that course on the new day
    from another record, that record stands for the session and theirs in it is removed, so the
    training counts once."""
    courses = {session.course_id}
    for name, value in changes.items():
        setattr(session, name, value)
    session.full_clean()
    session.save()
    courses.add(session.course_id)
    completions = session.completions.all()
    people = list(Person.objects.filter(completions__session=session))
    elsewhere = Completion.objects.filter(course_id=session.course_id, completed_on=session.ends_on)
    completions.filter(person__in=elsewhere.exclude(session=session).values("person")).delete()
    completions.update(
        course_id=session.course_id, completed_on=session.ends_on, hours=session.hours
    )
    currency.refresh(session.agency, people=people, courses=courses)
    _record(session.agency, by, session, f"Changed {session}; its attendees' completions follow")
    return session


def _of_the_agency(session: Session, attendees: Iterable[Person]) -> list[Person]:
    attendees = list(attendees)
    if any(p.agency_id != session.agency_id for p in attendees):
        raise ValidationError({"attendees": "Choose among the agency's people."})
    return attendees


def _roster_credited(session: Session, attendees: list[Person], by: User) -> list[Completion]:
    """A completion of the session's course for each attendee, every one checked first (all or
    nothing, every person's problem at once), stored together; their currency refreshed."""
    completions = [
        Completion(
            person=person,
            course=session.course,
            session=session,
            completed_on=session.ends_on,
            hours=session.hours,
            provider=session.instructor,
            recorded_by=by,
        )
        for person in attendees
    ]
    errors = []
    for completion in completions:
        try:
            completion.full_clean()
        except ValidationError as error:
            errors += [f"{completion.person.full_name}: {m}" for m in error.messages]
    if errors:
        raise ValidationError({"attendees": errors})
    Completion.objects.bulk_create(completions)
    currency.refresh(session.agency, people=attendees, courses=[session.course_id])
    return completions


@transaction.atomic
def completion_add(
    *, completion: Completion, certificate: UploadedFile | None = None, by: User
) -> Completion:
    """One completion (training done elsewhere), with its certificate checked like evidence."""
    completion.recorded_by = by
    if completion.hours is None and completion.course_id:
        completion.hours = completion.course.hours
    completion.full_clean(exclude=["certificate"])
    if certificate is not None:
        try:
            checked = upload_checked(certificate)
        except ValidationError as error:
            raise ValidationError({"certificate": error.messages}) from error
        completion.certificate_name = checked.name
        completion.certificate_sha256 = checked.sha256
        completion.certificate_size = checked.size
        completion.certificate.save(completion.certificate_name, certificate, save=False)
    completion.save()
    person = completion.person
    currency.refresh(person.agency, people=[person], courses=[completion.course_id])
    _record(person.agency, by, completion, f"Recorded {completion.course} for {person.full_name}",
            sha256=completion.certificate_sha256)  # fmt: skip
    return completion


def certificate_open(*, completion: Completion, by: User) -> IO[bytes]:
    """Open a completion's certificate for its download, which is recorded."""
    handle = stored_file_open(completion.certificate)
    record(
        AuditEvent.Action.CERTIFICATE_DOWNLOADED,
        agency=completion.person.agency,
        actor=by,
        target=completion,
        summary=f"Downloaded the certificate {completion.certificate_name}",
        sha256=completion.certificate_sha256,
    )
    return handle


def import_upload(*, agency: Agency, kind: str, upload: UploadedFile, by: User) -> Import:
    """Keep an uploaded CSV for its preview; nothing of it is applied yet."""
    if upload.size > IMPORT_MAX_BYTES:
        raise ValidationError({"file": "The file is larger than the 5 MB limit."})
    raw = upload.read()
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValidationError(
            {"file": "The file is not UTF-8 text (save it as CSV UTF-8)."}
        ) from error
    return Import.objects.create(
        agency=agency,
        kind=kind,
        file_name=sanitized_name(upload.name),
        content=content,
        sha256=hashlib.sha256(raw).hexdigest(),
        uploaded_by=by,
    )


def import_preview(*, upload: Import) -> importer.Preview:
    """What applying the file would do; the dry run is rolled back, so nothing is written."""
    return importer.run(upload, dry_run=True)


def import_apply(*, upload: Import, by: User) -> importer.Preview:
    """Apply a previewed file, all or nothing, at once; `ImportRefused` if any line has a
    problem. The pages confirm a preview with `import_queue` instead (the task worker's)."""
    return importer.apply(upload=upload, by=by)


@transaction.atomic
def import_queue(*, upload: Import, by: User) -> Import:
    """Confirm a previewed file (or one that failed or lost its worker): the task worker imports
    it, and its page shows how far."""
    upload = Import.objects.select_for_update().get(pk=upload.pk)
    if upload.state != Import.State.UPLOADED and not upload.can_retry:
        raise ValidationError("This file is already being imported, or was.")
    upload.state, upload.queued_by, upload.queued_at = Import.State.QUEUED, by, timezone.now()
    upload.lines = importer.count_lines(upload.content)
    upload.save(update_fields=["state", "queued_by", "queued_at", "lines"])
    transaction.on_commit(lambda: import_apply_enqueue(upload=upload))
    return upload
