"""What the audit log records of assessments: their lifecycle, exports and downloads."""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.urls import reverse

from accounts.models import AuditEvent
from checklists.assessments.evidence import attachment_add
from checklists.models import Report
from checklists.signoff.services import (
    assessment_reopen,
    assessment_return,
    assessment_sign_off,
    assessment_submit,
)
from tests.conftest import PDF_BYTES

A = AuditEvent.Action


def the_event(action) -> AuditEvent:
    (event,) = AuditEvent.objects.filter(action=action)
    return event


def sign(assessment, lead):
    assessment_submit(assessment=assessment, by=lead)
    return assessment_sign_off(
        assessment=assessment,
        by=lead,
        typed_name=lead.full_name,
        typed_title="Chief",
        attest=True,
        password="correct-horse-battery",
    )


def test_the_lifecycle_of_an_assessment_is_recorded(complete_assessment, agency, lead, editor):
    assessment = complete_assessment
    assessment_submit(assessment=assessment, by=editor)
    assessment_return(assessment=assessment, by=lead)
    sign_off = sign(assessment, lead)
    revision = assessment_reopen(assessment=assessment, by=lead)

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


def test_evidence_added_downloaded_and_removed_are_recorded(
    assessment, agency, editor, client_for, upload
):
    response = assessment.responses.first()
    attachment = attachment_add(response=response, upload=upload(), prompt_key="x", by=editor)
    client = client_for(editor)

    client.get(reverse("attachment_download", args=[agency.slug, attachment.pk]))
    client.post(reverse("attachment_delete", args=[agency.slug, attachment.pk]))

    for action in (A.EVIDENCE_ADDED, A.EVIDENCE_DOWNLOADED, A.EVIDENCE_REMOVED):
        event = the_event(action)
        assert (event.actor, event.target_id) == (editor, str(attachment.pk))
        assert event.details["sha256"] == attachment.sha256


def test_exports_are_recorded_with_their_format(assessment, agency, viewer, client_for):
    client = client_for(viewer)

    client.get(reverse("assessment_export_csv", args=[agency.slug, assessment.pk]))
    client.get(reverse("assessment_export_json", args=[agency.slug, assessment.pk]))

    formats = AuditEvent.objects.filter(action=A.ASSESSMENT_EXPORTED, actor=viewer)
    assert sorted(e.details["format"] for e in formats) == ["csv", "json"]


def test_signed_and_draft_report_downloads_are_recorded(
    complete_assessment, agency, lead, viewer, client_for
):
    client = client_for(viewer)
    client.get(
        reverse("assessment_report_draft", args=[agency.slug, complete_assessment.pk, "public"])
    )
    report = sign(complete_assessment, lead).reports.get(edition="full")
    report.file.save("signed.pdf", ContentFile(PDF_BYTES), save=False)
    report.state = Report.State.DONE
    report.save()

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
