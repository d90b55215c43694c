"""The exercise pages through the HTTP client: recording, refusals beside their fields, the
improvement plan's filters and its query count, and the dashboard's panel."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditEvent
from checklists.catalog.models import Item
from exercises.models import CorrectiveAction, Exercise, Observation, Organization, ReviewAttachment
from exercises.services import action_advance, attachment_add
from tests.factories import SchoolFactory
from tests.helpers import (
    corrective_action,
    exercise,
    finding,
    person,
    required_answers,
    response_for,
    response_post,
    url,
)

pytestmark = pytest.mark.django_db


def _post(**fields) -> dict:
    return {"title": "Arrival drill", "kind": "drill", "starts_on": "2026-03-02",
            "ends_on": "2026-03-02", "objectives": "Contain the threat\nReunify", "hours": "4",
            "mission_area": "response"} | fields  # fmt: skip


def test_an_sro_records_a_drill_at_their_school(client_for, agency, sro, school, catalog_version):
    response = client_for(sro).post(url("exercise_create", agency), _post(school=school.pk))

    drill = Exercise.objects.get()
    assert response.status_code == 302
    assert (drill.school, drill.created_by) == (school, sro)
    assert [o.text for o in drill.objectives.all()] == ["Contain the threat", "Reunify"]


def test_an_objective_line_may_name_its_core_capability(client_for, agency, lead, catalog_version):
    objectives = "Contain the threat | On-scene Security\nReunify\nContain the threat | Again"
    client_for(lead).post(url("exercise_create", agency), _post(objectives=objectives))

    drill = Exercise.objects.get()
    assert [(o.text, o.capability) for o in drill.objectives.all()] == [
        ("Contain the threat", "On-scene Security"),
        ("Reunify", ""),
    ]
    page = client_for(lead).get(url("exercise_edit", agency, drill.pk))
    assert "Contain the threat | On-scene Security" in page.text


def test_an_sro_cannot_record_at_a_school_they_do_not_serve(
    client_for, agency, sro, other_school, catalog_version
):
    response = client_for(sro).post(url("exercise_create", agency), _post(school=other_school.pk))

    assert response.status_code == 200
    assert "school" in response.context["form"].errors
    assert not Exercise.objects.exists()


def test_every_bad_field_is_shown_at_once_and_nothing_is_saved(
    client_for, agency, lead, catalog_version
):
    response = client_for(lead).post(
        url("exercise_create", agency), _post(ends_on="2026-03-01", objectives="", kind="parade")
    )

    errors = response.context["form"].errors
    assert response.status_code == 200
    assert {"kind", "objectives"} <= set(errors)
    assert "Nothing was saved" in response.text
    assert not Exercise.objects.exists()


def test_dates_that_end_before_they_start_are_refused_beside_the_field(
    client_for, agency, lead, catalog_version
):
    response = client_for(lead).post(url("exercise_create", agency), _post(ends_on="2026-03-01"))

    assert response.context["form"].errors["ends_on"] == ["The exercise ends before it starts."]
    assert not Exercise.objects.exists()


def test_the_lead_turns_a_finding_into_an_action_on_ler_19(
    client_for, agency, lead, school, catalog_version
):
    drill = exercise(agency, lead, school=school)
    gap = finding(drill, lead)
    ler19 = Item.objects.get(catalog_version=catalog_version, code="LER-19")
    owner = person(agency, "77", full_name="Sgt. Dana Ortiz")

    response = client_for(lead).post(url("corrective_action_create", agency, drill.pk), {
        "observation": gap.pk, "description": "Issue radios", "items": [ler19.pk],
        "schools": [school.pk], "owner": owner.pk, "starts_on": "2026-03-10", "due_on": "2026-06-01",
    })  # fmt: skip

    action = CorrectiveAction.objects.get()
    assert response.status_code == 302
    assert (action.observation, list(action.items.all()), action.owner) == (gap, [ler19], owner)
    page = client_for(lead).get(drill.get_absolute_url())
    assert "Issue radios" in page.text


def test_a_self_verification_is_refused_beside_its_field(client_for, agency, lead, catalog_version):
    action = corrective_action(exercise(agency, lead), lead)
    action_advance(action=action, status="done", by=lead)

    response = client_for(lead).post(
        url("corrective_action_advance", agency, action.pk), {"status": "verified", "note": "ok"}
    )

    action.refresh_from_db()
    assert response.status_code == 400
    assert "Someone other than" in response.context["form"].errors["status"][0]
    assert action.status == "done"


def test_the_owner_with_an_account_completes_their_action(
    client_for, agency, lead, sro, catalog_version
):
    owner = person(agency, "55", user=sro)
    action = corrective_action(exercise(agency, lead), lead, owner=owner)

    response = client_for(sro).post(
        url("corrective_action_advance", agency, action.pk), {"status": "done", "note": "Done"}
    )
    refused = client_for(sro).post(
        url("corrective_action_advance", agency, action.pk), {"status": "verified", "note": "Me"}
    )

    action.refresh_from_db()
    assert (response.status_code, refused.status_code) == (302, 403)
    assert (action.status, action.done_by) == ("done", sro)


def test_the_plan_filters_by_status_owner_item_school_and_overdue(
    client_for, agency, lead, school, catalog_version
):
    drill = exercise(agency, lead)
    ler19 = Item.objects.get(catalog_version=catalog_version, code="LER-19")
    owner = person(agency, "9")
    late = corrective_action(drill, lead, description="Late one", due_on=date(2026, 4, 1),
                             items=[ler19], schools=[school], owner=owner)  # fmt: skip
    corrective_action(drill, lead, description="Later one", due_on=date(2099, 1, 1))
    client = client_for(lead)

    def shown(**query) -> list[str]:
        page = client.get(url("improvement_plan", agency), query).context["page"]
        return [a.description for a in page]

    assert shown(overdue="on") == ["Late one"]
    assert shown(item="ler-19") == shown(school=school.pk) == shown(owner=owner.pk) == ["Late one"]
    action_advance(action=late, status="done", by=lead)
    assert shown(status="unresolved") == ["Later one"]
    assert shown(status="done") == ["Late one"]


def test_the_plan_and_the_timeline_take_the_same_queries_for_more_data(
    client_for, agency, lead, catalog_version
):
    client = client_for(lead)
    ler19 = Item.objects.get(catalog_version=catalog_version, code="LER-19")

    def add(n: int) -> None:
        for i in range(n):
            drill = exercise(agency, lead, title=f"Drill {i}")
            corrective_action(drill, lead, items=[ler19], schools=[SchoolFactory(agency=agency)])

    def queries(name: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url(name, agency)).status_code == 200
        return len(captured)

    add(2)
    queries("exercise_list")  # the session's first request loads what later ones have cached
    before = {name: queries(name) for name in ("improvement_plan", "exercise_list")}
    add(8)
    assert {name: queries(name) for name in before} == before


def test_the_dashboard_shows_exercises_and_open_actions(
    client_for, agency, lead, viewer, assessment
):
    action = corrective_action(exercise(agency, lead), lead, due_on=date(2026, 4, 1))

    page = client_for(viewer).get(agency.get_absolute_url())

    assert "Exercises and corrective actions" in page.text
    assert "1 overdue" in page.text
    assert action.is_overdue


def test_the_item_page_lists_its_exercises_and_open_actions(
    client_for, agency, lead, viewer, assessment
):
    ler19 = Item.objects.get(catalog_version=assessment.catalog_version, code="LER-19")
    drill = exercise(agency, lead, items=[ler19], title="Radio drill")
    action = corrective_action(drill, lead, items=[ler19], description="Issue radios")
    response = assessment.responses.filter(item__code="LER-19").first()
    page = url("response_detail", agency, response.pk)

    before = client_for(viewer).get(page).text
    action_advance(action=action, status="done", by=lead)
    after = client_for(viewer).get(page).text

    assert "Radio drill" in before
    assert "1 open corrective action" in before
    assert "Issue radios" in before
    assert "Issue radios" not in after
    assert "No open corrective actions" in after


def test_in_place_with_open_actions_asks_for_a_note(client_for, agency, lead, school, assessment):
    ler19 = Item.objects.get(catalog_version=assessment.catalog_version, code="LER-19")
    corrective_action(exercise(agency, lead), lead, items=[ler19])
    response = response_for(assessment, "LER-19", school=school)
    answers = {
        f"answer_{k}": "yes" if v is True else v for k, v in required_answers(response).items()
    }
    post = response_post(response, status="in_place", **answers)
    client = client_for(lead)

    refused = client.post(url("response_detail", agency, response.pk), post)
    saved = client.post(url("response_detail", agency, response.pk),
                        post | {"notes": "Cameras tested; the radio action is separate."})  # fmt: skip

    assert "still open on this item" in str(refused.context["form"].errors), refused.context[
        "form"
    ].errors
    assert saved.status_code == 302
    response.refresh_from_db()
    assert response.status == "in_place"


def test_whoever_records_the_exercise_corrects_a_finding(
    client_for, agency, lead, sro, school, catalog_version
):
    drill = exercise(agency, lead, school=school)
    gap = finding(drill, lead)

    response = client_for(sro).post(url("exercise_finding_edit", agency, gap.pk), {
        "objective": gap.objective_id, "kind": "improvement", "text": "Radios overlapped on TAC-2",
        "analysis": "Two units keyed up at once.",
    })  # fmt: skip

    gap.refresh_from_db()
    assert response.status_code == 302
    assert (gap.text, gap.analysis) == ("Radios overlapped on TAC-2", "Two units keyed up at once.")
    assert AuditEvent.objects.filter(summary=f"Changed a finding of {drill}").exists()


def test_a_finding_with_actions_stays_an_area_for_improvement(
    client_for, agency, lead, catalog_version
):
    drill = exercise(agency, lead)
    gap = finding(drill, lead)
    corrective_action(drill, lead, observation=gap)

    response = client_for(lead).post(url("exercise_finding_edit", agency, gap.pk), {
        "objective": gap.objective_id, "kind": "strength", "text": gap.text, "analysis": "",
    })  # fmt: skip

    errors = response.context["form"].errors
    assert response.status_code == 200
    assert "stays an area for improvement" in errors["kind"][0]
    gap.refresh_from_db()
    assert gap.kind == "improvement"


def test_a_finding_is_removed_after_a_confirmation_and_audited(
    client_for, agency, lead, catalog_version
):
    drill = exercise(agency, lead)
    gap = finding(drill, lead)
    client = client_for(lead)
    page = url("exercise_finding_delete", agency, gap.pk)

    asked = client.get(page)
    removed = client.post(page)

    assert "Remove this finding?" in asked.text
    assert removed.status_code == 302
    assert not Observation.objects.exists()
    assert AuditEvent.objects.filter(summary__startswith="Removed the finding").exists()


def test_a_finding_that_actions_answer_is_not_removed(client_for, agency, lead, catalog_version):
    drill = exercise(agency, lead)
    gap = finding(drill, lead)
    corrective_action(drill, lead, observation=gap)

    response = client_for(lead).post(url("exercise_finding_delete", agency, gap.pk))

    assert response.status_code == 400
    assert "1 corrective action answers this finding" in response.text
    assert Observation.objects.filter(pk=gap.pk).exists()


def test_a_viewer_cannot_change_or_remove_a_finding(
    client_for, agency, lead, viewer, catalog_version
):
    gap = finding(exercise(agency, lead), lead)
    client = client_for(viewer)

    assert (
        client.post(url("exercise_finding_edit", agency, gap.pk), {"text": "x"}).status_code == 403
    )
    assert client.post(url("exercise_finding_delete", agency, gap.pk)).status_code == 403
    assert Observation.objects.get().text == gap.text


def test_an_sro_cannot_touch_findings_of_an_exercise_at_another_school(
    client_for, agency, lead, sro, other_school, catalog_version
):
    gap = finding(exercise(agency, lead, school=other_school), lead)

    assert client_for(sro).post(url("exercise_finding_delete", agency, gap.pk)).status_code == 403


def test_a_review_file_is_removed_with_its_stored_file(
    client_for, agency, lead, catalog_version, upload, django_capture_on_commit_callbacks
):
    drill = exercise(agency, lead)
    attachment = attachment_add(exercise=drill, upload=upload("sign-in.pdf"), by=lead)
    stored = attachment.file.name

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(lead).post(url("exercise_attachment_delete", agency, attachment.pk))

    assert response.status_code == 302
    assert not ReviewAttachment.objects.exists()
    assert not default_storage.exists(stored)
    event = AuditEvent.objects.get(action="evidence_removed")
    assert event.details["sha256"] == attachment.sha256


def test_the_evidence_of_a_verification_stays(
    client_for, agency, lead, editor, catalog_version, upload
):
    action = corrective_action(exercise(agency, lead), lead)
    action_advance(action=action, status="done", by=lead)
    action_advance(action=action, status="verified", note="Seen", evidence=upload("photo.pdf"),
                   by=editor)  # fmt: skip
    proof = ReviewAttachment.objects.get()

    response = client_for(lead).post(url("exercise_attachment_delete", agency, proof.pk))

    assert response.status_code == 400
    assert "evidence of a corrective action" in response.text
    assert ReviewAttachment.objects.filter(pk=proof.pk).exists()


def test_an_organization_is_renamed_and_a_taken_name_refused(client_for, agency, lead, editor):
    fire = Organization.objects.create(agency=agency, name="Bayview Fire", kind="fire_ems")
    Organization.objects.create(agency=agency, name="Mercy General", kind="hospital")
    page = url("organization_edit", agency, fire.pk)

    taken = client_for(editor).post(page, {"name": "Mercy General", "kind": "fire_ems"})
    renamed = client_for(editor).post(page, {"name": "Bayview Fire & Rescue", "kind": "fire_ems"})

    assert "already has an organization of this name" in str(taken.context["form"].errors)
    assert renamed.status_code == 302
    fire.refresh_from_db()
    assert fire.name == "Bayview Fire & Rescue"
