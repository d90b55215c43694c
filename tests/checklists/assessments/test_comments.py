"""Review comments per item (issue 12): the lead and editors comment, during work and review;
the owner sees them on the item and the checklist; resolved or reopened; frozen at sign-off, kept
in the full snapshot and its report, never in the public one."""

from __future__ import annotations

import json

import pytest

from accounts.models import AuditEvent
from checklists.assessments.comments import comment_add, comment_resolve
from checklists.models import AssessmentLocked, ReviewComment
from checklists.signoff.pdf import report_html
from checklists.signoff.services import assessment_submit
from tests.helpers import response_for, sign, the_event, url

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_an_editor_comments_on_an_item_and_its_owner_sees_it(
    client_for, agency, editor, lead, assessment
):
    target = response_for(assessment, "LER-02")
    assessment.responses.filter(pk=target.pk).update(owner=editor)

    added = client_for(lead).post(
        url("response_comment_add", agency, target.pk), {"body": "Which roster is this?"}
    )

    assert added.status_code == 302
    comment = ReviewComment.objects.get()
    assert (comment.author, comment.body, comment.is_resolved) == (
        lead,
        "Which roster is this?",
        False,
    )
    the_event(AuditEvent.Action.COMMENT_ADDED, details__response_id=target.pk)
    owner = client_for(editor)
    item_page = owner.get(url("response_detail", agency, target.pk)).content.decode()
    assert "Which roster is this?" in item_page
    assert "1 open" in item_page
    checklist = owner.get(url("assessment_checklist", agency, assessment.pk)).content.decode()
    assert "1 open review comment" in checklist


def test_the_checklist_row_counts_only_the_open_comments(client_for, agency, lead, assessment):
    target = response_for(assessment, "LER-02")
    for body in ("Which roster?", "Add the date", "Name the trainer"):
        comment_add(response=target, body=body, by=lead)
    comment_resolve(comment=ReviewComment.objects.get(body="Add the date"), by=lead)

    checklist = client_for(lead).get(url("assessment_checklist", agency, assessment.pk))

    assert "2 open review comments" in checklist.content.decode()


def test_an_empty_comment_is_refused_beside_its_field(client_for, agency, lead, assessment):
    target = response_for(assessment, "LER-02")

    refused = client_for(lead).post(url("response_comment_add", agency, target.pk), {"body": "  "})

    assert refused.status_code == 400
    assert "This field is required." in refused.content.decode()
    assert not ReviewComment.objects.exists()


def test_comment_with_htmx_replaces_only_the_comments(client_for, agency, lead, assessment):
    target = response_for(assessment, "LER-02")

    swapped = client_for(lead).post(
        url("response_comment_add", agency, target.pk), {"body": "Attach the roster"}, **HTMX
    )

    fragment = swapped.content.decode()
    assert fragment.lstrip().startswith(f'<section id="comments-{target.pk}"')
    assert "Attach the roster" in fragment
    assert 'name="status"' not in fragment


def test_the_owner_resolves_and_reopens_a_comment(client_for, agency, viewer, lead, assessment):
    target = response_for(assessment, "LER-02")
    assessment.responses.filter(pk=target.pk).update(owner=viewer)
    comment = comment_add(response=target, body="Date?", by=lead)
    owner = client_for(viewer)

    owner.post(url("comment_resolve", agency, comment.pk))
    comment.refresh_from_db()
    assert comment.is_resolved
    assert comment.resolved_by == viewer
    owner.post(url("comment_reopen", agency, comment.pk))
    comment.refresh_from_db()
    assert not comment.is_resolved


def test_a_viewer_who_does_not_own_the_item_cannot_resolve(
    client_for, agency, viewer, lead, assessment
):
    comment = comment_add(response=response_for(assessment, "LER-02"), body="Date?", by=lead)

    assert client_for(viewer).post(url("comment_resolve", agency, comment.pk)).status_code == 403
    comment.refresh_from_db()
    assert not comment.is_resolved


def test_an_sro_cannot_comment(client_for, agency, sro, school, assessment):
    target = response_for(assessment, "LER-16", school=school)

    refused = client_for(sro).post(url("response_comment_add", agency, target.pk), {"body": "x"})

    assert refused.status_code == 403


def test_comments_are_taken_during_review(client_for, agency, lead, complete_assessment):
    assessment_submit(assessment=complete_assessment, by=lead)
    target = response_for(complete_assessment, "LER-02")

    added = client_for(lead).post(
        url("response_comment_add", agency, target.pk), {"body": "Confirm the number of sworn"}
    )

    assert added.status_code == 302
    assert target.comments.count() == 1
    page = client_for(lead).get(url("response_detail", agency, target.pk)).content.decode()
    assert 'name="body"' in page


def test_a_signed_off_assessment_takes_no_comment(client_for, agency, lead, complete_assessment):
    target = response_for(complete_assessment, "LER-02")
    comment = comment_add(response=target, body="Before sign-off", by=lead)
    sign(complete_assessment, lead)

    with pytest.raises(AssessmentLocked):
        comment_add(response=target, body="After", by=lead)
    with pytest.raises(AssessmentLocked):
        comment_resolve(comment=comment, by=lead)
    client = client_for(lead)
    assert (
        client.post(url("response_comment_add", agency, target.pk), {"body": "x"}).status_code
        == 403
    )
    assert client.post(url("comment_resolve", agency, comment.pk)).status_code == 403
    assert (
        'name="body"' not in client.get(url("response_detail", agency, target.pk)).content.decode()
    )


def test_comments_are_in_the_full_snapshot_and_report_not_the_public_one(lead, complete_assessment):
    target = response_for(complete_assessment, "LER-02")
    comment_add(response=target, body="Roster is from 2024, not this year", by=lead)
    resolved = comment_add(response=target, body="Add the date", by=lead)
    comment_resolve(comment=resolved, by=lead)

    sign_off = sign(complete_assessment, lead)

    full = json.loads(sign_off.snapshot)
    row = next(r for r in full["responses"] if r["item"] == "LER-02")
    assert [(c["body"], c["resolved"], c["author"]) for c in row["comments"]] == [
        ("Roster is from 2024, not this year", False, lead.full_name),
        ("Add the date", True, lead.full_name),
    ]
    assert "Roster is from 2024" not in sign_off.public_snapshot
    html = report_html(full, edition="full")
    assert "Roster is from 2024, not this year" in html
    assert "Roster is from 2024" not in report_html(
        json.loads(sign_off.public_snapshot) | {"sign_off": full["sign_off"]}, edition="public"
    )


def test_the_checklist_query_count_does_not_grow_with_comments(
    client_for, agency, lead, assessment, django_assert_max_num_queries
):
    client = client_for(lead)
    checklist = url("assessment_checklist", agency, assessment.pk)
    client.get(checklist)
    with django_assert_max_num_queries(40) as few:
        client.get(checklist)
    for response in assessment.responses.all()[:20]:
        comment_add(response=response, body="Check", by=lead)
        comment_add(response=response, body="Again", by=lead)

    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(checklist)


def test_the_item_page_and_its_history_do_not_grow_with_comments(
    client_for, agency, lead, editor, assessment, django_assert_max_num_queries
):
    target = response_for(assessment, "LER-02")
    comment_add(response=target, body="First", by=lead)
    client = client_for(editor)
    pages = [url("response_detail", agency, target.pk), url("response_history", agency, target.pk)]
    first = {}
    for page in pages:
        with django_assert_max_num_queries(60) as counted:
            client.get(page)
        first[page] = len(counted.captured_queries)
    for n in range(6):
        comment_resolve(comment=comment_add(response=target, body=f"More {n}", by=editor), by=lead)

    for page in pages:
        with django_assert_max_num_queries(first[page]):
            client.get(page)


def test_comments_on_school_items_are_printed_in_the_full_report(lead, school, complete_assessment):
    target = response_for(complete_assessment, "LER-16", school=school)
    comment_add(response=target, body="Which drill was this?", by=lead)

    full = json.loads(sign(complete_assessment, lead).snapshot)

    html = report_html(full, edition="full")
    assert "Review comments on school items" in html
    assert "Which drill was this?" in html


def test_the_form_opened_in_the_checklist_points_to_open_comments(
    client_for, agency, lead, editor, assessment
):
    target = response_for(assessment, "LER-02")
    comment_add(response=target, body="Which roster?", by=lead)

    fragment = client_for(editor).get(url("response_detail", agency, target.pk), **HTMX)

    assert "1 open review comment" in fragment.content.decode()
