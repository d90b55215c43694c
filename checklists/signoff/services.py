"""Review and sign-off: submit, return, sign off (freezing the snapshot), reopen; and the
signed reports' queue (retry, recovery) and downloads; draft reports, prepared in the worker."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.defaultfilters import pluralize
from django.utils import timezone

from accounts.audit import record
from accounts.models import AuditEvent, User
from checklists.assessments.evidence import stored_file_open
from checklists.assessments.models import Assessment
from checklists.assessments.services import (
    IncompleteAssessment,
    assessment_gaps,
    assessment_revision_create,
    assessment_schools_fill,
)
from checklists.signoff.models import DraftReport, Report, SignOff
from checklists.signoff.snapshot import (
    assessment_snapshot,
    canonical,
    fingerprint,
    public_snapshot,
)
from checklists.signoff.tasks import (
    draft_render_enqueue,
    report_render_enqueue,
    report_render_queued,
)

ATTESTATION = (
    "I have reviewed this assessment. To the best of my knowledge, the readiness it records and "
    "the evidence behind it are accurate and complete as of the date of my sign-off."
)


@transaction.atomic
def assessment_submit(*, assessment: Assessment, by: User) -> Assessment:
    """Send a complete assessment for the lead's review; `IncompleteAssessment` lists the gaps."""
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    assessment.ensure_editable()
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
        assessment_schools_fill(assessment=assessment)
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
    return _sign_off_write(
        assessment=assessment, by=by, typed_name=typed_name, typed_title=typed_title
    )


@transaction.atomic
def _sign_off_write(
    *, assessment: Assessment, by: User, typed_name: str, typed_title: str
) -> SignOff:
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    if assessment.state == Assessment.State.SIGNED_OFF:
        raise ValidationError("This assessment has already been signed off.", code="signed")
    if assessment.state != Assessment.State.IN_REVIEW:
        raise ValidationError(
            "Submit the assessment for review before signing it off.", code="draft"
        )
    # Review froze the responses, but check again under the lock: what is signed is complete.
    if gaps := assessment_gaps(assessment):
        raise IncompleteAssessment(gaps)
    sign_off = _sign_off_create(
        assessment=assessment, by=by, typed_name=typed_name, typed_title=typed_title
    )
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
        public_snapshot_sha256=sign_off.public_snapshot_sha256,
    )
    transaction.on_commit(lambda: [report_render_enqueue(report=r) for r in reports])
    return sign_off


def signer_record(*, by: User, typed_name: str, typed_title: str, at) -> dict:
    """Who signed, as the snapshot keeps it: the typed name and title, and the account.

    The typed name is the signer's choice (it defaults to the account's full name); the report
    prints the account's name and email beside it, and "typed as …" when the two differ.
    """
    return {
        "name": typed_name,
        "title": typed_title,
        "account_name": by.full_name,
        "email": by.email,
        "at": at.isoformat(),
        "statement": ATTESTATION,
    }


def _sign_off_create(
    *, assessment: Assessment, by: User, typed_name: str, typed_title: str
) -> SignOff:
    """The sign-off row: both snapshots frozen with their fingerprints, and the logo kept."""
    signed_at = timezone.now()
    logo = _logo_bytes(assessment.agency)
    full = assessment_snapshot(
        assessment,
        signer=signer_record(by=by, typed_name=typed_name, typed_title=typed_title, at=signed_at),
        as_of=timezone.localdate(signed_at),
        logo_sha256=hashlib.sha256(logo).hexdigest() if logo else "",
    )
    text, public = canonical(full), canonical(public_snapshot(full))
    sign_off = SignOff(
        assessment=assessment,
        signer=by,
        typed_name=typed_name,
        typed_title=typed_title,
        statement=ATTESTATION,
        signed_at=signed_at,
        snapshot=text,
        snapshot_sha256=fingerprint(text),
        public_snapshot=public,
        public_snapshot_sha256=fingerprint(public),
    )
    if logo:
        suffix = PurePosixPath(assessment.agency.logo.name).suffix
        sign_off.logo.save(f"{assessment.agency.slug}{suffix}", ContentFile(logo), save=False)
    sign_off.full_clean()
    sign_off.save()
    return sign_off


def _logo_bytes(agency) -> bytes:
    if not agency.logo:
        return b""
    with agency.logo.open("rb") as handle:
        return handle.read()


@transaction.atomic
def assessment_reopen(*, assessment: Assessment, by: User, reason: str) -> Assessment:
    """Open a new revision to edit; the signed revision and its reports stay exactly as they were.

    The reason is required: the new revision shows it wherever revisions are listed.
    """
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationError({"reason": "Say why the signed-off assessment is reopened."})
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    if assessment.state != Assessment.State.SIGNED_OFF:
        raise ValidationError("Only a signed-off assessment can be reopened.")
    if Assessment.objects.filter(revision_of=assessment).exists():
        raise ValidationError("This revision has already been reopened.")
    revision = assessment_revision_create(assessment=assessment, by=by, reason=reason)
    _record_assessment(
        AuditEvent.Action.ASSESSMENT_REOPENED,
        assessment,
        by=by,
        verb="Reopened",
        reason=reason,
        revision_id=revision.pk,
        revision=revision.revision,
    )
    return revision


@transaction.atomic
def reports_recover() -> list[Report]:
    """Queue again the renders that were lost; returns the reports queued.

    The task worker does not resume a task whose process died (killed, out of memory, the
    machine restarted): its report would stay "rendering" for ever. A render that outlived its
    lease, and a waiting report whose task is no longer queued, are queued again. Rendering is
    idempotent, so queueing one report twice costs at most a wasted render.
    """
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
    report = Report.objects.select_for_update(of=("self",)).get(pk=report.pk)
    if report.state != Report.State.FAILED:
        raise ValidationError("Only a failed report can be rendered again.")
    report.state, report.task_id = Report.State.PENDING, ""
    report.save(update_fields=["state", "task_id"])
    transaction.on_commit(lambda: report_render_enqueue(report=report))
    return report


@transaction.atomic
def report_draft_prepare(*, assessment: Assessment, edition: str, by: User) -> DraftReport:
    """Ask the task worker for a draft report of the assessment as it stands.

    A draft of this edition that waits for the worker already is that draft: the worker takes
    its snapshot when it gets to it, so it will show this request's data too. Otherwise a new one
    is queued, unless the member already has DRAFT_RENDERS_PER_MEMBER drafts under way (a
    ValidationError). Whether anything changed since the last draft is for the worker to find
    (`rendering.draft_render`): the request itself reads no more than a few rows. Two asking
    at the same instant may queue two drafts; the second then finds the first's file.
    """
    waiting = DraftReport.objects.filter(
        assessment=assessment, edition=edition, state=Report.State.PENDING
    ).in_progress()
    if draft := waiting.first():
        return draft
    limit = settings.DRAFT_RENDERS_PER_MEMBER
    if DraftReport.objects.in_progress().filter(requested_by=by).count() >= limit:
        raise ValidationError(
            f"You already have {limit} draft report{pluralize(limit)} being prepared. "
            "Wait for one to be ready, then ask again.",
            code="busy",
        )
    draft = DraftReport.objects.create(assessment=assessment, edition=edition, requested_by=by)
    transaction.on_commit(lambda: draft_render_enqueue(draft=draft))
    return draft


def report_draft_open(*, draft: DraftReport, by: User):
    """Open a rendered draft's file for its download, which is recorded."""
    handle = stored_file_open(draft.file)
    assessment = draft.assessment
    record(
        AuditEvent.Action.DRAFT_REPORT_DOWNLOADED,
        agency=assessment.agency,
        actor=by,
        target=assessment,
        summary=f"Downloaded a draft {Report.Edition(draft.edition).label.lower()} of {assessment.title}",
        edition=draft.edition,
    )
    return handle


def report_open(*, report: Report, by: User):
    """Open a signed report's stored file for its download, which is recorded."""
    handle = stored_file_open(report.file)
    record(
        AuditEvent.Action.REPORT_DOWNLOADED,
        agency=report.sign_off.assessment.agency,
        actor=by,
        target=report,
        summary=f"Downloaded the signed {report.get_edition_display().lower()} "
        f"of {report.sign_off.assessment.title}",
        edition=report.edition,
        sha256=report.sha256,
    )
    return handle


@dataclass(frozen=True)
class Published:
    """A signed public summary as a public viewer sees it: its scores and its report."""

    sign_off: SignOff
    report: Report | None
    snapshot: dict

    @property
    def as_of(self) -> date:
        """The day the frozen figures describe."""
        return date.fromisoformat(self.snapshot["as_of"])

    @property
    def as_of_sign_off(self) -> bool:
        """Whether the figures describe the day of the sign-off (then one date says both)."""
        return self.as_of == timezone.localdate(self.sign_off.signed_at)

    @property
    def sections(self) -> dict:
        """The public parts of the sections other apps added (training shares, exercise counts)."""
        return self.snapshot.get("sections", {})


def published_summaries(agency) -> list[Published]:
    """The agency's signed public summaries, newest first, with the scores their public
    snapshots froze (never the live rows): all a public viewer may see, in two queries."""
    sign_offs = (
        SignOff.objects.filter(assessment__agency=agency)
        .exclude(public_snapshot="")
        .select_related("assessment")
        .prefetch_related("reports")
        .order_by("-signed_at")
    )
    return [
        Published(
            sign_off=sign_off,
            report=next(
                (
                    r
                    for r in sign_off.reports.all()
                    if r.edition == Report.Edition.PUBLIC and r.state == Report.State.DONE
                ),
                None,
            ),
            snapshot=json.loads(sign_off.public_snapshot),
        )
        for sign_off in sign_offs
    ]
