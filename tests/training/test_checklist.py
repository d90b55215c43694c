"""The checklist's training items computed from the records: shown with their date on the
response, kept when someone types over them, frozen by the sign-off; typed as before by an
agency that keeps no records in Muster."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from checklists.signoff.pdf import report_html
from tests.helpers import completion, person, requirement, response_for, response_post, sign


@pytest.fixture
def records(agency, courses):
    """Three active sworn officers, two trained on immediate action in the last 24 months."""
    today = timezone.localdate()
    officers = [person(agency, str(n), full_name=f"Officer Number{n}") for n in range(3)]
    completion(officers[0], courses["alerrt-level-1"], today - timedelta(days=100))
    completion(officers[1], courses["active-attack-scenario"], today - timedelta(days=10))
    completion(officers[2], courses["alerrt-level-1"], today - timedelta(days=900))
    person(agency, "9", sworn=False)  # a civilian: not among the sworn
    requirement(agency, [courses["alerrt-level-1"], courses["active-attack-scenario"]])
    return officers


def test_the_response_shows_the_figure_from_training_records_and_its_date(
    client_for, editor, assessment, records
):
    response = response_for(assessment, "LER-02")

    page = client_for(editor).get(response.get_absolute_url())
    field = page.context["form"]["answer_officers_trained"]

    assert field.field.disabled
    assert field.value() == "2"
    assert page.context["form"]["answer_sworn_total"].value() == "3"
    assert (
        f"From training records, as of {timezone.localdate():%B %-d, %Y}" in page.content.decode()
    )


def test_a_typed_number_never_replaces_the_computed_one_but_notes_are_kept(
    client_for, editor, assessment, records
):
    response = response_for(assessment, "LER-02")

    client_for(editor).post(
        response.get_absolute_url(),
        response_post(response, answer_officers_trained="58", notes="Two classes booked"),
    )

    response.refresh_from_db()
    assert response.answers["officers_trained"] == "2"
    assert response.notes == "Two classes booked"


def test_an_agency_without_training_records_types_the_number(client_for, editor, assessment):
    response = response_for(assessment, "LER-02")

    client_for(editor).post(
        response.get_absolute_url(), response_post(response, answer_officers_trained="58")
    )

    response.refresh_from_db()
    assert response.answers["officers_trained"] == "58"


def test_sign_off_freezes_the_figures_and_later_training_changes_nothing_signed(
    complete_assessment, lead, records, courses, agency
):
    signed = sign(complete_assessment, lead)
    completion(records[2], courses["sord"], timezone.localdate())  # trained after sign-off

    full = json.loads(signed.snapshot)
    row = next(r for r in full["responses"] if r["item"] == "LER-02")
    assert row["answers"]["officers_trained"] == "2"
    assert row["computed"]["officers_trained"].startswith("From training records, as of")
    training = full["sections"]["training"]
    assert training["requirements"][0]["counts"] == {
        "current": 2,
        "expiring": 0,
        "expired": 1,
        "never": 0,
    }
    assert training["units"] == [{"unit": "Patrol", "sworn": 3, "civilian": 1}]
    assert "Officer Number" not in signed.snapshot


def test_the_public_summary_carries_the_shares_only(complete_assessment, lead, records):
    signed = sign(complete_assessment, lead)

    public = json.loads(signed.public_snapshot)
    shares = public["sections"]["training"]["requirements"][0]

    assert shares["current_percent"] == 67
    assert "counts" not in shares
    assert "units" not in public["sections"]["training"]
    assert "Officer Number" not in signed.public_snapshot


def test_the_full_report_prints_the_training_section_without_names(
    complete_assessment, lead, records
):
    signed = sign(complete_assessment, lead)

    html = report_html(json.loads(signed.snapshot), edition="full")

    assert "<h2>Training</h2>" in html
    assert "Active personnel by unit" in html
    assert "Officer Number" not in html


def test_a_signed_off_assessment_shows_the_figure_it_was_signed_with(
    client_for, lead, complete_assessment, records, courses
):
    sign(complete_assessment, lead)
    completion(records[2], courses["sord"], timezone.localdate())  # trained after sign-off
    response = response_for(complete_assessment, "LER-02")

    page = client_for(lead).get(response.get_absolute_url()).content.decode()

    assert response.answers.get("officers_trained") != "3"
    assert "From training records" not in page
