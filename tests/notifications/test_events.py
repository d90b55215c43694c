"""The acts that exist on main tell the right people, once, in the act's own transaction."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from accounts.services import invitation_accept, invitation_create
from checklists.assessments.comments import comment_add
from checklists.assessments.services import response_update, responses_assign
from checklists.signoff.services import assessment_return, assessment_submit
from notifications.models import Kind, Notification
from tests.factories import UserFactory
from tests.helpers import response_for, sign

pytestmark = pytest.mark.django_db


def told(user, kind=None):
    mine = Notification.objects.filter(user=user)
    return list(mine.filter(kind=kind) if kind else mine)


def test_bulk_assignment_tells_the_new_owner_of_each_item(assessment, lead, editor):
    rows = list(assessment.responses.filter(school=None)[:3])

    responses_assign(assessment=assessment, responses=rows, owner=editor, target_date=None, by=lead)

    notices = told(editor, Kind.ASSIGNED)
    assert len(notices) == 3
    assert {n.url for n in notices} == {r.get_absolute_url() for r in rows}
    assert all(n.title.startswith("Assigned to you: ") for n in notices)


def test_assigning_again_to_the_same_owner_tells_nobody_twice(assessment, lead, editor):
    row = assessment.responses.filter(school=None).first()
    responses_assign(
        assessment=assessment, responses=[row], owner=editor, target_date=None, by=lead
    )
    responses_assign(
        assessment=assessment, responses=[row], owner=editor, target_date=None, by=lead
    )

    assert len(told(editor, Kind.ASSIGNED)) == 1


def test_an_edit_that_hands_an_item_on_tells_each_new_owner(assessment, lead, editor, viewer):
    response = response_for(assessment, "LER-02")
    for owner in (editor, viewer):
        response.refresh_from_db()
        response_update(
            response=response, by=lead, expected_version=response.version,
            status=response.status, owner=owner,
        )  # fmt: skip

    assert len(told(editor, Kind.ASSIGNED)) == 1
    assert len(told(viewer, Kind.ASSIGNED)) == 1
    assert told(viewer)[0].title.startswith("Assigned to you: LER-02")


def test_taking_an_item_on_oneself_is_no_notification(assessment, editor):
    response = response_for(assessment, "LER-02")
    response_update(
        response=response, by=editor, expected_version=response.version,
        status=response.status, owner=editor,
    )  # fmt: skip

    assert told(editor) == []


def test_a_refused_edit_tells_nobody(assessment, lead, editor):
    response = response_for(assessment, "LER-02")
    with pytest.raises(ValidationError):
        response_update(
            response=response, by=lead, expected_version=response.version,
            status="not_applicable", owner=editor,
        )  # fmt: skip

    assert told(editor) == []


def test_submission_tells_the_leads_and_return_tells_the_submitter(
    complete_assessment, lead, editor, viewer
):
    assessment_submit(assessment=complete_assessment, by=editor)

    assert [n.kind for n in told(lead)] == [Kind.SUBMITTED]
    assert "/review/" in told(lead)[0].url
    assert told(viewer) == []
    assert told(editor) == []

    assessment_return(assessment=complete_assessment, by=lead)

    returned = told(editor, Kind.RETURNED)
    assert len(returned) == 1
    assert "returned to you" in returned[0].title


def test_sign_off_tells_every_other_member_with_the_report_link(
    complete_assessment, lead, editor, sro, viewer
):
    sign(complete_assessment, lead)

    for person in (editor, sro, viewer):
        (notice,) = told(person, Kind.SIGNED_OFF)
        assert notice.url.endswith(f"/assessments/{complete_assessment.pk}/reports/")
    assert told(lead, Kind.SIGNED_OFF) == []


def test_an_accepted_invitation_tells_the_lead_who_sent_it(agency, lead):
    _invitation, token = invitation_create(
        agency=agency, email="new@harbor.example", access="editor", roles=[], schools=[],
        invited_by=lead,
    )  # fmt: skip
    invitation_accept(
        token=token, user=UserFactory(email="new@harbor.example", full_name="Ana Ruiz")
    )

    (notice,) = told(lead, Kind.INVITATION_ACCEPTED)
    assert notice.title == "Ana Ruiz accepted your invitation to Harbor City Police Department"


def test_a_review_comment_tells_the_items_owner_but_not_its_author(assessment, lead, editor):
    response = response_for(assessment, "LER-02")
    responses_assign(
        assessment=assessment, responses=[response], owner=editor, target_date=None, by=lead
    )
    response.refresh_from_db()

    comment = comment_add(response=response, body="Which roster is this?", by=lead)
    comment_add(response=response, body="The March one.", by=editor)

    notices = told(editor, Kind.COMMENTED)
    assert len(notices) == 1
    assert notices[0].title.startswith(f"{lead.full_name} commented on LER-02")
    assert notices[0].url.endswith(f"#comments-{response.pk}")
    assert not told(lead, Kind.COMMENTED)
    assert comment.pk
