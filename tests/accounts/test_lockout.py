"""Lockout after failed sign-ins (django-axes), and leads unlocking their people.

An account is locked from one address at a time, so a stranger cannot lock its owner out; an
address alone is slowed down, then locked only after very many failures (a shared NAT).
"""

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

OFFICE = "192.0.2.1"  # where the agency's people sign in from
ATTACKER = "203.0.113.66"


def sign_in(client, email: str, password: str = PASSWORD, ip: str = OFFICE):
    return client.post(reverse("login"), {"username": email, "password": password}, REMOTE_ADDR=ip)


def fail(client, email: str, times: int = 5, ip: str = OFFICE) -> None:
    for _ in range(times):
        sign_in(client, email, "wrong-password", ip=ip)


def guesses(client, times: int, ip: str) -> None:
    """Failed sign-ins from one address, each on another made-up account."""
    for n in range(times):
        sign_in(client, f"guess{n}@harbor.example", "wrong-password", ip=ip)


def pause(seconds: float) -> None:
    """As if `seconds` had passed since the failures recorded so far."""
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(seconds=seconds))


def test_an_attacker_elsewhere_cannot_lock_the_chief_out(client, lead):
    fail(client, lead.email, times=8, ip=ATTACKER)

    assert sign_in(client, lead.email, ip=ATTACKER).status_code == 429
    assert sign_in(client, lead.email, ip=OFFICE).status_code == 302


def test_the_chiefs_own_five_failures_still_lock_them(client, lead):
    fail(client, lead.email, times=3)
    assert sign_in(client, lead.email, "wrong-password").status_code == 200
    assert sign_in(client, lead.email, "wrong-password").status_code == 429

    response = sign_in(client, lead.email)

    assert response.status_code == 429
    assert client.get(reverse("home")).status_code == 302  # not signed in


def test_the_lockout_page_explains_what_happened_and_who_can_help(client, lead):
    fail(client, lead.email)

    response = sign_in(client, lead.email)
    page = response.content.decode()

    assert "locked out from here for 15 minutes" in page
    assert "a lead of your agency" in page
    assert 'class="navbar' in page  # the site's own page, not axes' bare text
    assert response["Retry-After"] == "900"


def test_failures_on_many_accounts_from_a_shared_address_do_not_lock_it(client, lead, settings):
    guesses(client, settings.ADDRESS_SLOWDOWN_AFTER - 1, ip=OFFICE)

    assert sign_in(client, lead.email, ip=OFFICE).status_code == 302


def test_an_address_with_many_failures_is_slowed_down_then_lets_the_next_try_through(
    client, lead, settings
):
    guesses(client, settings.ADDRESS_SLOWDOWN_AFTER + 2, ip=ATTACKER)  # the last two were refused

    held = sign_in(client, lead.email, ip=ATTACKER)
    assert held.status_code == 429
    assert "Wait 1 second" in held.content.decode()
    assert held["Retry-After"] == "1"
    assert sign_in(client, lead.email, ip=OFFICE).status_code == 302  # the account is not locked
    client.post(reverse("logout"))
    pause(1.5)
    assert sign_in(client, lead.email, ip=ATTACKER).status_code == 302


def test_the_wait_doubles_with_each_further_failure(client, lead, settings):
    settings.ADDRESS_SLOWDOWN_AFTER = 2
    guesses(client, 2, ip=ATTACKER)
    for expected in (1, 2, 4, 8):
        pause(expected - 0.5)
        assert sign_in(client, "guess@harbor.example", "nope", ip=ATTACKER).status_code == 429
        pause(expected + 0.5)
        assert sign_in(client, "guess@harbor.example", "nope", ip=ATTACKER).status_code == 200


def test_an_address_is_locked_at_its_own_higher_limit(client, lead, editor, settings):
    settings.ADDRESS_SLOWDOWN_AFTER = 1000  # the slow-down is tested above
    guesses(client, settings.ADDRESS_FAILURE_LIMIT, ip=ATTACKER)

    assert sign_in(client, lead.email, ip=ATTACKER).status_code == 429
    assert sign_in(client, editor.email, ip=OFFICE).status_code == 302


def test_the_address_limit_is_far_above_an_accounts(settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.ADDRESS_SLOWDOWN_AFTER >= 2 * settings.AXES_FAILURE_LIMIT
    assert settings.ADDRESS_FAILURE_LIMIT >= 100


def test_the_login_is_counted_whatever_its_case(client, lead):
    for n in range(5):
        sign_in(client, lead.email.upper() if n % 2 else lead.email, "nope")

    assert sign_in(client, lead.email).status_code == 429


def test_sign_in_works_again_after_fifteen_minutes(client, lead):
    fail(client, lead.email)
    pause(15 * 60 + 1)

    assert sign_in(client, lead.email).status_code == 302


def test_trying_again_during_the_lockout_does_not_extend_it(client, lead):
    fail(client, lead.email)
    pause(10 * 60)
    sign_in(client, lead.email, "wrong-again")
    pause(15 * 60 + 1)

    assert sign_in(client, lead.email).status_code == 302


def test_a_successful_sign_in_clears_earlier_failures(client, lead):
    fail(client, lead.email, times=4)
    sign_in(client, lead.email)
    client.post(reverse("logout"))
    fail(client, lead.email, times=4)

    assert sign_in(client, lead.email).status_code == 302


def test_a_successful_sign_in_does_not_clear_the_addresss_count(client, lead, settings):
    settings.ADDRESS_SLOWDOWN_AFTER = 1000
    guesses(client, settings.ADDRESS_FAILURE_LIMIT - 1, ip=ATTACKER)
    assert sign_in(client, lead.email, ip=ATTACKER).status_code == 302
    client.post(reverse("logout"))

    sign_in(client, "guess@harbor.example", "nope", ip=ATTACKER)

    assert sign_in(client, lead.email, ip=ATTACKER).status_code == 429


# Whose address: trusted proxies by address.


def address_of(remote: str, forwarded: str | None = None) -> str | None:
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return client_ip(RequestFactory().post("/", REMOTE_ADDR=remote, **headers))


def test_x_forwarded_for_is_ignored_without_a_trusted_proxy(settings):
    settings.TRUSTED_PROXIES = []

    assert address_of("192.0.2.10", "203.0.113.99") == "192.0.2.10"


def test_x_forwarded_for_is_ignored_from_a_peer_that_is_not_a_trusted_proxy(settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1", "10.0.0.0/24"]

    assert address_of("198.51.100.23", "203.0.113.99") == "198.51.100.23"
    assert address_of("10.0.1.5", "203.0.113.99") == "10.0.1.5"  # outside the network


def test_behind_a_trusted_proxy_the_address_it_appended_is_the_client(settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]

    # nginx on the same machine appended 203.0.113.99; "1.2.3.4" was written by the client.
    assert address_of("127.0.0.1", "1.2.3.4, 203.0.113.99") == "203.0.113.99"
    assert address_of("127.0.0.1") == "127.0.0.1"  # straight from the machine itself


def test_behind_a_chain_of_trusted_proxies_each_is_skipped(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24", "2001:db8::/32"]

    forwarded = "1.2.3.4, 203.0.113.99, 10.0.0.7, 2001:db8::1"
    assert address_of("10.0.0.2", forwarded) == "203.0.113.99"
    assert address_of("10.0.0.2", "garbage, 10.0.0.7") == "10.0.0.7"


def test_a_client_cannot_dodge_the_address_lockout_with_forged_headers(client, settings, lead):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    for n in range(5):
        client.post(
            reverse("login"),
            {"username": lead.email, "password": "x"},
            REMOTE_ADDR=ATTACKER,
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        )

    assert sign_in(client, lead.email, ip=ATTACKER).status_code == 429


def test_the_lockout_counts_the_client_behind_the_proxy_not_the_proxy(client, settings, lead):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    fail_through_proxy = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": ATTACKER}
    for _ in range(5):
        client.post(
            reverse("login"), {"username": lead.email, "password": "x"}, **fail_through_proxy
        )

    office_through_proxy = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": OFFICE}
    response = client.post(
        reverse("login"), {"username": lead.email, "password": PASSWORD}, **office_through_proxy
    )
    assert response.status_code == 302


# Leads unlock their people.


@pytest.fixture
def locked_editor(client, editor):
    fail(client, editor.email)
    return editor


@pytest.fixture
def locked_viewer(client, viewer):
    fail(client, viewer.email, ip="198.51.101.1")
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
    assert sign_in(client_for(lead), locked_editor.email).status_code == 302


def test_unlock_lifts_the_lock_of_the_address_they_were_refused_from(
    client, client_for, agency, lead, editor, settings
):
    settings.ADDRESS_SLOWDOWN_AFTER = 1000
    guesses(client, settings.ADDRESS_FAILURE_LIMIT, ip=OFFICE)  # someone else in the office
    assert sign_in(client, editor.email).status_code == 429
    url = reverse("people_unlock", args=[agency.slug, membership_of(editor, agency).pk])

    client_for(lead).post(url)
    client.post(reverse("logout"))

    assert sign_in(client, editor.email).status_code == 302
    unlocked = AuditEvent.objects.get(action=AuditEvent.Action.UNLOCKED)
    assert unlocked.details["addresses"] == [OFFICE]


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
            fail(client, membership.user.email, ip=f"10.{membership.pk % 250}.0.1")

    add_locked_people(1)
    signed_in = client_for(lead)
    signed_in.get(url)
    one = count_queries(lambda: signed_in.get(url))
    add_locked_people(5)

    assert count_queries(lambda: signed_in.get(url)) == one
    assert signed_in.get(url).content.decode().count("Locked out") == 6
