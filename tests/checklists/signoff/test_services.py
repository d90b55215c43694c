"""Review and sign-off through the services: what is missing, the lock, the sign-off that is
never changed, and reopening as a new revision.

A sign-off here writes its rows and queues its reports on the tests' dummy task backend, where
they are never rendered (tests/conftest.py, `render_reports`).
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from checklists.assessments.services import IncompleteAssessment, response_update
from checklists.models import Assessment, AssessmentLocked, Response, SignOff
from checklists.signoff.services import assessment_reopen, assessment_sign_off, assessment_submit
from tests.helpers import PASSWORD, report_stored, response_for, sign, url

S = Response.Status


def test_submission_lists_what_is_missing(assessment, editor, client_for, agency):
    with pytest.raises(IncompleteAssessment) as error:
        assessment_submit(assessment=assessment, by=editor)

    assert len(error.value.gaps) == assessment.responses.count()
    page = client_for(editor).get(url("assessment_review", agency, assessment.pk)).content.decode()
    first = error.value.gaps[0].response
    assert first.get_absolute_url() in page
    assert "No status recorded yet." in page


def test_in_place_without_required_evidence_is_a_gap(complete_assessment, editor):
    complete_assessment.responses.filter(item__code="LER-01").update(status=S.IN_PLACE)

    with pytest.raises(IncompleteAssessment) as error:
        assessment_submit(assessment=complete_assessment, by=editor)

    assert [g.response.item.code for g in error.value.gaps] == ["LER-01"]
    assert "missing required evidence" in error.value.gaps[0].reason


def test_a_signed_assessment_refuses_every_write(
    client_for,
    agency,
    complete_assessment,
    lead,
    editor,
    upload,
):
    sign(complete_assessment, lead)
    target = response_for(complete_assessment, "LER-02")

    http = client_for(editor).post(
        url("response_detail", agency, target.pk), {"version": target.version, "status": "in_place"}
    )
    assert http.status_code == 403
    with pytest.raises(AssessmentLocked):
        response_update(
            response=target, by=lead, expected_version=target.version, status=S.IN_PLACE
        )
    target.notes = "changed"
    with pytest.raises(AssessmentLocked):
        target.save()
    with pytest.raises(AssessmentLocked):
        complete_assessment.responses.update(notes="changed")
    with pytest.raises(AssessmentLocked):
        target.delete()
    assert response_for(complete_assessment, "LER-02").notes == ""


def test_a_sign_off_is_never_changed_and_there_is_one_per_revision(complete_assessment, lead):
    sign_off = sign(complete_assessment, lead)

    sign_off.typed_name = "Someone else"
    with pytest.raises(TypeError):
        sign_off.save()
    with pytest.raises(TypeError):
        SignOff.objects.update(typed_name="x")
    with pytest.raises(TypeError):
        sign_off.delete()
    with pytest.raises(ValidationError, match="already been signed off"):
        assessment_sign_off(
            assessment=complete_assessment,
            by=lead,
            typed_name="D",
            typed_title="C",
            attest=True,
            password=PASSWORD,
        )
    with pytest.raises(IntegrityError):
        SignOff.objects.create(
            assessment=complete_assessment,
            signer=lead,
            typed_name="D",
            typed_title="C",
            statement="S",
            snapshot="{}",
            snapshot_sha256="1" * 64,
        )


def test_reopening_makes_a_new_revision_and_keeps_the_signed_one(complete_assessment, lead, editor):
    sign_off = sign(complete_assessment, lead)
    report = report_stored(sign_off.reports.get(edition="full"))
    before = (report.sha256, report.file.read())

    revision = assessment_reopen(
        assessment=complete_assessment, by=lead, reason="A school was added after the sign-off."
    )
    target = response_for(revision, "LER-02")
    response_update(
        response=target,
        by=editor,
        expected_version=target.version,
        status=S.NOT_APPLICABLE,
        justification="No longer relevant",
    )

    assert (revision.revision, revision.revision_of, revision.state) == (
        2,
        complete_assessment,
        Assessment.State.DRAFT,
    )
    assert revision.responses.count() == complete_assessment.responses.count()
    assert response_for(complete_assessment, "LER-02").status == S.IN_PROGRESS
    report.refresh_from_db()
    assert (report.sha256, report.file.read()) == before
    with pytest.raises(ValidationError, match="already been reopened"):
        assessment_reopen(
            assessment=complete_assessment, by=lead, reason="A school was added after the sign-off."
        )
