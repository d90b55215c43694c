"""A draft report in a real browser: asked for, its progress shown, ready by itself (htmx)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from checklists.models import DraftReport
from checklists.signoff.rendering import draft_render

pytestmark = pytest.mark.usefixtures("transactional_db")


def test_a_member_asks_for_a_draft_and_its_page_turns_to_the_download_by_itself(
    session, agency, viewer, assessment
):
    member = session(viewer.email)
    page = member.visit(f"/agencies/{agency.slug}/reports/")
    page.get_by_role("button", name="Prepare draft: Public summary").click()
    expect(page.get_by_role("heading", name="Waiting its turn")).to_be_visible()
    member.check()

    draft_render(draft=DraftReport.objects.get())  # the task worker, meanwhile

    download = page.get_by_role("link", name=re.compile("Download the draft PDF"))
    expect(download).to_be_visible(timeout=10_000)  # no reload: the page polled
    expect(page.get_by_role("heading", name="Ready")).to_be_visible()
    member.check()
    # A link, not a download: the draft opens in the browser's own viewer.
    pdf = page.request.get(member.base_url + download.get_attribute("href"))
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
