"""Rendering a signed report: claim the row, render and sign the PDF, store it once."""

from __future__ import annotations

import hashlib
import json

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from checklists.signoff.models import Report
from checklists.signoff.pdf import signed_pdf
from checklists.signoff.signing import sign_pdf


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
