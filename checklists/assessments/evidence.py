"""Evidence files: checked by their content, stored under a random name, removed on request."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import PurePath
from typing import IO

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import Http404

from accounts.audit import record
from accounts.models import AuditEvent, User
from checklists.assessments.models import Assessment, Attachment, PendingUpload, Response

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


def sanitized_name(name: str) -> str:
    """A file name safe to store and show: its last part, printable, without path characters."""
    base = PurePath(name.replace("\\", "/")).name
    clean = "".join(c for c in base if c.isprintable() and c not in '<>:"/\\|?*').strip(" .")
    return clean[:200] or "evidence"


@dataclass(frozen=True)
class CheckedUpload:
    name: str
    content_type: str
    sha256: str
    size: int


def upload_checked(upload: UploadedFile) -> CheckedUpload:
    """An uploaded file checked by its content (`evidence_check`), hashed, and given a clean
    name: what every stored file of Muster (evidence, certificates, review files) records."""
    content_type = evidence_check(upload)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return CheckedUpload(sanitized_name(upload.name), content_type, digest.hexdigest(), upload.size)


def _checked(model, upload: UploadedFile, **fields):
    """A row for an evidence file, its content checked and hashed, the file stored."""
    checked = upload_checked(upload)
    row = model(
        original_name=checked.name,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        **fields,
    )
    row.file.save(row.original_name, upload, save=False)
    row.save()
    return row


@transaction.atomic
def attachment_add(
    *, response: Response, upload: UploadedFile, prompt_key: str, by: User
) -> Attachment:
    """Store an evidence file after checking its content, size and name."""
    Assessment.lock_for_writing(response.assessment_id)
    attachment = _checked(
        Attachment, upload, response=response, prompt_key=prompt_key, uploaded_by=by
    )
    _record_evidence(AuditEvent.Action.EVIDENCE_ADDED, attachment, by=by, verb="Added")
    return attachment


@transaction.atomic
def pending_add(
    *, response: Response, upload: UploadedFile, prompt_key: str, by: User
) -> PendingUpload:
    """Keep a file chosen in a form that could not be saved: checked, hashed and stored now,
    attached when its person saves the form (`pending_attach`). `ValidationError` if the file
    itself is refused."""
    Assessment.lock_for_writing(response.assessment_id)
    return _checked(PendingUpload, upload, response=response, prompt_key=prompt_key, uploaded_by=by)


def pending_discard(*, response: Response, by: User) -> None:
    """Forget the files a person chose on an item and did not attach when they saved it."""
    left = list(PendingUpload.objects.filter(response=response, uploaded_by=by))
    PendingUpload.objects.filter(pk__in=[p.pk for p in left]).delete()
    names = [p.file.name for p in left]
    storage = PendingUpload._meta.get_field("file").storage
    transaction.on_commit(lambda: [storage.delete(name) for name in names])


def pending_attach(*, pending: PendingUpload, response: Response, by: User) -> Attachment:
    """Turn a kept file into the response's evidence; the stored file stays where it is."""
    attachment = Attachment(
        response=response,
        prompt_key=pending.prompt_key,
        file=pending.file.name,
        original_name=pending.original_name,
        content_type=pending.content_type,
        size=pending.size,
        sha256=pending.sha256,
        uploaded_by=by,
    )
    attachment.save()
    pending.delete()
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
    Assessment.lock_for_writing(attachment.response.assessment_id)
    name = attachment.file.name
    _record_evidence(AuditEvent.Action.EVIDENCE_REMOVED, attachment, by=by, verb="Removed")
    attachment.delete()
    # Carried-over attachments share the stored file with the previous assessment's rows.
    if not Attachment.objects.filter(file=name).exists():
        transaction.on_commit(lambda: attachment.file.storage.delete(name))


def stored_file_open(file: File) -> IO[bytes]:
    """A stored file, opened for download: one lost from storage is a 404, not a crash."""
    try:
        return file.open("rb")
    except FileNotFoundError as error:
        raise Http404("The stored file is missing.") from error


def attachment_open(*, attachment: Attachment, by: User) -> IO[bytes]:
    """Open an evidence file for its download, which is recorded."""
    handle = stored_file_open(attachment.file)
    record(
        AuditEvent.Action.EVIDENCE_DOWNLOADED,
        agency=attachment.response.assessment.agency,
        actor=by,
        target=attachment,
        summary=f"Downloaded {attachment.original_name}",
        response_id=attachment.response_id,
        sha256=attachment.sha256,
    )
    return handle
