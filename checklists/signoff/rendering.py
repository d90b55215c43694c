"""Rendering in the task worker: a signed report (claim the row, render and sign the PDF, store
it once) and a draft report (the live rows' snapshot taken now; rendered only if it changed).

A render that fails is logged in full for operators, with a short reference; the row keeps the
detail for the admin and the reference for the page, which shows members only the reference.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from checklists.signoff.models import DraftReport, Report, being_rendered
from checklists.signoff.pdf import draft_pdf_from, draft_snapshot, signed_pdf
from checklists.signoff.signing import sign_pdf
from checklists.signoff.snapshot import canonical, fingerprint

logger = logging.getLogger(__name__)


def render_failure_logged(error: Exception, what: str) -> tuple[str, str]:
    """Log a failed render in full; the detail for the row and the reference for members."""
    reference = secrets.token_hex(4).upper()
    logger.error("Render failed: %s (reference %s)", what, reference, exc_info=error)
    return f"{type(error).__name__}: {error}", reference


def report_render(*, report: Report) -> Report:
    """Render, sign and store a signed report, once: a finished report is never rendered again
    (the lifecycle is `rendered_once`'s)."""

    def render(claimed: Report) -> bytes:
        sign_off = claimed.sign_off
        pdf = signed_pdf(sign_off, edition=claimed.edition)
        agency = json.loads(sign_off.snapshot)["agency"]
        return sign_pdf(pdf, reason=f"Sign-off by {sign_off.typed_name}", location=agency["name"])

    def file_name(claimed: Report) -> str:
        assessment = claimed.sign_off.assessment
        return (
            f"muster-{assessment.agency.slug}-{assessment.pk}-r{assessment.revision}-"
            f"{claimed.edition}.pdf"
        )

    return rendered_once(
        report, related="sign_off__assessment__agency", render=render, file_name=file_name,
        what="signed report",
    )  # fmt: skip


def rendered_once(row, *, related: str, render, file_name, what: str):
    """The lifecycle of every signed document's file (a report, an app's own such as the AAR):
    `render(row)` gives the signed PDF's bytes, `file_name(row)` its stored name.

    The row is claimed in its own transaction, so a second worker finds it being rendered (and
    leaves it) or done. Should two renders still overlap — the first outlived its lease and was
    queued again — the row is locked to store the file, and only the first to finish stores
    one. A failure is recorded on the row, under a reference members are shown, and raised.
    """
    model = type(row)
    claimed = _claim(model, row.pk, related)
    if claimed is None:
        return model.objects.get(pk=row.pk)
    try:
        signed = render(claimed)
    except Exception as error:
        detail, reference = render_failure_logged(error, f"{what} {claimed.pk}")
        # Only this attempt's own claim: a newer attempt may be under way.
        model.objects.filter(
            pk=claimed.pk, state=Report.State.RUNNING, attempts=claimed.attempts
        ).update(state=Report.State.FAILED, error=detail, error_reference=reference)
        raise
    return _store(model, claimed, signed, file_name(claimed))


@transaction.atomic
def _claim(model, pk: int, related: str):
    """Mark the row as being rendered by us, unless it is done or someone else holds it."""
    row = model.objects.select_for_update(of=("self",)).select_related(related).get(pk=pk)
    if row.state == Report.State.DONE or being_rendered(row):
        return None
    row.state, row.attempts, row.error = Report.State.RUNNING, row.attempts + 1, ""
    row.started_at, row.error_reference = timezone.now(), ""
    row.save(update_fields=["state", "attempts", "error", "error_reference", "started_at"])
    return row


@transaction.atomic
def _store(model, claimed, signed: bytes, name: str):
    row = model.objects.select_for_update(of=("self",)).get(pk=claimed.pk)
    if row.state == Report.State.DONE:
        return row
    row.file.save(name, ContentFile(signed), save=False)
    row.sha256, row.size = hashlib.sha256(signed).hexdigest(), len(signed)
    row.state, row.error, row.rendered_at = Report.State.DONE, "", timezone.now()
    row.save()
    return row


def draft_render(*, draft: DraftReport) -> DraftReport:
    """Prepare a draft: the snapshot of the live rows now, and the PDF rendered from it, or,
    when an earlier draft of the edition had the very same snapshot, that draft's file again."""
    claimed = _draft_claim(draft)
    if claimed is None:
        return DraftReport.objects.get(pk=draft.pk)
    try:
        assessment = claimed.assessment
        data = draft_snapshot(assessment, edition=claimed.edition)
        state, logo = assessment.get_state_display(), _logo_name(assessment)
        key = fingerprint(f"{canonical(data)}\n{state}\n{logo}\n{settings.REPORT_PAPER_SIZE}")
        if same := _draft_same_as(claimed, key):
            return _draft_reuse(claimed, same, key)
        pdf = draft_pdf_from(data, edition=claimed.edition, assessment_state=state, logo_name=logo)
        return _draft_store(claimed, pdf, key)
    except Exception as error:
        detail, reference = render_failure_logged(error, f"draft report {claimed.pk}")
        DraftReport.objects.filter(pk=claimed.pk, state=Report.State.RUNNING).update(
            state=Report.State.FAILED, error=detail, error_reference=reference
        )
        raise


def _logo_name(assessment) -> str:
    return assessment.agency.logo.name if assessment.agency.logo else ""


def _draft_same_as(draft: DraftReport, key: str) -> DraftReport | None:
    done = DraftReport.objects.filter(
        assessment_id=draft.assessment_id,
        edition=draft.edition,
        snapshot_sha256=key,
        state=Report.State.DONE,
    )
    return done.exclude(file="").order_by("-rendered_at").first()


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


def _draft_reuse(draft: DraftReport, same: DraftReport, key: str) -> DraftReport:
    draft.file.name, draft.size, draft.reused = same.file.name, same.size, True
    return _draft_done(draft, key)


def _draft_store(draft: DraftReport, pdf: bytes, key: str) -> DraftReport:
    assessment = draft.assessment
    name = f"muster-{assessment.agency.slug}-{assessment.pk}-draft-{draft.edition}.pdf"
    draft.file.save(name, ContentFile(pdf), save=False)
    draft.size = len(pdf)
    return _draft_done(draft, key)


def _draft_done(draft: DraftReport, key: str) -> DraftReport:
    draft.snapshot_sha256, draft.state, draft.rendered_at = key, Report.State.DONE, timezone.now()
    draft.save(update_fields=["file", "size", "reused", "snapshot_sha256", "state", "rendered_at"])
    return draft
