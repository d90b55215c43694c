"""Issue 12 in the browser: each access level's landing page, figures that follow a save, and a
double click that acts once."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from checklists.assessments.services import assessment_start
from checklists.models import Assessment, Response
from tests.helpers import sign

S = Response.Status
pytestmark = pytest.mark.usefixtures("transactional_db")


def _fill_evidence(form) -> None:
    for select in form.locator("select[name^=answer_]").all():
        select.select_option("yes")
    for field in form.locator("input[name^=answer_][type=date]").all():
        field.fill("2026-09-18")


def test_sro_lands_on_her_schools_and_every_figure_follows_her_save(
    session, agency, lead, sro, school, other_school, catalog_version
):
    assessment = assessment_start(
        agency=agency, catalog_version=catalog_version, title="2026", due_date=None, by=lead
    )
    school_items = assessment.responses.for_school(school).count()
    officer = session(sro.email)
    page = officer.page

    expect(page.get_by_role("heading", name="My schools")).to_be_visible()
    expect(page.locator("main")).to_contain_text(f"{school_items} open items")
    expect(page.locator("main")).not_to_contain_text(other_school.name)
    officer.check()
    page.get_by_role("link", name=school.name).first.click()
    expect(page.get_by_role("link", name="Review and sign-off")).to_have_count(0)
    expect(page.locator("#school-score")).to_contain_text(f"0 of {school_items}")

    page.get_by_role("link", name=f"Edit LER-19 at {school.name}").click()
    form = page.locator("form[hx-post]")
    form.get_by_label("In place").check()
    _fill_evidence(form)
    form.get_by_role("button", name="Save").click()

    saved = assessment.responses.get(item__code="LER-19", school=school)
    expect(page.locator(f"#response-{saved.pk}")).to_contain_text("In place")
    expect(page.locator("#school-score")).to_contain_text(f"1 of {school_items}")
    expect(page.locator("#progress")).to_contain_text("Whole agency:")
    expect(page.locator("#progress")).to_contain_text("1 of")
    officer.check()


def test_a_double_click_on_start_next_assessment_makes_one_draft(
    session, agency, lead, school, catalog_version
):
    last_year = assessment_start(
        agency=agency, catalog_version=catalog_version, title="2025", due_date=None, by=lead
    )
    last_year.responses.update(status=S.IN_PROGRESS)
    sign(last_year, lead)
    chief = session(lead.email)
    page = chief.visit(f"/agencies/{agency.slug}/assessments/{last_year.pk}/next/")
    page.get_by_label("Title").fill("2026 annual assessment")

    page.get_by_role("button", name="Start next assessment").dblclick()

    expect(page.get_by_role("heading", name="2026 annual assessment")).to_be_visible()
    assert Assessment.objects.filter(agency=agency, previous=last_year).count() == 1


def test_on_a_phone_the_checklist_filters_fold_until_asked_for(
    session, agency, lead, catalog_version
):
    assessment = assessment_start(
        agency=agency, catalog_version=catalog_version, title="2026", due_date=None, by=lead
    )
    chief = session(lead.email)
    page = chief.page
    checklist = f"/agencies/{agency.slug}/assessments/{assessment.pk}/"
    page.set_viewport_size({"width": 390, "height": 844})

    page.goto(chief.base_url + checklist)
    search = page.get_by_role("textbox", name="Search")
    expect(search).to_be_hidden()
    expect(page.locator("article.response-row").first).to_be_in_viewport()
    page.get_by_text("Filters", exact=True).click()
    search.fill("LER-02")
    page.get_by_role("button", name="Filter").click()

    expect(page.locator("article.response-row")).to_have_count(1)
    expect(search).to_be_visible()  # applied filters stay in sight
    expect(search).to_have_value("LER-02")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(chief.base_url + checklist)
    expect(page.get_by_role("textbox", name="Search")).to_be_visible()
    chief.check()
