"""The response form in a real browser (issue 12): a chosen file survives a refused save, and
Remove takes a file away without wiping what was typed."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from checklists.assessments.evidence import attachment_add
from checklists.models import Response
from tests.helpers import PDF_BYTES

S = Response.Status
SLOW = 15_000  # ms
pytestmark = pytest.mark.usefixtures("transactional_db")


def _row(page, code: str):
    return page.locator("article.response-row", has_text=code).first


def _open(page, code: str):
    _row(page, code).get_by_role("link", name=re.compile(f"Edit {code}")).click()
    return page.locator(f"#response-{Response.objects.get(item__code=code).pk} form[hx-post]")


def test_a_file_chosen_before_a_refused_save_is_kept_and_attached(
    session, agency, editor, assessment, tmp_path
):
    policy = tmp_path / "general-order-4-12.pdf"
    policy.write_bytes(PDF_BYTES)
    coordinator = session(editor.email)
    page = coordinator.visit(f"/agencies/{agency.slug}/assessments/{assessment.pk}/")

    form = _open(page, "LER-01")
    form.get_by_label("In place").check()
    form.get_by_label(re.compile("Reference of the written immediate-action policy")).fill(
        "General Order 4.12"
    )
    tomorrow = timezone.localdate() + timedelta(days=1)
    form.get_by_label(re.compile("reviewed")).fill(tomorrow.isoformat())
    form.locator("input[name=answer_policy_file]").set_input_files(str(policy))
    form.get_by_role("button", name="Save").click()

    # Generous waits: the machine running the suite may be busy, and each save stores a file.
    expect(form.get_by_text("This date cannot be in the future.")).to_be_visible(timeout=SLOW)
    expect(
        form.get_by_label(re.compile("general-order-4-12.pdf.*will be attached"))
    ).to_be_checked()
    expect(
        form.get_by_label(re.compile("Reference of the written immediate-action policy"))
    ).to_have_value("General Order 4.12")
    coordinator.check()
    form.get_by_label(re.compile("reviewed")).fill("2026-01-05")
    form.get_by_role("button", name="Save").click()

    expect(_row(page, "LER-01")).to_contain_text("1 file", timeout=SLOW)
    saved = assessment.responses.get(item__code="LER-01")
    assert saved.status == S.IN_PLACE
    assert saved.attachments.get().original_name == "general-order-4-12.pdf"


def test_remove_asks_and_keeps_what_was_typed(session, agency, editor, lead, assessment, upload):
    target = assessment.responses.get(item__code="LER-02")
    attachment_add(response=target, upload=upload("old-roster.pdf"), prompt_key="roster", by=lead)
    coordinator = session(editor.email)
    page = coordinator.visit(f"/agencies/{agency.slug}/assessments/{assessment.pk}/")

    form = _open(page, "LER-02")
    form.get_by_label(re.compile("Officers trained on immediate action")).fill("12")
    form.get_by_label("Notes").fill("New roster comes in March")
    dialogs = []
    page.once("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    form.get_by_role("link", name=re.compile("Remove old-roster.pdf")).click()

    expect(form.get_by_text("old-roster.pdf was removed.")).to_be_visible(timeout=SLOW)
    assert "Remove old-roster.pdf?" in dialogs[0]
    assert not target.attachments.exists()
    expect(form.get_by_label("Notes")).to_have_value("New roster comes in March")
    expect(form.get_by_label(re.compile("Officers trained on immediate action"))).to_have_value(
        "12"
    )
    coordinator.check()
    form.get_by_role("button", name="Save").click()

    expect(_row(page, "LER-02")).not_to_contain_text("file", timeout=SLOW)
    target.refresh_from_db()
    assert target.notes == "New roster comes in March"
    assert target.answers == {"officers_trained": "12"}


def test_remove_without_javascript_confirms_on_its_own_page(
    session, agency, editor, lead, assessment, upload
):
    target = assessment.responses.get(item__code="LER-02")
    attachment = attachment_add(response=target, upload=upload("old.pdf"), prompt_key="", by=lead)
    coordinator = session(editor.email)

    page = coordinator.visit(f"/agencies/{agency.slug}/attachments/{attachment.pk}/delete/")
    expect(page.get_by_role("heading", name="Remove old.pdf?")).to_be_visible()
    page.get_by_role("button", name="Remove the file").click()

    expect(page.get_by_text("old.pdf was removed.")).to_be_visible()
    assert not target.attachments.exists()
