"""A training coordinator imports an LMS export in the browser: preview, a bad row fixed,
import, and the matrix and the checklist's training figures change."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.helpers import person, requirement, response_for
from training import importer
from training.models import Import

pytestmark = pytest.mark.usefixtures("transactional_db")
SAMPLE = Path(__file__).parents[1] / "training" / "data" / "completions-sample.csv"


def test_training_coordinator_imports_completions_and_the_figures_change(
    session, agency, coordinator, assessment, courses, tmp_path
):
    for number in ("1001", "1002", "1003"):
        person(agency, number, full_name=f"Officer {number}")
    requirement(agency, [courses["alerrt-level-1"]], name="ALERRT Level I within 36 months",
                window_months=36)  # fmt: skip
    good = SAMPLE.read_text()
    bad = tmp_path / "lms-export.csv"
    bad.write_text(
        good.replace(
            "1002,Officer,Two,Patrol,alerrt-level-1", "1002,Officer,Two,Patrol,alert-level-1"
        )
    )
    fixed = tmp_path / "lms-export-fixed.csv"
    fixed.write_text(good)
    ler20 = response_for(assessment, "LER-20")

    coordinator_ = session(coordinator.email)
    page = coordinator_.visit(f"/agencies/{agency.slug}/training/")
    expect(page.get_by_role("cell", name="— Never trained").first).to_be_visible()
    page.get_by_role("link", name="Import").click()
    coordinator_.check()
    page.get_by_label("What the file holds").select_option(label="Completions")
    page.get_by_label("CSV file").set_input_files(str(bad))
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("alert")).to_contain_text("Nothing was imported")
    expect(page.locator("#import-problems")).to_contain_text("alert-level-1")
    coordinator_.check()

    page.get_by_role("link", name="upload the file again").click()
    page.get_by_label("What the file holds").select_option(label="Completions")
    page.get_by_label("CSV file").set_input_files(str(fixed))
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("status")).to_contain_text("create 3")
    expect(page.locator("#import-preview")).to_contain_text("Create")
    coordinator_.check()
    page.get_by_role("button", name="Import 3 records").click()
    expect(page.get_by_role("heading", name="Waiting for the task worker")).to_be_visible()
    coordinator_.check()

    importer.run_queued(Import.objects.get(file_name=fixed.name).pk)  # the task worker, meanwhile

    expect(page.get_by_role("heading", name="Imported")).to_be_visible(timeout=10_000)  # polled
    expect(page.get_by_role("status")).to_contain_text("3 new, 0 updated")
    coordinator_.check()
    page.get_by_role("link", name="See the training matrix").click()
    expect(page.get_by_role("heading", name="Training matrix")).to_be_visible()
    expect(page.locator("#training-matrix")).to_contain_text("✓ Current")
    coordinator_.check()
    page = coordinator_.visit(ler20.get_absolute_url())
    expect(page.get_by_label("Officers who have completed Level I")).to_have_value("2")
    expect(page.get_by_text("From training records, as of").first).to_be_visible()


def test_a_coordinator_picks_a_class_from_a_large_roster_by_filter_and_keyboard(
    session, agency, coordinator, courses
):
    for n in range(40):
        person(agency, f"{n:04}", full_name=f"Officer {n:04}", unit=("Patrol", "Traffic")[n % 2])
    person(agency, "7777", full_name="Dana Whitfield", unit="School Resource Unit")

    coordinator_ = session(coordinator.email)
    page = coordinator_.visit(f"/agencies/{agency.slug}/training/sessions/new/")
    page.get_by_label("Course").select_option(label="Solo Officer Rapid Deployment (SORD)")
    page.get_by_label("Starts on").fill("2025-03-01")
    page.get_by_label("Ends on").fill("2025-03-01")
    page.get_by_label("Hours").fill("8")
    page.get_by_label("Find by name or number").fill("whitfield")
    expect(page.get_by_label("Officer 0001")).to_be_hidden()
    page.get_by_label("Dana Whitfield").focus()
    page.keyboard.press("Space")  # a checkbox, ticked from the keyboard
    expect(page.get_by_role("status").filter(has_text="ticked")).to_have_text("1 person ticked")
    page.get_by_label("Find by name or number").fill("")
    page.get_by_label("Unit", exact=True).select_option("Traffic")
    expect(page.get_by_label("Officer 0002")).to_be_hidden()
    page.get_by_label("Officer 0003").check()
    page.get_by_label("Or paste employee numbers").fill("0010\n0012")
    coordinator_.check()
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("heading", name="Roster")).to_contain_text("4")
    for name in ("Dana Whitfield", "Officer 0003", "Officer 0010", "Officer 0012"):
        expect(page.get_by_role("link", name=name)).to_be_visible()
