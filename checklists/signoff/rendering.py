"""Rendering in the task worker: a signed report (claim the row, render and sign the PDF, store
it once) and a draft report (from the snapshot taken when it was asked for).

A render that fails is logged in full for operators, with a short reference; the row keeps the
detail for the admin and the reference for the page, which shows members only the reference.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from checklists.signoff.models import DraftReport, Report
from checklists.signoff.pdf import draft_pdf_from, signed_pdf
from checklists.signoff.signing import sign_pdf

logger = logging.getLogger(__name__)


def _failure_logged(error: Exception, what: str) -> tuple[str, str]:
    """Log a failed render in full; the detail for the row and the reference for members."""
    reference = secrets.token_hex(4).upper()
    logger.error("Render failed: %s (reference %s)", what, reference, exc_info=error)
    return f"{type(error).__name__}: {error}", reference


def report_render(*, report: Report) -> Report:
    """Render, sign and store a signed report, once: a finished report is never rendered again.

    The row is claimed in its own transaction, so a second worker finds it being rendered (and
    leaves it) or done. Should two renders still overlap — the first outlived its lease and was
    queued again — the row is locked to store the file, and only the first to finish stores
    one. A failure is recorded on the row for the page to show, and a lead may retry it.
    """
    claimed = _report_claim(report)
    if claimed is None:
        return Report.objects.get(pk=report.pk)
    sign_off = claimed.sign_off
    try:
        pdf = signed_pdf(sign_off, edition=claimed.edition)
        agency = json.loads(sign_off.snapshot)["agency"]
        signed = sign_pdf(pdf, reason=f"Sign-off by {sign_off.typed_name}", location=agency["name"])
    except Exception as error:
        detail, reference = _failure_logged(error, f"signed report {claimed.pk}")
        # Only this attempt's own claim: a newer attempt may be under way.
        Report.objects.filter(
            pk=claimed.pk, state=Report.State.RUNNING, attempts=claimed.attempts
        ).update(state=Report.State.FAILED, error=detail, error_reference=reference)
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
    report.started_at, report.error_reference = timezone.now(), ""
    report.save(update_fields=["state", "attempts", "error", "error_reference", "started_at"])
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


def draft_render(*, draft: DraftReport) -> DraftReport:
    """Render a draft report from its snapshot and store it; a finished draft is left as it is."""
    claimed = _draft_claim(draft)
    if claimed is None:
        return DraftReport.objects.get(pk=draft.pk)
    try:
        pdf = draft_pdf_from(
            json.loads(claimed.snapshot),
            edition=claimed.edition,
            assessment_state=claimed.assessment_state,
            logo_name=claimed.logo_name,
        )
    except Exception as error:
        detail, reference = _failure_logged(error, f"draft report {claimed.pk}")
        DraftReport.objects.filter(pk=claimed.pk, state=Report.State.RUNNING).update(
            state=Report.State.FAILED, error=detail, error_reference=reference
        )
        raise
    return _draft_store(claimed, pdf)


@transaction.atomic
def _draft_claim(draft: DraftReport) -> DraftReport | None:
    draft = (
        DraftReport.objects.select_for_update(of=("self",))
        .select_related("assessment__agency")
        .get(pk=draft.pk)
    )
    if draft.state != Report.State.PENDING:
        return None
    draft.state, draft.started_at = Report.State.RUNNING, timezone.now()
    draft.save(update_fields=["state", "started_at"])
    return draft


@transaction.atomic
def _draft_store(claimed: DraftReport, pdf: bytes) -> DraftReport:
    draft = DraftReport.objects.select_for_update(of=("self",)).get(pk=claimed.pk)
    assessment = claimed.assessment
    name = f"muster-{assessment.agency.slug}-{assessment.pk}-draft-{draft.edition}.pdf"
    draft.file.save(name, ContentFile(pdf), save=False)
    draft.size, draft.state, draft.rendered_at = len(pdf), Report.State.DONE, timezone.now()
    draft.save(update_fields=["file", "size", "state", "rendered_at"])
    return draft
