"""The flows people use, in a real browser, under the production Content Security Policy."""

from __future__ import annotations

import io
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from checklists.models import Response
from checklists.signoff.verify import verify_report
from tests.helpers import PASSWORD, PDF_BYTES

S = Response.Status
pytestmark = pytest.mark.usefixtures("transactional_db")


def fill_evidence(form) -> None:
    """Answer every evidence question in an open response form, as a person would."""
    for field in form.locator("input[name^=answer_]").all():
        kind = field.get_attribute("type")
        if kind == "date":
            field.fill("2026-09-18")
        elif kind == "number":
            field.fill("24")
        elif kind == "text":
            field.fill("General Order 4.12")
    for select in form.locator("select[name^=answer_]").all():
        select.select_option(index=len(select.locator("option").all()) - 1)


def row(page, code: str):
    return page.locator("article.response-row", has_text=code).first


def test_lead_runs_an_assessment_from_start_to_signed_pdf(
    session, agency, lead, editor, school, catalog_version, render_reports
):
    chief = session(lead.email)
    page = chief.visit(f"/agencies/{agency.slug}/assessments/")
    chief.follow(page.get_by_role("link", name="Start an assessment"))
    page.get_by_label("Title").fill("2026 annual assessment")
    page.get_by_role("button", name="Start").click()
    expect(page.get_by_role("heading", name="2026 annual assessment")).to_be_visible()
    assessment = agency.assessments.get()
    chief.check()

    row(page, "LER-20").get_by_role("checkbox").check()
    page.get_by_label("Assign to").select_option(label=editor.full_name)
    page.get_by_role("button", name="Assign selected").click()
    expect(page.locator(".alert-success")).to_contain_text("assigned to")

    row(page, "LER-01").get_by_role("link", name="Edit LER-01").click()
    form = page.locator("form[hx-post]")
    expect(form).to_be_visible()
    chief.check()
    form.get_by_label("In place").check()
    fill_evidence(form)
    form.get_by_role("button", name="Save").click()
    expect(row(page, "LER-01")).to_contain_text("In place")
    expect(page.locator("#progress")).not_to_contain_text("Readiness: 0%")

    dashboard = chief.visit(f"/agencies/{agency.slug}/")
    expect(dashboard.locator("#readiness-heading + p")).to_contain_text("1 of")

    assessment.responses.exclude(item__code="LER-01").update(status=S.IN_PROGRESS)
    page = chief.visit(f"/agencies/{agency.slug}/assessments/{assessment.pk}/review/")
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("Submitted for review")).to_be_visible()
    chief.follow(page.get_by_role("link", name="Sign off"))
    page.get_by_label("I attest to the statement above").check()
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Sign off").click()
    expect(page.get_by_role("heading", name="Reports and sign-offs")).to_be_visible()
    chief.check()

    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile(r"Download signed PDF.*Full report")).click()
    data = Path(download.value.path()).read_bytes()
    assert len(PdfReader(io.BytesIO(data)).pages) > 5
    # pyHanko validates with asyncio, which cannot start on Playwright's event-loop thread.
    with ThreadPoolExecutor(1) as pool:
        verdict = pool.submit(verify_report, data).result()
    assert verdict.authentic, verdict.problems

    chief.follow(page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports"))
    expect(page.get_by_role("heading", name="2026 annual assessment")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"Download signed PDF"))).to_have_count(2)


def test_training_coordinator_completes_the_item_assigned_to_them(
    session, agency, editor, assessment
):
    assessment.responses.filter(item__code="LER-20").update(owner=editor)
    coordinator = session(editor.email)

    page = coordinator.visit(f"/agencies/{agency.slug}/")
    expect(page.locator("#mine-heading")).to_contain_text("1")
    coordinator.follow(page.get_by_role("link", name="All items assigned to me"))
    expect(page.locator("article.response-row")).to_have_count(1)
    page.get_by_role("link", name="Edit LER-20").click()
    form = page.locator("form[hx-post]")
    form.get_by_label("In place").check()
    fill_evidence(form)
    form.get_by_role("button", name="Save").click()

    expect(row(page, "LER-20")).to_contain_text("In place")
    assert assessment.responses.get(item__code="LER-20").status == S.IN_PLACE


def test_sro_records_a_school_item_with_a_file(
    session, agency, sro, school, other_school, assessment, tmp_path
):
    evidence = tmp_path / "after-action-report.pdf"
    evidence.write_bytes(PDF_BYTES)
    officer = session(sro.email)

    page = officer.visit(f"/agencies/{agency.slug}/my-schools/")
    expect(page.get_by_role("link", name=school.name)).to_be_visible()
    expect(page.get_by_role("link", name=other_school.name)).to_have_count(0)
    page.get_by_role("link", name=school.name).click()
    officer.check()
    row(page, "LER-18").get_by_role("link", name=re.compile("Edit LER-18")).click()
    form = page.locator("form[hx-post]")
    form.get_by_label("In place").check()
    fill_evidence(form)
    form.locator("input[name=answer_after_action]").set_input_files(str(evidence))
    form.get_by_role("button", name="Save").click()

    expect(row(page, "LER-18")).to_contain_text("1 file")
    saved = assessment.responses.get(item__code="LER-18", school=school)
    assert saved.status == S.IN_PLACE
    assert saved.attachments.get().original_name == "after-action-report.pdf"


def test_viewer_reads_without_edit_controls_and_a_forced_post_is_refused(
    session, agency, viewer, assessment
):
    reader = session(viewer.email)

    page = reader.visit(f"/agencies/{agency.slug}/assessments/{assessment.pk}/")
    expect(page.locator("article.response-row").first).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("^Edit"))).to_have_count(0)
    expect(page.get_by_role("button", name="Assign selected")).to_have_count(0)
    target = assessment.responses.get(item__code="LER-02")
    page = reader.visit(f"/agencies/{agency.slug}/responses/{target.pk}/")
    token = next(c["value"] for c in reader.context.cookies() if c["name"] == "csrftoken")
    forced = page.request.post(
        f"{reader.base_url}/agencies/{agency.slug}/responses/{target.pk}/",
        form={"version": "1", "status": "in_place"},
        headers={"X-CSRFToken": token, "Referer": page.url},
    )
    assert forced.status == 403
    assert assessment.responses.get(item__code="LER-02").status == S.NOT_STARTED

    for path in ("/", "reports/", "my-schools/", "people/", "schools/"):
        reader.visit(f"/agencies/{agency.slug}/{path}".replace("//", "/"))
    reader.visit("/catalogs/")
    reader.visit("/agencies/lakeside/", status=404)
    expect(page.get_by_role("heading", name="There is nothing here")).to_be_visible()


def test_the_watch_catches_content_security_policy_violations(session, agency, viewer):
    reader = session(viewer.email)
    page = reader.visit(f"/agencies/{agency.slug}/")

    page.evaluate(
        """() => { const s = document.createElement('script');
                   s.textContent = 'window.ran = true'; document.body.append(s); }"""
    )

    expect(page.locator("body")).to_be_visible()
    assert page.evaluate("window.ran") is None  # the production CSP refused the inline script
    assert any("Content Security Policy" in e for e in reader.errors)
    reader.errors.clear()  # seen: the watch works


def focus_ring(page) -> str:
    return page.evaluate(
        """() => { const s = getComputedStyle(document.activeElement);
                   return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2 ? 'visible'
                     : [document.activeElement.outerHTML.slice(0, 60), s.outlineStyle, s.outlineWidth,
                        document.activeElement.matches(':focus'), document.activeElement.matches(':focus-visible')].join(' | '); }"""
    )


def tab_to(page, name: str, limit: int = 80) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        # textContent, like a screen reader's name, includes the visually hidden part.
        label = page.evaluate(
            "(document.activeElement.textContent || document.activeElement.value || '').replace(/\\s+/g, ' ')"
        )
        assert focus_ring(page) == "visible", f"no visible focus ring on {focus_ring(page)}"
        if name in label:
            return
    raise AssertionError(f"{name!r} was not reached with the Tab key")


def test_lead_completes_an_item_with_the_keyboard_alone(session, agency, lead, assessment):
    chief = session(lead.email)
    page = chief.visit(f"/agencies/{agency.slug}/assessments/{assessment.pk}/?q=LER-02")

    tab_to(page, "Edit LER-02")
    page.keyboard.press("Enter")
    expect(page.locator("form[hx-post]")).to_be_visible()
    # htmx moves the focus to the chosen status as the swap settles, a moment after the form shows.
    expect(page.locator("form[hx-post] [autofocus]")).to_be_focused()
    assert focus_ring(page) == "visible"
    page.keyboard.press("ArrowDown")  # from "Not started" to "In progress"
    tab_to(page, "Save")
    page.keyboard.press("Enter")

    expect(row(page, "LER-02")).to_contain_text("In progress")
    assert assessment.responses.get(item__code="LER-02").status == S.IN_PROGRESS


def test_two_people_editing_one_item_lose_neither_change(session, agency, lead, editor, assessment):
    chief, coordinator = session(lead.email), session(editor.email)
    for person in (chief, coordinator):
        person.visit(f"/agencies/{agency.slug}/assessments/{assessment.pk}/?q=LER-21")
        person.page.get_by_role("link", name="Edit LER-21").click()
        expect(person.page.locator("form[hx-post]")).to_be_visible()

    chief.page.get_by_label("Notes").fill("Chief: two instructors nominated.")
    chief.page.get_by_role("button", name="Save").click()
    expect(row(chief.page, "LER-21")).to_be_visible()
    coordinator.page.get_by_label("Notes").fill("Coordinator: budget request filed.")
    coordinator.page.get_by_role("button", name="Save").click()

    expect(coordinator.page.locator(".alert-warning")).to_contain_text("after you opened it")
    expect(coordinator.page.locator(".alert-warning")).to_contain_text(
        "Chief: two instructors nominated."
    )
    expect(coordinator.page.get_by_label("Notes")).to_have_value(
        "Coordinator: budget request filed."
    )
    coordinator.check()
    coordinator.page.get_by_role("button", name="Save mine over theirs").click()
    expect(row(coordinator.page, "LER-21")).to_be_visible()

    notes = [
        h.notes
        for h in assessment.responses.get(item__code="LER-21").history.order_by("history_date")
    ]
    assert notes[-2:] == ["Chief: two instructors nominated.", "Coordinator: budget request filed."]


def test_lead_reads_and_filters_the_audit_log(session, agency, lead, editor):
    chief = session(lead.email)
    page = chief.visit(f"/agencies/{agency.slug}/settings/")
    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
    expect(page.locator("table")).to_contain_text(f"{lead.email} signed in")
    chief.check()

    page.get_by_label("From").fill("2026-05-02")
    page.get_by_label("To").fill("2026-05-01")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("Choose a date on or after the start date.")).to_be_visible()
    chief.errors = [e for e in chief.errors if "status of 400" not in e]
    chief.check()


def test_a_text_box_counts_its_characters_as_they_are_typed(session, agency, editor, assessment):
    editor_session = session(editor.email)
    target = assessment.responses.get(item__code="LER-20")

    page = editor_session.visit(f"/agencies/{agency.slug}/responses/{target.pk}/")
    notes = page.get_by_label("Notes")
    notes.fill("Tabletop held with the district")

    expect(page.locator('[data-count-of="id_notes"]')).to_have_text("31")
    expect(notes).to_have_attribute("maxlength", "10000")
    assert "of 10,000 characters" in notes.evaluate(
        "box => document.getElementById(box.getAttribute('aria-describedby')).textContent"
    )
