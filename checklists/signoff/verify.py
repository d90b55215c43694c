"""Is this PDF an authentic Muster report? Used by `verify_report` and the public verify page.

Anyone may upload anything here, so every step assumes a hostile file: pyHanko reads it with
tight decoding limits, the embedded snapshot is inflated only up to VERIFY_ATTACHMENT_MAX_BYTES,
and a file that breaks the reader gets a verdict, never an error page.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import zlib
from dataclasses import dataclass, field

from django.conf import settings
from pyhanko.pdf_utils.decode_limits import DecodeLimits, DocumentDecodeBudget, StreamDecodeLimits
from pyhanko.pdf_utils.generic import StreamObject
from pyhanko.pdf_utils.misc import PdfDecodeLimitError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from checklists.assessments.extensions import SignedDocument, signed_document
from checklists.signoff.models import Report, SignOff
from checklists.signoff.pdf import SNAPSHOT_NAME
from checklists.signoff.signing import FIELD_NAME, deployment_certificate
from checklists.signoff.snapshot import FORMAT, PUBLIC_FORMAT

logger = logging.getLogger(__name__)

MiB = 1024 * 1024
CHUNK = 64 * 1024  # the embedded snapshot is inflated this much at a time
# A real report makes pyHanko inflate about 200 KB in all (its cross-reference and object
# streams). Far above that, and far below pyHanko's defaults (256 MB a stream), which let a
# 250 KB upload inflate to 250 MB.
DECODE_LIMITS = DecodeLimits(
    per_stream=StreamDecodeLimits(max_output_size=16 * MiB),
    document_budget=DocumentDecodeBudget(base_allowance=32 * MiB, max_ratio=2),
)

NOT_A_PDF = "This file is not a readable PDF: it is not a PDF at all."
DAMAGED = "This file is not a readable PDF: it is damaged or incomplete."
TOO_MUCH_DATA = (
    "This PDF holds far more compressed data than any Muster report; it was not unpacked."
)
NO_SNAPSHOT = "The file carries no Muster sign-off snapshot: it is not a signed Muster report."
SNAPSHOT_TOO_LARGE = "The embedded data is larger than any Muster snapshot; it was not unpacked."
SNAPSHOT_ENCODING = (
    "The embedded data is encoded in a way Muster never writes: it is no Muster snapshot."
)
SNAPSHOT_DAMAGED = "The embedded snapshot is damaged: it cannot be unpacked."
SNAPSHOT_NOT_JSON = "The embedded snapshot is not JSON: it is no Muster snapshot."
SNAPSHOT_NOT_OURS = "The embedded snapshot is JSON, but not a Muster sign-off snapshot."
NO_SIGN_OFF = "Its snapshot matches no sign-off recorded in this Muster."
NO_DOCUMENT = "Its snapshot matches no {label} signed in this Muster."
NO_SIGNATURE = "The file has no Muster signature."
CHANGED = "The file was changed after it was signed."
OTHER_CERTIFICATE = "It was not signed with this Muster's certificate."


@dataclass
class Verdict:
    is_pdf: bool = False
    is_muster_report: bool = False
    signed: bool = False
    intact: bool = False
    by_this_deployment: bool = False
    signer: str = ""
    certificate_sha256: str = ""
    snapshot_sha256: str = ""
    sign_off: SignOff | None = None
    edition: str = ""  # which snapshot of the sign-off the file carries: full or public
    superseded_by: SignOff | None = None  # a later revision of the same assessment, signed
    # Another kind of signed document (an after-action report), and its record here.
    kind: SignedDocument | None = None
    document: object | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def edition_label(self) -> str:
        return Report.Edition(self.edition).label if self.edition else ""

    @property
    def kind_label(self) -> str:
        """What the file is: a preparedness report, or the registered kind's name."""
        return self.kind.label if self.kind else "preparedness report"

    @property
    def document_text(self) -> str:
        return self.kind.describe(self.document) if self.kind and self.document else ""

    @property
    def authentic(self) -> bool:
        """Everything holds: signed here, unaltered, and matching a sign-off of this deployment
        (or, for another kind of signed document, a record of it)."""
        matched = self.sign_off is not None or self.document is not None
        return self.intact and self.by_this_deployment and matched


class SnapshotRefused(Exception):
    """The embedded file is not read any further; the message says why, for the verdict."""


def verify_report(data: bytes) -> Verdict:
    """What can be said of this file: a verdict for anything, a crafted or damaged file too.

    pyHanko meets a crafted file with whatever exception its code reaches first (zlib.error,
    AssertionError, PdfReadError, IndexError, RecursionError, ...), and reads lazily, so each
    step that reads the file catches every Exception: any of them means the file is damaged.
    """
    verdict = Verdict()
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False, decode_limits=DECODE_LIMITS)
        signatures = [s for s in reader.embedded_signatures if s.field_name == FIELD_NAME]
        embedded = _embedded_snapshot(reader)
    except Exception as error:
        _unreadable(verdict, data, error)
        return verdict
    verdict.is_pdf = True
    _check_snapshot(verdict, embedded)
    if not signatures:
        verdict.problems.append(NO_SIGNATURE)
        return verdict
    _check_signature(verdict, signatures[-1])
    return verdict


def _unreadable(verdict: Verdict, data: bytes, error: Exception) -> None:
    logger.info("Verify: unreadable upload (%s: %s)", type(error).__name__, error)
    if isinstance(error, PdfDecodeLimitError):
        verdict.problems.append(TOO_MUCH_DATA)
    elif b"%PDF-" not in data[:1024]:
        verdict.problems.append(NOT_A_PDF)
    else:
        verdict.problems.append(DAMAGED)


def _embedded_snapshot(reader: PdfFileReader) -> StreamObject | None:
    """The stream of the attached file named like our snapshot, not yet decoded."""
    try:
        names = reader.root["/Names"]["/EmbeddedFiles"]["/Names"]
    except (KeyError, TypeError):
        return None
    # Indexing (not slicing) a pyHanko array resolves indirect references.
    for index in range(0, len(names) - 1, 2):
        if str(names[index]) == SNAPSHOT_NAME:
            stream = names[index + 1]["/EF"]["/F"]
            return stream if isinstance(stream, StreamObject) else None
    return None


def _check_snapshot(verdict: Verdict, embedded: StreamObject | None) -> None:
    if embedded is None:
        verdict.problems.append(NO_SNAPSHOT)
        return
    try:
        snapshot = bounded_data(embedded, limit=settings.VERIFY_ATTACHMENT_MAX_BYTES)
        parsed = json.loads(snapshot)
    except SnapshotRefused as refused:
        verdict.problems.append(str(refused))
        return
    except (ValueError, RecursionError):  # not UTF-8, not JSON, or nested past the parser
        verdict.problems.append(SNAPSHOT_NOT_JSON)
        return
    verdict.snapshot_sha256 = hashlib.sha256(snapshot).hexdigest()
    snapshot_format = parsed.get("format") if isinstance(parsed, dict) else None
    if snapshot_format in (FORMAT, PUBLIC_FORMAT):
        verdict.is_muster_report = True
        _match(verdict)
    elif isinstance(snapshot_format, str) and (kind := signed_document(snapshot_format)):
        verdict.is_muster_report, verdict.kind = True, kind
        verdict.document = kind.match(verdict.snapshot_sha256)
        if verdict.document is None:
            verdict.problems.append(NO_DOCUMENT.format(label=kind.label))
    else:
        verdict.problems.append(SNAPSHOT_NOT_OURS)


def bounded_data(stream: StreamObject, *, limit: int) -> bytes:
    """The stream's decoded bytes, refused (SnapshotRefused) as soon as they pass `limit`.

    Never inflated in full: zlib hands out CHUNK bytes at a time and reading stops past the
    limit, so a small stream that would inflate to gigabytes costs about `limit` of memory.
    Muster writes its snapshot with one FlateDecode filter and no parameters; any other
    encoding is refused unread.
    """
    # dict.get and list unpacking leave indirect references unresolved: those are refused too.
    filters = stream.get("/Filter")
    flate = filters == "/FlateDecode" or (
        isinstance(filters, list) and [*filters] == ["/FlateDecode"]
    )
    if (filters is not None and not flate) or stream.get("/DecodeParms"):
        raise SnapshotRefused(SNAPSHOT_ENCODING)
    raw = stream.encoded_data
    if not flate:
        if len(raw) > limit:
            raise SnapshotRefused(SNAPSHOT_TOO_LARGE)
        return raw
    decompressor = zlib.decompressobj()
    data = bytearray()
    pending = raw
    try:
        while not decompressor.eof and len(data) <= limit:
            chunk = decompressor.decompress(pending, CHUNK)
            if not chunk:  # the compressed data stops short of its end
                break
            data += chunk
            pending = decompressor.unconsumed_tail
    except zlib.error as error:
        raise SnapshotRefused(SNAPSHOT_DAMAGED) from error
    if len(data) > limit:
        raise SnapshotRefused(SNAPSHOT_TOO_LARGE)
    if not decompressor.eof:
        raise SnapshotRefused(SNAPSHOT_DAMAGED)
    return bytes(data)


def _match(verdict: Verdict) -> None:
    """The sign-off whose full or public snapshot the file carries, and any later one."""
    verdict.sign_off, verdict.edition = SignOff.objects.matching(verdict.snapshot_sha256)
    if verdict.sign_off is None:
        verdict.problems.append(NO_SIGN_OFF)
        return
    verdict.superseded_by = verdict.sign_off.superseded_by()


def _check_signature(verdict: Verdict, signature) -> None:
    verdict.signed = True
    certificate = deployment_certificate()
    try:
        status = validate_pdf_signature(signature, ValidationContext(trust_roots=[certificate]))
    except Exception as error:  # a damaged signature can fail in many ways; each means "not intact"
        logger.info("Verify: signature not checkable (%s: %s)", type(error).__name__, error)
        verdict.problems.append(f"The signature could not be checked ({type(error).__name__}).")
        return
    whole_file = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    verdict.intact = bool(status.intact and status.valid and whole_file)
    verdict.signer = status.signing_cert.subject.human_friendly
    verdict.certificate_sha256 = status.signing_cert.sha256.hex()
    verdict.by_this_deployment = status.signing_cert.sha256 == certificate.sha256 and status.trusted
    if not verdict.intact:
        verdict.problems.append(CHANGED)
    if not verdict.by_this_deployment:
        verdict.problems.append(OTHER_CERTIFICATE)
