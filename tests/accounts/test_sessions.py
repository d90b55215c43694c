"""Sessions end after 30 minutes without a request, and 12 hours after sign-in in any case."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from accounts.middleware import SEEN_AT, SIGNED_IN_AT
from tests.helpers import PASSWORD


@pytest.fixture
def signed_in(client, lead):
    response = client.post(reverse("login"), {"username": lead.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def stored_session(client) -> Session:
    return Session.objects.get(session_key=client.cookies["sessionid"].value)


def test_signing_in_records_the_time(signed_in):
    assert abs(signed_in.session[SIGNED_IN_AT] - time.time()) < 60


def _last_seen_minutes_ago(client, minutes: float) -> None:
    session = client.session
    session[SEEN_AT] = int(time.time() - minutes * 60)
    session.save()
    Session.objects.filter(pk=stored_session(client).pk).update(
        expire_date=timezone.now() + timedelta(minutes=30 - minutes)
    )


def test_each_request_moves_the_idle_expiry_on(signed_in):
    _last_seen_minutes_ago(signed_in, 25)

    assert signed_in.get(reverse("password_change")).status_code == 200

    remaining = stored_session(signed_in).expire_date - timezone.now()
    assert timedelta(minutes=29) < remaining <= timedelta(minutes=30)


def test_requests_within_a_minute_do_not_write_the_session(signed_in):
    signed_in.get(reverse("password_change"))  # the first request after sign-in records it
    # A stored expiry no save would write: any write of the session moves it to now + 30 min.
    marked = timezone.now() + timedelta(minutes=10)
    Session.objects.filter(pk=stored_session(signed_in).pk).update(expire_date=marked)

    signed_in.get(reverse("password_change"))

    assert stored_session(signed_in).expire_date == marked


def test_thirty_minutes_without_a_request_ends_the_session(signed_in):
    Session.objects.filter(pk=stored_session(signed_in).pk).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )

    response = signed_in.get(reverse("password_change"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def _signed_in_hours_ago(client, hours: float) -> None:
    session = client.session
    session[SIGNED_IN_AT] = int(time.time() - hours * 3600)
    session.save()


def test_an_active_session_lasts_until_twelve_hours_after_sign_in(signed_in):
    _signed_in_hours_ago(signed_in, 11.9)

    assert signed_in.get(reverse("password_change")).status_code == 200


def test_twelve_hours_after_sign_in_the_session_ends_with_a_message(signed_in):
    _signed_in_hours_ago(signed_in, 12.1)

    response = signed_in.get(reverse("password_change"))
    login_page = signed_in.get(response.url)

    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={reverse('password_change')}"
    assert "Your session ended" in login_page.content.decode()
    assert "_auth_user_id" not in signed_in.session
    assert signed_in.get(reverse("password_change")).status_code == 302


def test_an_htmx_request_after_the_limit_reloads_the_whole_page_at_sign_in(signed_in):
    _signed_in_hours_ago(signed_in, 12.1)

    response = signed_in.get(reverse("password_change"), HTTP_HX_REQUEST="true")

    assert response["HX-Redirect"] == f"{reverse('login')}?next={reverse('password_change')}"
