"""The bell, the notifications page, mark read, preferences, unsubscribe and the calendar feed."""

from __future__ import annotations

from datetime import date

import icalendar
import pytest
from django.urls import reverse

from checklists.assessments.services import responses_assign
from notifications.models import Kind, Preference
from notifications.services import notify, preference_of
from notifications.unsubscribe import token_for
from tests.helpers import response_for

pytestmark = pytest.mark.django_db


def tell(user, agency, n: int = 1, kind=Kind.ASSIGNED):
    for i in range(n):
        notify(
            users=[user],
            agency=agency,
            kind=kind,
            key=f"test:{i}",
            title=f"Item {i} is yours",
            url="/",
        )


def test_the_bell_shows_the_unread_count_on_every_page(client_for, agency, editor):
    tell(editor, agency, 3)

    page = client_for(editor).get(reverse("agency_detail", args=[agency.slug])).content.decode()

    assert "Notifications" in page
    assert '3<span class="visually-hidden"> unread</span>' in page


def test_the_bell_costs_the_same_queries_with_many_notifications(
    client_for, agency, editor, count_queries
):
    client = client_for(editor)
    page = reverse("catalog_list")
    tell(editor, agency, 1)
    client.get(page)  # the session's first request reads more
    few = count_queries(lambda: client.get(page))
    tell(editor, agency, 40)

    assert count_queries(lambda: client.get(page)) == few


def test_the_notifications_page_lists_only_mine(
    client_for, agency, editor, viewer, outsider, other_agency
):
    tell(editor, agency, 2)
    notify(users=[outsider], agency=other_agency, kind=Kind.ASSIGNED, key="x", title="Theirs")

    page = client_for(editor).get(reverse("notification_list")).content.decode()

    assert "Item 0 is yours" in page
    assert "Item 1 is yours" in page
    assert "Theirs" not in page


def test_mark_read_with_htmx_returns_the_row_and_the_bell(client_for, agency, editor):
    tell(editor, agency, 2)
    notification = editor.notifications.first()

    response = client_for(editor).post(
        reverse("notification_read", args=[notification.pk]), headers={"HX-Request": "true"}
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert f'id="notification-{notification.pk}"' in body
    assert ">Read<" in body
    assert 'id="notification-bell" hx-swap-oob="true"' in body
    assert '1<span class="visually-hidden"> unread</span>' in body
    notification.refresh_from_db()
    assert notification.is_read


def test_someone_elses_notification_is_a_404_and_stays_unread(client_for, agency, editor, lead):
    tell(editor, agency)
    notification = editor.notifications.get()

    response = client_for(lead).post(reverse("notification_read", args=[notification.pk]))

    assert response.status_code == 404
    notification.refresh_from_db()
    assert not notification.is_read


def test_mark_all_read(client_for, agency, editor):
    tell(editor, agency, 3)

    response = client_for(editor).post(reverse("notification_read_all"))

    assert response.status_code == 302
    assert editor.notifications.unread().count() == 0


def test_preferences_are_saved(client_for, editor):
    response = client_for(editor).post(
        reverse("notification_preferences"),
        {"digest": "weekly", "digest_hour": "8", "emailed": ["assigned", "signed_off"]},
    )

    assert response.status_code == 302
    preference = Preference.objects.get(user=editor)
    assert (preference.digest, preference.digest_hour) == ("weekly", 8)
    assert set(preference.muted) == {"returned", "submitted", "invitation_accepted", "commented"}


def test_bad_preferences_are_each_shown_beside_their_field_and_nothing_is_saved(client_for, editor):
    response = client_for(editor).post(
        reverse("notification_preferences"),
        {"digest": "hourly", "digest_hour": "3", "emailed": ["spam"]},
    )

    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) == {"digest", "digest_hour", "emailed"}
    assert not Preference.objects.filter(user=editor, digest="hourly").exists()


def test_an_unsubscribe_link_asks_first_then_switches_that_kind_off(client, editor):
    link = reverse("notification_unsubscribe", args=[token_for(user_id=editor.pk, kind="digest")])

    page = client.get(link)
    assert page.status_code == 200
    assert "<form" in page.content.decode()
    assert preference_of(editor).digest == "daily"

    done = client.post(link)
    assert done.status_code == 200
    assert "Done" in done.content.decode()
    assert preference_of(editor).digest == "never"


def test_a_forged_unsubscribe_link_is_a_404(client, editor):
    forged = token_for(user_id=editor.pk, kind="digest")[:-2] + "xx"

    assert client.post(reverse("notification_unsubscribe", args=[forged])).status_code == 404
    assert preference_of(editor).digest == "daily"


def test_the_calendar_lists_my_target_dates_and_the_due_date_with_stable_uids(
    client, assessment, lead, editor
):
    assessment.due_date = date(2026, 12, 20)
    assessment.save()
    response = response_for(assessment, "LER-02")
    responses_assign(
        assessment=assessment, responses=[response], owner=editor,
        target_date=date(2026, 12, 5), by=lead,
    )  # fmt: skip
    feed = reverse("notification_calendar", args=[preference_of(editor).calendar_token])

    got = client.get(feed)
    assert got["Content-Type"].startswith("text/calendar")
    events = {str(e["UID"]): e for e in icalendar.Calendar.from_ical(got.content).walk("VEVENT")}
    target = events[f"response-{response.pk}-target@127.0.0.1:8000"]
    assert target.decoded("DTSTART") == date(2026, 12, 5)
    assert str(target["SUMMARY"]).startswith("Target: LER-02")
    assert events[f"assessment-{assessment.pk}-due@127.0.0.1:8000"].decoded("DTSTART") == date(
        2026, 12, 20
    )

    responses_assign(
        assessment=assessment, responses=[response], owner=editor,
        target_date=date(2026, 12, 9), by=lead,
    )  # fmt: skip
    moved = icalendar.Calendar.from_ical(client.get(feed).content).walk("VEVENT")
    (again,) = [e for e in moved if str(e["UID"]) == str(target["UID"])]
    assert again.decoded("DTSTART") == date(2026, 12, 9)


def test_resetting_the_calendar_address_retires_the_old_one(client_for, client, editor):
    old = reverse("notification_calendar", args=[preference_of(editor).calendar_token])
    assert client.get(old).status_code == 200

    client_for(editor).post(reverse("notification_calendar_reset"))
    client.logout()

    assert client.get(old).status_code == 404
    new = reverse("notification_calendar", args=[preference_of(editor).calendar_token])
    assert client.get(new).status_code == 200
