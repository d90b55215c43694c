"""Exercises through their services: attendance counts once as training, the improvement plan's
steps, and every refusal beside its field with nothing saved."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from checklists.catalog.models import Item
from checklists.catalog.services import catalog_load
from exercises import figures
from exercises.models import ActionEvent, CorrectiveAction, Exercise, Organization
from exercises.services import action_advance, action_save, exercise_save
from tests.helpers import (
    SHIPPED_CATALOG,
    completion,
    corrective_action,
    exercise,
    finding,
    person,
    shipped_courses,
    write,
)
from training.models import Completion

pytestmark = pytest.mark.django_db


def test_attending_a_course_linked_exercise_records_its_training_once(
    agency, lead, catalog_version
):
    course = shipped_courses()["active-attack-scenario"]
    ana, ben = person(agency, "1"), person(agency, "2")
    drill = exercise(agency, lead, course=course, attendees=[ana])

    exercise_save(exercise=drill, objectives=["Contain the threat"], attendees=[ana, ben], by=lead)
    exercise_save(exercise=drill, objectives=["Contain the threat"], attendees=[ana, ben], by=lead)

    done = Completion.objects.filter(course=course).order_by("person__employee_number")
    assert [(c.person, c.completed_on, c.session_id) for c in done] == [
        (ana, drill.ends_on, drill.session_id), (ben, drill.ends_on, drill.session_id),
    ]  # fmt: skip


def test_an_exercise_moved_to_another_day_moves_its_training_and_counts_once(
    agency, lead, catalog_version
):
    course = shipped_courses()["active-attack-scenario"]
    ana, ben = person(agency, "1"), person(agency, "2")
    drill = exercise(agency, lead, course=course, attendees=[ana])
    drill.starts_on = drill.ends_on = date(2026, 3, 9)  # it was held a week later

    exercise_save(exercise=drill, objectives=["Contain the threat"], attendees=[ana, ben], by=lead)

    done = Completion.objects.filter(course=course).order_by("person__employee_number")
    assert [(c.person, c.completed_on, c.session_id) for c in done] == [
        (ana, date(2026, 3, 9), drill.session_id), (ben, date(2026, 3, 9), drill.session_id),
    ]  # fmt: skip
    drill.session.refresh_from_db()
    assert (drill.session.starts_on, drill.session.ends_on) == (date(2026, 3, 9), date(2026, 3, 9))


def test_moved_onto_a_day_someone_was_credited_elsewhere_their_other_record_stands(
    agency, lead, catalog_version
):
    course = shipped_courses()["active-attack-scenario"]
    ana, ben = person(agency, "1"), person(agency, "2")
    drill = exercise(agency, lead, course=course, attendees=[ana, ben])
    elsewhere = completion(ben, course, date(2026, 3, 9))
    drill.starts_on = drill.ends_on = date(2026, 3, 9)

    exercise_save(exercise=drill, objectives=["Contain the threat"], attendees=[ana, ben], by=lead)

    done = Completion.objects.filter(course=course).order_by("person__employee_number")
    assert [(c.person, c.completed_on, c.session_id) for c in done] == [
        (ana, date(2026, 3, 9), drill.session_id), (ben, date(2026, 3, 9), elsewhere.session_id),
    ]  # fmt: skip


def test_an_exercise_that_ends_before_it_starts_saves_nothing(agency, lead, catalog_version):
    with pytest.raises(ValidationError) as refused:
        exercise(agency, lead, starts_on=date(2026, 3, 2), ends_on=date(2026, 3, 1))

    assert "ends_on" in refused.value.error_dict
    assert not Exercise.objects.exists()


def test_an_item_of_another_catalog_version_is_refused(agency, lead, catalog_version, tmp_path):
    text = SHIPPED_CATALOG.read_text().replace('version: "2022.1"', 'version: "2099.1"', 1)
    newer = catalog_load(path=write(tmp_path, text)).version
    drill = exercise(agency, lead, catalog_version=catalog_version)
    foreign = Item.objects.get(catalog_version=newer, code="LER-19")

    with pytest.raises(ValidationError) as refused:
        corrective_action(drill, lead, items=[foreign])

    assert "items" in refused.value.error_dict
    assert not CorrectiveAction.objects.exists()


def test_a_corrective_action_due_before_its_exercise_is_refused(agency, lead, catalog_version):
    drill = exercise(agency, lead)

    with pytest.raises(ValidationError) as refused:
        corrective_action(drill, lead, starts_on=date(2026, 1, 1), due_on=date(2026, 2, 1))

    assert refused.value.message_dict["due_on"] == ["The action is due before its exercise ended."]
    assert not CorrectiveAction.objects.exists()


def test_an_action_needs_someone_responsible(agency, lead, catalog_version):
    drill = exercise(agency, lead)

    with pytest.raises(ValidationError) as refused:
        action_save(action=CorrectiveAction(exercise=drill, description="Fix it",
                    starts_on=drill.ends_on, due_on=date(2026, 9, 1)), by=lead)  # fmt: skip

    assert "owner" in refused.value.error_dict


def test_an_action_goes_open_to_verified_with_its_history(agency, lead, editor, catalog_version):
    action = corrective_action(exercise(agency, lead), lead)

    action_advance(action=action, status="in_progress", by=editor)
    action_advance(action=action, status="done", note="Radios issued", by=editor)
    action_advance(action=action, status="verified", note="Tested on the channel", by=lead)

    action.refresh_from_db()
    assert (action.status, action.done_by, action.verified_by) == ("verified", editor, lead)
    assert [(e.status, e.by) for e in ActionEvent.objects.filter(action=action)] == [
        ("open", lead), ("in_progress", editor), ("done", editor), ("verified", lead),
    ]  # fmt: skip


def test_the_person_who_did_an_action_cannot_verify_it(agency, lead, catalog_version):
    action = corrective_action(exercise(agency, lead), lead)
    action_advance(action=action, status="done", by=lead)

    with pytest.raises(ValidationError) as refused:
        action_advance(action=action, status="verified", note="Looks fine", by=lead)

    action.refresh_from_db()
    assert "status" in refused.value.error_dict
    assert action.status == "done"
    assert action.events.count() == 2


def test_a_verification_needs_a_note_and_a_done_action(agency, lead, editor, catalog_version):
    action = corrective_action(exercise(agency, lead), lead)

    with pytest.raises(ValidationError) as too_soon:
        action_advance(action=action, status="verified", note="Checked", by=editor)
    action_advance(action=action, status="done", by=lead)
    with pytest.raises(ValidationError) as silent:
        action_advance(action=action, status="verified", note=" ", by=editor)

    assert "status" in too_soon.value.error_dict
    assert "note" in silent.value.error_dict


def test_ler_18_and_ler_26_come_from_the_last_such_exercises(agency, lead, school, catalog_version):
    fire = Organization.objects.create(agency=agency, name="Harbor Fire", kind="fire_ems")
    exercise(agency, lead, school=school, kind="tabletop", starts_on=date(2025, 4, 1),
             ends_on=date(2025, 4, 1))  # fmt: skip
    joint = exercise(agency, lead, kind="full_scale", starts_on=date(2025, 10, 4),
                     ends_on=date(2025, 10, 4))  # fmt: skip
    joint.organizations.set([fire])

    answers = figures.computed_answers(agency, today=date(2026, 1, 1))

    assert answers[("LER-18", "last_exercise")].value == "2025-04-01"
    assert answers[("LER-18", "exercise_type")].value == "Tabletop"
    assert answers[("LER-26", "last_joint_exercise")].value == "2025-10-04"
    assert answers[("LER-26", "exercise_type")].value == "Full-scale"


def test_the_summary_counts_recent_exercises_and_overdue_actions(agency, lead, catalog_version):
    drill = exercise(agency, lead)
    corrective_action(drill, lead, due_on=date(2026, 4, 1))
    finding(drill, lead)

    figures_ = figures.summary(agency, date(2026, 6, 1))

    assert figures_["exercises"] == 1
    assert figures_["by_type"] == [{"type": "Drill", "count": 1}]
    assert figures_["actions"] | {} == {"total": 1, "open": 1, "overdue": 1, "verified": 0}


def test_the_summary_counts_actions_of_every_status_and_only_open_ones_as_overdue(
    agency, lead, editor, catalog_version
):
    drill = exercise(agency, lead)
    for status, due_on in [
        ("open", date(2026, 4, 1)), ("open", date(2026, 9, 1)), ("in_progress", date(2026, 5, 1)),
        ("done", date(2026, 4, 1)), ("verified", date(2026, 4, 1)), ("verified", date(2026, 9, 1)),
    ]:  # fmt: skip
        action = corrective_action(drill, lead, due_on=due_on)
        CorrectiveAction.objects.filter(pk=action.pk).update(
            status=status, done_by=lead, verified_by=editor if status == "verified" else None
        )

    counts = figures.summary(agency, date(2026, 6, 1))["actions"]

    assert counts == {"total": 6, "open": 3, "overdue": 2, "verified": 2}


def test_the_summary_counts_exercises_with_schools_and_with_fire_ems_once_each(
    agency, lead, school, catalog_version
):
    fire = Organization.objects.create(agency=agency, name="Harbor Fire", kind="fire_ems")
    ems = Organization.objects.create(agency=agency, name="County EMS", kind="fire_ems")
    district = Organization.objects.create(agency=agency, name="Harbor USD", kind="school")
    exercise(agency, lead, school=school)  # at a school
    exercise(agency, lead, kind="tabletop").organizations.set([district, fire, ems])
    exercise(agency, lead).organizations.set([fire])
    exercise(agency, lead)  # patrol alone
    long_ago = exercise(agency, lead, starts_on=date(2023, 1, 5), ends_on=date(2023, 1, 5))
    long_ago.organizations.set([fire, district])  # over 24 months before: not counted

    figures_ = figures.summary(agency, date(2026, 6, 1))

    assert (figures_["exercises"], figures_["with_schools"], figures_["with_fire_ems"]) == (4, 2, 2)
    assert figures_["by_type"] == [{"type": "Tabletop", "count": 1}, {"type": "Drill", "count": 3}]


def test_an_attendee_already_credited_that_day_is_not_credited_twice(agency, lead, catalog_version):
    course = shipped_courses()["active-attack-scenario"]
    ana, ben = person(agency, "1"), person(agency, "2")
    completion(ana, course, date(2026, 3, 2))

    exercise(agency, lead, course=course, attendees=[ana, ben])

    assert Completion.objects.filter(person=ana, course=course).count() == 1
    assert Completion.objects.filter(person=ben, course=course).count() == 1
