"""What exercises give the checklist at sign-off: LER-18's date frozen into the snapshot, and
the report's section of counts (no exercise titles or findings in the public summary); and the
review page's list of items in place while corrective actions on them are open."""

from __future__ import annotations

import json
from datetime import date

import pytest

from checklists.catalog.models import Item
from checklists.models import Response
from checklists.signoff.pdf import report_html
from exercises.models import Organization
from exercises.services import action_advance
from tests.factories import SchoolFactory
from tests.helpers import corrective_action, exercise, response_for, sign, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def exercised(agency, lead, school, catalog_version):
    drill = exercise(agency, lead, school=school, title="Secret-sounding tabletop", kind="tabletop",
                     starts_on=date(2026, 2, 3), ends_on=date(2026, 2, 3))  # fmt: skip
    drill.organizations.set([Organization.objects.create(agency=agency, name="Harbor Fire",
                                                         kind="fire_ems")])  # fmt: skip
    corrective_action(drill, lead, description="Fix the radio gap", due_on=date(2026, 4, 1))
    return drill


def test_sign_off_freezes_the_exercise_dates_and_counts(complete_assessment, lead, exercised):
    signed = sign(complete_assessment, lead)
    exercised.delete()

    full = json.loads(signed.snapshot)
    row = next(r for r in full["responses"] if r["item"] == "LER-26")
    assert row["answers"]["last_joint_exercise"] == "2026-02-03"
    assert row["computed"]["last_joint_exercise"].startswith("From exercise records, as of")
    assert full["sections"]["exercises"]["actions"]["overdue"] == 1
    assert "Exercises and corrective actions" in report_html(full, edition="full")


def test_the_public_summary_carries_counts_only(complete_assessment, lead, exercised):
    signed = sign(complete_assessment, lead)

    public = json.loads(signed.public_snapshot)

    assert public["sections"]["exercises"]["exercises"] == 1
    assert "Secret-sounding" not in signed.public_snapshot
    assert "Fix the radio gap" not in signed.public_snapshot


def test_the_review_page_lists_items_in_place_with_open_actions_and_their_notes(
    client_for, agency, lead, viewer, school, other_school, assessment
):
    ler19 = Item.objects.get(catalog_version=assessment.catalog_version, code="LER-19")
    action = corrective_action(exercise(agency, lead), lead, items=[ler19], schools=[school])
    at_school = response_for(assessment, "LER-19", school=school)
    elsewhere = response_for(assessment, "LER-19", school=other_school)
    note = "Cameras tested; the radio action is separate."
    Response.objects.filter(pk__in=[at_school.pk, elsewhere.pk]).update(
        status="in_place", notes=note
    )
    page = url("assessment_review", agency, assessment.pk)

    shown = client_for(viewer).get(page)
    action_advance(action=action, status="done", by=lead)
    after = client_for(viewer).get(page)

    listed = shown.text[shown.text.index("In place while corrective actions are open") :]
    assert "1 item is recorded in place" in listed
    assert school.name in listed
    assert other_school.name not in listed
    assert note in listed
    assert "1 open corrective action" in listed
    assert "In place while corrective actions are open" not in after.text


def test_the_review_list_takes_the_same_queries_for_more_actions(
    client_for, agency, lead, school, assessment, count_queries
):
    ler19 = Item.objects.get(catalog_version=assessment.catalog_version, code="LER-19")
    Response.objects.filter(assessment=assessment, item=ler19).update(status="in_place", notes="n")
    client = client_for(lead)
    page = url("assessment_review", agency, assessment.pk)

    def add(n: int) -> None:
        for _ in range(n):
            school_ = SchoolFactory(agency=agency)
            corrective_action(exercise(agency, lead), lead, items=[ler19], schools=[school_])

    add(1)
    client.get(page)
    before = count_queries(lambda: client.get(page))
    add(6)
    assert count_queries(lambda: client.get(page)) == before


def test_a_checklist_row_flags_its_open_corrective_actions(
    client_for, agency, lead, viewer, school, other_school, assessment
):
    ler19 = Item.objects.get(catalog_version=assessment.catalog_version, code="LER-19")
    action = corrective_action(exercise(agency, lead), lead, items=[ler19], schools=[school])
    page = url("assessment_checklist", agency, assessment.pk)
    here = response_for(assessment, "LER-19", school=school)
    there = response_for(assessment, "LER-19", school=other_school)

    rows = client_for(viewer).get(page, {"q": "LER-19"}).context["row_flags"]
    action_advance(action=action, status="done", by=lead)
    after = client_for(viewer).get(page, {"q": "LER-19"})

    assert [f.text for f in rows[here.pk]] == ["1 open corrective action"]
    assert "item=LER-19" in rows[here.pk][0].url
    assert there.pk not in rows
    assert "open corrective action" not in after.text


def test_the_checklist_with_flags_takes_the_same_queries_for_more_actions(
    client_for, agency, lead, assessment, count_queries
):
    codes = ("LER-18", "LER-19", "LER-26")
    items = list(Item.objects.filter(catalog_version=assessment.catalog_version, code__in=codes))
    client = client_for(lead)
    page = url("assessment_checklist", agency, assessment.pk)

    def add(n: int) -> None:
        for _ in range(n):
            corrective_action(exercise(agency, lead), lead, items=items,
                              schools=[SchoolFactory(agency=agency)])  # fmt: skip

    add(1)
    client.get(page)
    before = count_queries(lambda: client.get(page))
    add(8)
    after = client.get(page)
    assert count_queries(lambda: client.get(page)) == before
    assert after.context["row_flags"]


def test_my_schools_shows_each_schools_last_exercise_and_its_open_corrective_actions(
    client_for, agency, lead, sro, school, other_school, catalog_version
):
    exercise(agency, lead, school=school, title="Older drill", starts_on=date(2025, 9, 2),
             ends_on=date(2025, 9, 2))  # fmt: skip
    latest = exercise(agency, lead, school=school, title="Lunch lockdown drill")
    corrective_action(latest, lead, schools=[school])
    corrective_action(latest, lead, schools=[school], description="Map the new wing")
    elsewhere = exercise(agency, lead, school=other_school, title="Bayview drill")
    corrective_action(elsewhere, lead, schools=[other_school])
    unexercised = SchoolFactory(agency=agency, name="Lincoln Middle")
    agency.memberships.get(user=sro).schools.add(unexercised)

    page = client_for(sro).get(url("school_mine", agency)).content.decode()

    assert "Last exercise here: Lunch lockdown drill, Mar 2, 2026" in page
    assert url("exercise_detail", agency, latest.pk) in page
    assert "2 open corrective actions here" in page
    assert f"?school={school.pk}&amp;status=unresolved" in page
    assert "Bayview drill" not in page  # the SRO's own schools only
    assert page.count("No exercise recorded at this school yet") == 1  # Lincoln Middle
