"""An item's history tells every act in words (issue 12): how it began, confirmations,
assignments, files added and removed, review comments."""

from __future__ import annotations

from datetime import date

from checklists.assessments.comments import comment_add, comment_resolve
from checklists.assessments.evidence import attachment_add, attachment_delete
from checklists.assessments.services import (
    assessment_start_next,
    response_update,
    responses_assign,
    responses_confirm,
)
from checklists.models import Response
from tests.helpers import required_answers, response_for, sign, url


def _history(client, agency, response) -> tuple[list, str]:
    page = client.get(url("response_history", agency, response.pk))
    return page.context["changes"], page.content.decode()


def _carried_over(lead, assessment):
    done = response_for(assessment, "LER-01")
    response_update(
        response=done, by=lead, expected_version=1, status=Response.Status.IN_PLACE,
        answers=required_answers(done),
    )  # fmt: skip
    sign(assessment, lead)
    following = assessment_start_next(previous=assessment, title="2027", due_date=None, by=lead)
    return following, response_for(following, "LER-01")


def test_a_carried_over_item_says_where_it_came_from(client_for, agency, lead, complete_assessment):
    _, carried = _carried_over(lead, complete_assessment)

    entries, page = _history(client_for(lead), agency, carried)

    assert "No changes yet" not in page
    assert entries[-1].who == lead.full_name  # who started the assessment
    assert entries[-1].summary == (
        f"Carried over from {complete_assessment}, where it was in place: "
        "to be confirmed for this assessment."
    )


def test_confirming_a_carried_over_item_is_in_its_history(
    client_for, agency, lead, editor, complete_assessment
):
    following, carried = _carried_over(lead, complete_assessment)

    responses_confirm(assessment=following, responses=[carried], by=editor)

    newest = _history(client_for(lead), agency, carried)[0][0]
    assert newest.summary == "Confirmed as still true for this assessment."
    assert newest.who == editor.full_name
    assert ("Carried over", "To confirm", "Confirmed") in newest.changes


def test_assignment_is_told_in_words(client_for, agency, lead, editor, assessment):
    target = response_for(assessment, "LER-02")

    responses_assign(
        assessment=assessment, responses=[target], owner=editor,
        target_date=date(2026, 9, 1), by=lead,
    )  # fmt: skip

    newest = _history(client_for(lead), agency, target)[0][0]
    assert newest.summary == f"Assigned to {editor.full_name}, target date September 1, 2026."
    assert ("Owner", "", editor.full_name) in newest.changes


def test_files_added_and_removed_are_in_the_history(
    client_for, agency, lead, editor, assessment, upload
):
    target = response_for(assessment, "LER-02")
    attachment = attachment_add(
        response=target, upload=upload("roster.pdf"), prompt_key="roster", by=editor
    )
    attachment_delete(attachment=attachment, by=lead)

    entries, _page = _history(client_for(lead), agency, target)

    summaries = [(e.who, e.summary) for e in entries]
    assert (lead.full_name, "Removed roster.pdf on LER-02.") in summaries
    assert (editor.full_name, "Added roster.pdf on LER-02.") in summaries


def test_review_comments_are_in_the_history(client_for, agency, lead, editor, assessment):
    target = response_for(assessment, "LER-02")
    comment = comment_add(response=target, body="Which year is the roster?", by=lead)
    comment_resolve(comment=comment, by=editor)

    entries, _ = _history(client_for(editor), agency, target)

    summaries = [e.summary for e in entries]
    assert "Commented: “Which year is the roster?”" in summaries
    assert (
        f"Resolved the review comment by {lead.full_name}: “Which year is the roster?”" in summaries
    )


def test_a_new_item_begins_with_the_assessment(client_for, agency, lead, assessment):
    entries, _page = _history(client_for(lead), agency, response_for(assessment, "LER-03"))

    assert [e.summary for e in entries] == ["Created with the assessment."]
