"""An SRO records a drill at their school with two findings; the lead turns one into a
corrective action on LER-19 and assigns it; the owner completes it; someone else verifies it;
the item page and the dashboard follow each step. A lead records the review, removes a finding
recorded twice and signs the after-action report."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.helpers import PASSWORD, exercise, finding, person, response_for

pytestmark = pytest.mark.usefixtures("transactional_db")


def test_a_drill_finding_becomes_a_verified_corrective_action(
    session, agency, lead, editor, sro, school, assessment
):
    person(agency, "2001", full_name="Sgt. Dana Ortiz", user=editor)
    ler19 = response_for(assessment, "LER-19", school=school)

    officer = session(sro.email)
    page = officer.visit(f"/agencies/{agency.slug}/exercises/")
    officer.follow(page.get_by_role("link", name="Record an exercise"))
    page.get_by_label("Title").fill("Arrival lockdown drill")
    page.get_by_label("Type").select_option(label="Drill")
    page.get_by_label("Starts on").fill("2026-03-02")
    page.get_by_label("Ends on").fill("2026-03-02")
    page.locator("#id_school").select_option(label=school.name)
    page.get_by_label("Objectives").fill("Lock every room\nShare the picture with the office")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Arrival lockdown drill")).to_be_visible()
    officer.check()
    for text in ("The office radio cannot reach patrol", "Two doors did not latch"):
        page.get_by_role("link", name="Record a finding").click()
        page.locator("#id_objective").select_option(index=1)
        page.get_by_label("Kind").select_option(label="Area for improvement")
        page.get_by_label("Observation").fill(text)
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_text(text)).to_be_visible()
    officer.check()

    chief = session(lead.email)
    page = chief.visit(page.url.removeprefix(chief.base_url))
    chief.follow(page.get_by_role("link", name="Turn into a corrective action").first)
    page.get_by_label("Description").fill("Give the school office a radio on our channel")
    page.get_by_label("Checklist items").select_option(label=_label(ler19))
    page.get_by_label("Responsible person").select_option(label="Sgt. Dana Ortiz (2001)")
    page.get_by_label("Due date").fill("2027-06-01")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Corrective action")).to_contain_text("Open")
    chief.check()
    action_url = page.url.removeprefix(chief.base_url)
    item = chief.visit(ler19.get_absolute_url())
    expect(item.get_by_text("1 open corrective action")).to_be_visible()
    dashboard = chief.visit(f"/agencies/{agency.slug}/")
    expect(dashboard.locator("#exercise-panel-heading").locator("..")).to_contain_text("1 open")

    owner = session(editor.email)
    page = owner.visit(action_url)
    page.get_by_label("Mark as").select_option(label="Done")
    page.get_by_label("Note").fill("Radio issued and tested")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Corrective action")).to_contain_text("Done")
    owner.check()

    page = chief.visit(action_url)
    page.get_by_label("Mark as").select_option(label="Verified")
    page.get_by_label("Note").fill("Called the office on the channel")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Corrective action")).to_contain_text("Verified")
    item = chief.visit(ler19.get_absolute_url())
    expect(item.get_by_text("No open corrective actions on this item.")).to_be_visible()
    dashboard = chief.visit(f"/agencies/{agency.slug}/")
    expect(dashboard.locator("#exercise-panel-heading").locator("..")).to_contain_text("1 verified")


def _label(response) -> str:
    return f"{response.item.code} {response.item.title}"


def test_a_lead_reviews_corrects_and_signs_the_after_action_report(
    session, agency, lead, school, catalog_version
):
    drill = exercise(agency, lead, school=school, title="Lunch lockdown drill")
    finding(drill, lead, text="Cafeteria doors cannot lock")
    finding(drill, lead, text="Recorded twice by mistake")

    chief = session(lead.email)
    page = chief.visit(drill.get_absolute_url())
    chief.follow(page.get_by_role("link", name="Record the review"))
    page.get_by_label("Evaluator").fill("Lt. Chris Novak")
    page.get_by_label("Date of the review").fill("2026-03-09")
    page.get_by_role("button", name="Save").click()
    chief.follow(page.get_by_role("link", name="Remove this finding").last)
    page.get_by_role("button", name="Remove the finding").click()
    expect(page.get_by_text("Recorded twice by mistake")).to_have_count(0)
    chief.follow(page.get_by_role("link", name="Sign the report"))
    page.get_by_label("Your title").fill("Chief of Police")
    page.get_by_label("I attest to the statement above").check()
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Sign the report").click()
    expect(page.get_by_text("Report 1, signed")).to_be_visible()
    expect(page.get_by_text("Being produced", exact=True)).to_be_visible()
    chief.check()
