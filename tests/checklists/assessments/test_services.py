"""Assessments and responses through the service layer."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from checklists.assessments.evidence import attachment_add
from checklists.assessments.models import AssessmentLocked
from checklists.assessments.services import (
    ResponseConflict,
    assessment_start_next,
    response_update,
    responses_assign,
    school_add,
    school_change,
)
from checklists.models import Assessment, Attachment, Item, Response
from tests.factories import SchoolFactory
from tests.helpers import PDF_BYTES, PNG_BYTES, required_answers, response_for

S = Response.Status


def save(response: Response, by, **fields) -> Response:
    return response_update(
        response=response,
        by=by,
        expected_version=response.version,
        **({"status": S.IN_PROGRESS} | fields),
    )


def test_start_creates_one_row_per_agency_item_and_per_school_item_and_active_school(
    assessment, catalog_version, agency
):
    SchoolFactory(agency=agency, is_active=False)
    items = catalog_version.items
    agency_items = items.filter(scope=Item.Scope.AGENCY).count()
    school_items = items.filter(scope=Item.Scope.SCHOOL).count()

    assert assessment.responses.filter(school=None).count() == agency_items
    assert assessment.responses.exclude(school=None).count() == school_items * 2
    assert assessment.state == Assessment.State.DRAFT


def test_a_school_added_later_gets_its_rows_at_once(assessment, agency, lead, catalog_version):
    school = school_add(agency=agency, by=lead, name="New Elementary")

    assert (
        assessment.responses.filter(school=school).count()
        == catalog_version.items.filter(scope="school").count()
    )


def test_a_reactivated_school_gets_the_rows_it_missed(assessment, agency, lead):
    school = school_add(agency=agency, by=lead, name="Closed Middle", is_active=False)
    assert not assessment.responses.filter(school=school).exists()

    school_change(school=school, by=lead, is_active=True)

    assert assessment.responses.filter(school=school).exists()


def test_signed_off_assessments_get_no_new_rows(assessment, agency, lead):
    Assessment.objects.filter(pk=assessment.pk).update(state=Assessment.State.SIGNED_OFF)

    school = school_add(agency=agency, by=lead, name="New Elementary")

    assert not assessment.responses.filter(school=school).exists()


def test_update_saves_bumps_the_version_and_records_history(assessment, editor):
    response = response_for(assessment, "LER-02")

    saved = save(response, editor, notes="Scheduled for March", answers={"officers_trained": "12"})

    assert (saved.version, saved.status, saved.answers) == (
        2,
        S.IN_PROGRESS,
        {"officers_trained": "12"},
    )
    assert saved.updated_by == editor
    latest = saved.history.latest()
    assert (latest.history_user, latest.notes) == (editor, "Scheduled for March")


def test_a_stale_version_is_a_conflict_and_changes_nothing(assessment, editor, lead):
    response = response_for(assessment, "LER-02")
    save(response, lead, notes="Lead's note")

    with pytest.raises(ResponseConflict) as conflict:
        response_update(
            response=response,
            by=editor,
            expected_version=1,
            status=S.IN_PLACE,
            notes="Editor's note",
        )

    assert conflict.value.current.notes == "Lead's note"
    response.refresh_from_db()
    assert (response.version, response.notes) == (2, "Lead's note")


def test_not_applicable_needs_a_justification(assessment, editor):
    response = response_for(assessment, "LER-14")

    with pytest.raises(ValidationError) as error:
        save(response, editor, status=S.NOT_APPLICABLE)

    assert "justification" in error.value.error_dict
    assert (
        save(
            response, editor, status=S.NOT_APPLICABLE, justification="No partner agencies nearby"
        ).status
        == S.NOT_APPLICABLE
    )


def test_in_place_needs_the_required_evidence(assessment, editor):
    response = response_for(assessment, "LER-01")

    with pytest.raises(ValidationError) as error:
        save(response, editor, status=S.IN_PLACE)

    assert "policy_reference" in error.value.error_dict
    response.refresh_from_db()
    assert (response.status, response.version) == (S.NOT_STARTED, 1)
    assert (
        save(response, editor, status=S.IN_PLACE, answers=required_answers(response)).status
        == S.IN_PLACE
    )


def test_a_required_file_can_come_with_the_same_save(assessment, sro, school, upload):
    response = response_for(assessment, "LER-15", school)
    file_prompts = [p.key for p in response.item.prompts.all() if p.required and p.kind == "file"]
    assert file_prompts, "LER-15 asks for the signed MOU as a file"

    saved = save(
        response,
        sro,
        status=S.IN_PLACE,
        answers=required_answers(response),
        files=[(file_prompts[0], upload("mou.pdf"))],
    )

    assert saved.status == S.IN_PLACE
    assert saved.attachments.get().prompt_key == file_prompts[0]


def test_nothing_changes_in_a_signed_off_assessment(assessment, lead, school, upload):
    response = response_for(assessment, "LER-02")
    Assessment.objects.filter(pk=assessment.pk).update(state=Assessment.State.SIGNED_OFF)
    response = response_for(assessment, "LER-02")

    with pytest.raises(AssessmentLocked):
        save(response, lead)
    with pytest.raises(AssessmentLocked):
        attachment_add(response=response, upload=upload(), prompt_key="", by=lead)
    with pytest.raises(AssessmentLocked):
        responses_assign(
            assessment=response.assessment,
            responses=[response],
            owner=lead,
            target_date=None,
            by=lead,
        )
    assert response_for(assessment, "LER-02").version == 1


def test_owner_must_belong_to_the_agency(assessment, lead, outsider):
    with pytest.raises(ValidationError):
        save(response_for(assessment, "LER-02"), lead, owner=outsider)

    unchanged = response_for(assessment, "LER-02")
    assert (unchanged.owner, unchanged.version) == (None, 1)


def test_assign_sets_owner_and_target_and_bumps_versions(assessment, lead, editor):
    responses = list(assessment.responses.filter(item__code__in=["LER-02", "LER-20"]))

    count = responses_assign(
        assessment=assessment, responses=responses, owner=editor, target_date=None, by=lead
    )

    assert count == 2
    assert set(assessment.responses.filter(owner=editor).values_list("version", flat=True)) == {2}


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("report.pdf", PNG_BYTES, "wrong ending"),
        ("program.pdf", b"MZ\x90\x00" + b"\x00" * 60, "not a PDF, image or office document"),
        ("notes.txt", b"just text", "not a PDF, image or office document"),
    ],
)
def test_evidence_type_is_judged_by_content(assessment, lead, upload, name, content, message):
    with pytest.raises(ValidationError, match=message):
        attachment_add(
            response=response_for(assessment, "LER-02"),
            upload=upload(name, content),
            prompt_key="",
            by=lead,
        )
    assert not Attachment.objects.exists()


def test_evidence_over_the_size_limit_is_refused(assessment, lead, upload, settings):
    settings.EVIDENCE_MAX_BYTES = 10

    with pytest.raises(ValidationError, match="larger than"):
        attachment_add(
            response=response_for(assessment, "LER-02"), upload=upload(), prompt_key="", by=lead
        )
    assert not Attachment.objects.exists()


def test_evidence_keeps_a_clean_name_and_its_sha256(assessment, lead, upload):
    import hashlib

    attachment = attachment_add(
        response=response_for(assessment, "LER-02"),
        upload=upload('..\\../evil<script>".pdf'),
        prompt_key="",
        by=lead,
    )

    assert attachment.original_name == "evilscript.pdf"
    assert attachment.sha256 == hashlib.sha256(PDF_BYTES).hexdigest()
    assert attachment.file.name.startswith(f"evidence/{assessment.agency_id}/")
    assert "evil" not in attachment.file.name


def test_next_cycle_carries_answers_over_until_confirmed(assessment, editor, lead, upload):
    done = response_for(assessment, "LER-01")
    save(
        done,
        editor,
        status=S.IN_PLACE,
        answers=required_answers(done),
        notes="GO 4.12",
        files=[("policy_file", upload())],
    )

    following = assessment_start_next(
        previous=assessment, title="2027 annual assessment", due_date=None, by=lead
    )
    carried = response_for(following, "LER-01")

    assert (carried.status, carried.carried_over, carried.notes) == (S.IN_PLACE, True, "GO 4.12")
    assert carried.previous.pk == done.pk
    assert not carried.counts_as_in_place
    assert carried.attachments.get().sha256 == done.attachments.get().sha256
    assert not response_for(following, "LER-02").carried_over

    confirmed = save(carried, editor, status=S.IN_PLACE, answers=carried.answers, confirm=True)
    assert confirmed.counts_as_in_place
