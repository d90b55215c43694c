"""Lockout after failed sign-ins (django-axes), and leads unlocking their people."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts.lockout import client_ip
from accounts.models import AuditEvent
from tests.factories import MembershipFactory
from tests.helpers import PASSWORD


def sign_in(client, email: str, password: str = PASSWORD, ip: str = "192.0.2.1"):
    return client.post(reverse("login"), {"username": email, "password": password}, REMOTE_ADDR=ip)


def fail(client, email: str, times: int = 5, ip: str | None = None, net="198.51.100") -> None:
    """Failed sign-ins, each from another address of `net` unless `ip` is given."""
    for n in range(times):
        sign_in(client, email, "wrong-password", ip=ip or f"{net}.{n + 1}")


def test_five_failures_lock_the_account_even_from_different_addresses(client, lead):
    fail(client, lead.email, times=3)
    assert sign_in(client, lead.email, "wrong-password", ip="198.51.100.8").status_code == 200
    assert sign_in(client, lead.email, "wrong-password", ip="198.51.100.9").status_code == 429

    response = sign_in(client, lead.email, ip="203.0.113.7")

    assert response.status_code == 429
    assert client.get(reverse("home")).status_code == 302  # not signed in


def test_the_lockout_page_explains_what_happened_and_who_can_help(client, lead):
    fail(client, lead.email)

    page = sign_in(client, lead.email).content.decode()

    assert "locked out for 15 minutes" in page
    assert "a lead of your agency" in page
    assert 'class="navbar' in page  # the site's own page, not axes' bare text


def test_five_failures_from_one_address_lock_it_for_every_account(client, lead, editor):
    for n in range(5):
        sign_in(client, f"guess{n}@harbor.example", "wrong-password", ip="198.51.100.50")

    assert sign_in(client, lead.email, ip="198.51.100.50").status_code == 429
    assert sign_in(client, editor.email, ip="198.51.100.51").status_code == 302


def test_the_login_is_counted_whatever_its_case(client, lead):
    for n in range(5):
        sign_in(client, lead.email.upper() if n % 2 else lead.email, "nope", ip=f"10.0.0.{n}")

    assert sign_in(client, lead.email, ip="10.0.1.1").status_code == 429


def test_sign_in_works_again_after_fifteen_minutes(client, lead):
    fail(client, lead.email)
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=15, seconds=1))

    assert sign_in(client, lead.email).status_code == 302


def test_trying_again_during_the_lockout_does_not_extend_it(client, lead):
    fail(client, lead.email)
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=10))
    sign_in(client, lead.email, "wrong-again")
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=15, seconds=1))

    assert sign_in(client, lead.email).status_code == 302


def test_a_successful_sign_in_clears_earlier_failures(client, lead):
    fail(client, lead.email, times=4, ip="192.0.2.1")
    sign_in(client, lead.email)
    client.post(reverse("logout"))
    fail(client, lead.email, times=4, ip="192.0.2.1")

    assert sign_in(client, lead.email).status_code == 302


def test_x_forwarded_for_is_ignored_without_a_trusted_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    request = RequestFactory().post(
        "/", REMOTE_ADDR="192.0.2.10", HTTP_X_FORWARDED_FOR="203.0.113.99"
    )

    assert client_ip(request) == "192.0.2.10"


def test_behind_a_proxy_the_address_it_appended_is_the_client(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    request = RequestFactory().post(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.99"
    )

    assert client_ip(request) == "203.0.113.99"  # "1.2.3.4" was written by the client


def test_a_client_cannot_dodge_the_address_lockout_with_forged_headers(client, settings, lead):
    settings.TRUSTED_PROXY_COUNT = 0
    for n in range(5):
        client.post(
            reverse("login"),
            {"username": f"guess{n}@harbor.example", "password": "x"},
            REMOTE_ADDR="198.51.100.60",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",
        )

    assert sign_in(client, lead.email, ip="198.51.100.60").status_code == 429


# Leads unlock their people.


@pytest.fixture
def locked_editor(client, editor):
    fail(client, editor.email)
    return editor


@pytest.fixture
def locked_viewer(client, viewer):
    fail(client, viewer.email, net="198.51.101")
    return viewer


def membership_of(user, agency):
    return user.memberships.get(agency=agency)


def test_people_page_marks_a_locked_out_member(client_for, agency, lead, locked_editor, viewer):
    page = client_for(lead).get(reverse("people", args=[agency.slug])).content.decode()

    editor_row = page.split(locked_editor.email)[0].rsplit("<tr>", 1)[1]
    assert "Locked out" in editor_row
    assert page.count("Locked out") == 1
    assert (
        reverse("people_unlock", args=[agency.slug, membership_of(locked_editor, agency).pk])
        in page
    )


def test_a_viewer_sees_the_mark_but_no_unlock_button(client_for, agency, viewer, locked_editor):
    page = client_for(viewer).get(reverse("people", args=[agency.slug])).content.decode()

    assert "Locked out" in page
    assert "Unlock" not in page


def test_a_lead_unlocks_a_member_who_can_then_sign_in(client_for, agency, lead, locked_editor):
    url = reverse("people_unlock", args=[agency.slug, membership_of(locked_editor, agency).pk])

    response = client_for(lead).post(url, follow=True)

    assert f"{locked_editor} can sign in again" in response.content.decode()
    assert "Locked out" not in response.content.decode()
    unlocked = AuditEvent.objects.get(action=AuditEvent.Action.UNLOCKED)
    assert (unlocked.agency, unlocked.actor, unlocked.target_id) == (
        agency, lead, str(locked_editor.pk),
    )  # fmt: skip
    client_for(lead).post(reverse("logout"))
    assert sign_in(client_for(lead), locked_editor.email, ip="198.51.100.1").status_code == 302


def test_only_a_lead_may_unlock(client_for, agency, editor, locked_viewer):
    url = reverse("people_unlock", args=[agency.slug, membership_of(locked_viewer, agency).pk])

    assert client_for(editor).post(url).status_code == 403
    assert AccessAttempt.objects.filter(username=locked_viewer.email).exists()


def test_unlock_is_a_post(client_for, agency, lead, locked_editor):
    url = reverse("people_unlock", args=[agency.slug, membership_of(locked_editor, agency).pk])

    assert client_for(lead).get(url).status_code == 405


def test_locked_out_marks_take_one_query_whatever_the_number_of_people(
    client, client_for, agency, lead, count_queries
):
    url = reverse("people", args=[agency.slug])

    def add_locked_people(n: int) -> None:
        for _ in range(n):
            membership = MembershipFactory(agency=agency)
            fail(client, membership.user.email, net=f"10.{membership.pk % 250}.0")

    add_locked_people(1)
    signed_in = client_for(lead)
    signed_in.get(url)
    one = count_queries(lambda: signed_in.get(url))
    add_locked_people(5)

    assert count_queries(lambda: signed_in.get(url)) == one
    assert signed_in.get(url).content.decode().count("Locked out") == 6
