"""Notifications in a real browser: the bell, mark read with htmx, preferences, the calendar
feed as a download that a real iCalendar parser reads."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import icalendar
import pytest
from playwright.sync_api import expect

from checklists.assessments.services import responses_assign
from tests.helpers import response_for

pytestmark = pytest.mark.usefixtures("transactional_db")


def test_coordinator_sees_the_assignment_marks_it_read_and_downloads_the_calendar(
    session, agency, lead, editor, assessment
):
    response = response_for(assessment, "LER-02")
    responses_assign(
        assessment=assessment, responses=[response], owner=editor,
        target_date=date(2026, 12, 5), by=lead,
    )  # fmt: skip
    coordinator = session(editor.email)

    page = coordinator.visit(f"/agencies/{agency.slug}/")
    bell = page.locator("#notification-bell")
    expect(bell).to_contain_text("1 unread")
    bell.get_by_role("link").click()
    coordinator.check()
    expect(page.get_by_role("link", name="Assigned to you: LER-02")).to_be_visible()
    page.get_by_role("button", name="Mark read").click()
    expect(page.locator(f"#notification-{editor.notifications.get().pk}")).to_contain_text("Read")
    expect(bell).not_to_contain_text("unread")

    page = coordinator.visit("/notifications/preferences/")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the calendar (.ics)").click()
    feed = icalendar.Calendar.from_ical(Path(download.value.path()).read_bytes())
    (event,) = [e for e in feed.walk("VEVENT") if str(e["UID"]).startswith("response-")]
    assert event.decoded("DTSTART") == date(2026, 12, 5)
    assert "LER-02" in str(event["SUMMARY"])
