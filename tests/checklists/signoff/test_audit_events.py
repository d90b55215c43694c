"""What the audit log records of an assessment's review and sign-off, and of its reports."""

from __future__ import annotations

from django.urls import reverse

from accounts.models import AuditEvent
from checklists.signoff.services import assessment_reopen, assessment_return, assessment_submit
from tests.helpers import draft_through_pages, report_stored, sign, the_event

A = AuditEvent.Action


def test_the_lifecycle_of_an_assessment_is_recorded(complete_assessment, agency, lead, editor):
    assessment = complete_assessment
    assessment_submit(assessment=assessment, by=editor)
    assessment_return(assessment=assessment, by=lead)
    sign_off = sign(assessment, lead)
    revision = assessment_reopen(
        assessment=assessment, by=lead, reason="A school was added after the sign-off."
    )

    started = the_event(A.ASSESSMENT_STARTED)
    assert (started.agency, started.actor, started.target_id) == (agency, lead, str(assessment.pk))
    assert [e.actor for e in AuditEvent.objects.filter(action=A.ASSESSMENT_SUBMITTED)] == [
        lead,
        editor,
    ]
    assert the_event(A.ASSESSMENT_RETURNED).actor == lead
    signed = the_event(A.ASSESSMENT_SIGNED_OFF)
    assert signed.details["snapshot_sha256"] == sign_off.snapshot_sha256
    assert the_event(A.ASSESSMENT_REOPENED).details["revision_id"] == revision.pk


def test_signed_and_draft_report_downloads_are_recorded(
    complete_assessment, agency, lead, viewer, client_for
):
    client = client_for(viewer)
    draft_through_pages(client, agency, complete_assessment, "public")
    report = report_stored(sign(complete_assessment, lead).reports.get(edition="full"))

    client.get(reverse("report_download", args=[agency.slug, report.pk]))

    draft = the_event(A.DRAFT_REPORT_DOWNLOADED)
    assert (draft.actor, draft.details["edition"]) == (viewer, "public")
    signed = the_event(A.REPORT_DOWNLOADED)
    assert (signed.actor, signed.target_id, signed.details["edition"]) == (
        viewer,
        str(report.pk),
        "full",
    )


def test_a_report_not_ready_is_not_recorded_as_downloaded(
    complete_assessment, agency, lead, client_for
):
    report = sign(complete_assessment, lead).reports.get(edition="full")

    assert (
        client_for(lead).get(reverse("report_download", args=[agency.slug, report.pk])).status_code
        == 404
    )
    assert not AuditEvent.objects.filter(action=A.REPORT_DOWNLOADED).exists()
