"""Is this PDF an authentic Muster report? Used by `verify_report` and the public verify page."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field

from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from checklists.signoff.models import Report, SignOff
from checklists.signoff.pdf import SNAPSHOT_NAME
from checklists.signoff.signing import FIELD_NAME, deployment_certificate


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
    problems: list[str] = field(default_factory=list)

    @property
    def edition_label(self) -> str:
        return Report.Edition(self.edition).label if self.edition else ""

    @property
    def authentic(self) -> bool:
        """Everything holds: signed here, unaltered, and matching a sign-off of this deployment."""
        return self.intact and self.by_this_deployment and self.sign_off is not None


def _snapshot(reader: PdfFileReader) -> bytes | None:
    try:
        names = reader.root["/Names"]["/EmbeddedFiles"]["/Names"]
    except (KeyError, TypeError):
        return None
    # Indexing (not slicing) a pyHanko array resolves indirect references.
    for index in range(0, len(names) - 1, 2):
        if str(names[index]) == SNAPSHOT_NAME:
            return names[index + 1]["/EF"]["/F"].data
    return None


def verify_report(data: bytes) -> Verdict:
    verdict = Verdict()
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = reader.embedded_signatures
    except (PdfError, ValueError, KeyError, TypeError) as error:
        verdict.problems.append(f"This file is not a readable PDF ({error}).")
        return verdict
    verdict.is_pdf = True
    snapshot = _snapshot(reader)
    verdict.is_muster_report = snapshot is not None
    if snapshot is None:
        verdict.problems.append(
            "The file carries no Muster sign-off snapshot: it is not a signed Muster report."
        )
    else:
        verdict.snapshot_sha256 = hashlib.sha256(snapshot).hexdigest()
        _match(verdict)
    ours = [s for s in signatures if s.field_name == FIELD_NAME]
    if not ours:
        verdict.problems.append("The file has no Muster signature.")
        return verdict
    _check_signature(verdict, ours[-1])
    return verdict


def _match(verdict: Verdict) -> None:
    """The sign-off whose full or public snapshot the file carries, and any later one."""
    verdict.sign_off, verdict.edition = SignOff.objects.matching(verdict.snapshot_sha256)
    if verdict.sign_off is None:
        verdict.problems.append("Its snapshot matches no sign-off recorded in this Muster.")
        return
    verdict.superseded_by = verdict.sign_off.superseded_by()


def _check_signature(verdict: Verdict, signature) -> None:
    verdict.signed = True
    certificate = deployment_certificate()
    try:
        status = validate_pdf_signature(signature, ValidationContext(trust_roots=[certificate]))
    except Exception as error:  # a damaged signature can fail in many ways; each means "not intact"
        verdict.problems.append(f"The signature could not be checked ({type(error).__name__}).")
        return
    whole_file = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    verdict.intact = bool(status.intact and status.valid and whole_file)
    verdict.signer = status.signing_cert.subject.human_friendly
    verdict.certificate_sha256 = status.signing_cert.sha256.hex()
    verdict.by_this_deployment = status.signing_cert.sha256 == certificate.sha256 and status.trusted
    if not verdict.intact:
        verdict.problems.append("The file was changed after it was signed.")
    if not verdict.by_this_deployment:
        verdict.problems.append("It was not signed with this Muster's certificate.")
