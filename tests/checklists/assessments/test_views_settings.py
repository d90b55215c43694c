"""A lead's administration of an assessment (issue 12): rename and re-date it, delete a draft
that nothing was signed on, and the warnings about titles and due dates."""

from __future__ import annotations

import re
from datetime import timedelta

from django.utils import timezone

from accounts.models import AuditEvent
from checklists.assessments.forms import TITLE_MAX_LENGTH
from checklists.assessments.services import assessment_start_next
from checklists.models import Assessment, Response
from tests.helpers import sign, the_event, url


def test_lead_renames_and_redates_an_assessment_and_it_is_audited(
    client_for, agency, lead, assessment
):
    due = timezone.localdate() + timedelta(days=30)

    response = client_for(lead).post(
        url("assessment_edit", agency, assessment.pk),
        {"title": "2026 readiness review", "due_date": due.isoformat()},
    )

    assert response.status_code == 302
    assessment.refresh_from_db()
    assert (assessment.title, assessment.due_date) == ("2026 readiness review", due)
    event = the_event(AuditEvent.Action.ASSESSMENT_CHANGED)
    assert event.details["changes"]["title"] == ["2026 annual assessment", "2026 readiness review"]


def test_a_title_too_long_is_refused_beside_the_field_and_nothing_changes(
    client_for, agency, lead, assessment
):
    response = client_for(lead).post(
        url("assessment_edit", agency, assessment.pk), {"title": "x" * 200}
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["title"]
    assert f"at most {TITLE_MAX_LENGTH} characters" in errors["title"][0]
    assert 'id="error_1_id_title"' in response.content.decode()
    assessment.refresh_from_db()
    assert assessment.title == "2026 annual assessment"


def test_starting_with_a_title_too_long_is_refused(client_for, agency, lead, catalog_version):
    response = client_for(lead).post(
        url("assessment_create", agency),
        {"title": "x" * 200, "catalog_version": catalog_version.pk},
    )

    assert "title" in response.context["form"].errors
    assert not Assessment.objects.exists()


def test_a_past_due_date_is_accepted_with_a_warning_and_marked_past_due(
    client_for, agency, lead, assessment
):
    past = timezone.localdate() - timedelta(days=3)
    client = client_for(lead)

    saved = client.post(
        url("assessment_edit", agency, assessment.pk),
        {"title": assessment.title, "due_date": past.isoformat()},
        follow=True,
    )

    page = saved.content.decode()
    assert "has already passed" in page
    assert "past due" in page
    assert "past due" in client.get(url("assessment_list", agency)).content.decode()


def test_a_past_due_date_when_starting_is_warned_of(client_for, agency, lead, catalog_version):
    past = timezone.localdate() - timedelta(days=1)

    response = client_for(lead).post(
        url("assessment_create", agency),
        {"title": "2026", "catalog_version": catalog_version.pk, "due_date": past.isoformat()},
        follow=True,
    )

    assert "has already passed" in response.content.decode()


def test_a_signed_off_assessment_keeps_its_title(client_for, agency, lead, complete_assessment):
    sign(complete_assessment, lead)

    response = client_for(lead).post(
        url("assessment_edit", agency, complete_assessment.pk), {"title": "Renamed"}
    )

    assert response.status_code == 302
    complete_assessment.refresh_from_db()
    assert complete_assessment.title == "2026 annual assessment"


def test_editor_cannot_edit_or_delete(client_for, agency, editor, assessment):
    client = client_for(editor)

    assert (
        client.post(url("assessment_edit", agency, assessment.pk), {"title": "x"}).status_code
        == 403
    )
    assert client.post(url("assessment_delete", agency, assessment.pk)).status_code == 403
    assert Assessment.objects.filter(pk=assessment.pk).exists()


def test_lead_deletes_a_draft_after_confirming_and_the_log_keeps_it(
    client_for, agency, lead, assessment
):
    client = client_for(lead)
    address = url("assessment_delete", agency, assessment.pk)
    count = assessment.responses.count()

    confirm = client.get(address)
    deleted = client.post(address, follow=True)

    assert f"{count} items" in confirm.content.decode()
    assert Assessment.objects.filter(pk=assessment.pk).exists() is False
    assert not Response.objects.filter(assessment_id=assessment.pk).exists()
    assert deleted.redirect_chain[-1][0] == url("assessment_list", agency)
    event = the_event(AuditEvent.Action.ASSESSMENT_DELETED)
    assert event.details["title"] == "2026 annual assessment"
    assert event.details["responses"] == count


def test_deleting_a_draft_twice_lands_on_the_list_without_an_error(
    client_for, agency, lead, assessment
):
    client = client_for(lead)
    address = url("assessment_delete", agency, assessment.pk)
    token = re.search(r'name="once" value="([^"]+)"', client.get(address).content.decode())[1]

    client.post(address, {"once": token})
    second = client.post(address, {"once": token}, follow=True)

    assert second.status_code == 200
    assert second.redirect_chain[-1][0] == url("assessment_list", agency)


def test_an_assessment_in_review_or_signed_off_cannot_be_deleted(
    client_for, agency, lead, complete_assessment
):
    sign(complete_assessment, lead)

    response = client_for(lead).post(url("assessment_delete", agency, complete_assessment.pk))

    assert response.status_code == 302
    assert Assessment.objects.filter(pk=complete_assessment.pk).exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.ASSESSMENT_DELETED).exists()


def test_deleting_a_draft_keeps_the_assessment_it_continued_from(
    client_for, agency, lead, complete_assessment
):
    sign(complete_assessment, lead)
    draft = assessment_start_next(
        previous=complete_assessment, title="2027", due_date=None, by=lead
    )

    client_for(lead).post(url("assessment_delete", agency, draft.pk))

    complete_assessment.refresh_from_db()
    assert complete_assessment.state == Assessment.State.SIGNED_OFF
    assert complete_assessment.responses.exists()
