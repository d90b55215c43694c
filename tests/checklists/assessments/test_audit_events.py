"""What the audit log records of an assessment's evidence and exports."""

from __future__ import annotations

from django.urls import reverse

from accounts.models import AuditEvent
from checklists.assessments.evidence import attachment_add
from tests.helpers import the_event

A = AuditEvent.Action


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
