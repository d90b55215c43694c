"""Two-factor sign-in: enrolment, the code step, recovery codes, agency requirement, turning off.

Codes are computed from the device's own key with django-otp's TOTP, as an authenticator app
would, and everything goes through HTTP.
"""

from __future__ import annotations

import re
import time
from base64 import b32decode
from binascii import unhexlify
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from accounts import services
from accounts.models import AuditEvent
from tests.helpers import next_totp_code

PASSWORD = "correct-horse-battery"


def code_for(key_hex: str, steps_ahead: int = 0) -> str:
    """The code an authenticator app holding `key_hex` shows now (or `steps_ahead` later)."""
    totp = TOTP(unhexlify(key_hex))
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


def sign_in(client, user):
    return client.post(reverse("login"), {"username": user.email, "password": PASSWORD})


def enter_code(client, code: str, next_url: str = ""):
    return client.post(reverse("two_factor_verify"), {"code": code, "next": next_url})


@pytest.fixture
def enrolled():
    """Turn on two-factor sign-in for a user as the service does; returns the recovery codes."""

    def enrol(user) -> list[str]:
        key = random_hex(20)
        _, codes = services.two_factor_enable(user=user, key=key, code=code_for(key))
        return codes

    return enrol


# Enrolment


def test_enrolment_by_typing_the_key_shown_on_the_page(client_for, lead):
    client = client_for(lead)
    page = client.get(reverse("two_factor_settings")).content.decode()
    secret = re.search(r'class="secret-key">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    key = b32decode(secret + "=" * (-len(secret) % 8)).hex()

    response = client.post(reverse("two_factor_settings"), {"code": code_for(key)})

    assert response.url == reverse("two_factor_recovery_codes")
    assert TOTPDevice.objects.get(user=lead, confirmed=True).key == key
    assert client.get(lead.memberships.get().agency.get_absolute_url()).status_code == 200


def test_the_qr_code_is_an_image_the_content_security_policy_allows(client_for, lead):
    page = client_for(lead).get(reverse("two_factor_settings")).content.decode()

    src = re.search(r'<img class="qr-code" src="([^"]+)"', page).group(1)
    assert src.startswith("data:image/svg+xml")
    assert "script" not in src.lower()
    assert "style" not in src.lower()
    assert "<script>" not in page
    assert "style=" not in page


def test_a_wrong_first_code_does_not_turn_it_on(client_for, lead):
    client = client_for(lead)
    client.get(reverse("two_factor_settings"))

    response = client.post(reverse("two_factor_settings"), {"code": "000000"})

    assert "That code does not match" in str(response.context["form"].errors["code"])
    assert not TOTPDevice.objects.filter(user=lead).exists()


def test_not_six_digits_is_explained_beside_the_field(client_for, lead):
    response = client_for(lead).post(reverse("two_factor_settings"), {"code": "12ab"})

    assert "Enter the six digits" in str(response.context["form"].errors["code"])


def test_ten_recovery_codes_are_shown_once(client_for, lead):
    client = client_for(lead)
    client.get(reverse("two_factor_settings"))
    key = client.session["two_factor_setup_key"]
    client.post(reverse("two_factor_settings"), {"code": code_for(key)})

    first = client.get(reverse("two_factor_recovery_codes"))
    again = client.get(reverse("two_factor_recovery_codes"))

    codes = first.context["codes"]
    assert len(codes) == 10
    assert all(code in first.content.decode() for code in codes)
    assert not any(code in again.content.decode() for code in codes)
    assert "10 unused recovery codes" in again.content.decode()


def test_a_new_set_of_recovery_codes_replaces_the_old(client, lead, enrolled):
    old = enrolled(lead)
    sign_in(client, lead)
    enter_code(client, next_totp_code(lead))

    client.post(reverse("two_factor_recovery_codes"))
    new = client.get(reverse("two_factor_recovery_codes")).context["codes"]

    assert set(StaticToken.objects.values_list("token", flat=True)) == set(new)
    assert not set(old) & set(new)


# Signing in


def test_sign_in_asks_for_the_code_and_holds_every_page_until_given(client, agency, lead, enrolled):
    enrolled(lead)

    sign_in(client, lead)
    held = client.get(agency.get_absolute_url())
    step = client.get(held.url)
    done = enter_code(client, next_totp_code(lead), next_url=agency.get_absolute_url())

    assert held.url == reverse("two_factor_verify") + f"?next={agency.get_absolute_url()}"
    assert step.status_code == 200
    assert 'class="navbar-toggler"' not in step.content.decode()  # no menu yet
    assert done.url == agency.get_absolute_url()
    assert client.get(agency.get_absolute_url()).status_code == 200


def test_before_the_code_even_posts_and_other_pages_are_refused(client, agency, lead, enrolled):
    enrolled(lead)
    sign_in(client, lead)

    response = client.post(reverse("school_create", args=[agency.slug]), {"name": "New"})

    assert response.url == reverse("two_factor_verify")
    assert not agency.schools.exists()
    assert client.get(reverse("password_change")).url.startswith(reverse("two_factor_verify"))


def test_sign_out_and_static_files_stay_open_before_the_code(client, lead, enrolled):
    enrolled(lead)
    sign_in(client, lead)

    static = client.get("/static/css/muster.css")
    out = client.post(reverse("logout"))

    assert not (static.status_code == 302 and "two_factor" in static.url)
    assert out.url == reverse("login")
    assert client.get(reverse("two_factor_verify")).url.startswith(reverse("login"))


def test_a_wrong_code_is_refused_beside_the_field(client, agency, lead, enrolled):
    enrolled(lead)
    sign_in(client, lead)

    response = enter_code(client, "000000")

    assert response.status_code == 200
    assert "That code is not right" in str(response.context["form"].errors["code"])
    assert client.get(agency.get_absolute_url()).status_code == 302


def test_wrong_codes_are_throttled_even_before_a_right_one(client, lead, enrolled):
    enrolled(lead)
    sign_in(client, lead)
    enter_code(client, "000000")

    throttled = enter_code(client, next_totp_code(lead))

    assert "Too many wrong codes" in str(throttled.context["form"].errors["code"])
    TOTPDevice.objects.update(throttling_failure_timestamp=timezone.now() - timedelta(seconds=5))
    assert enter_code(client, next_totp_code(lead)).status_code == 302


def test_a_code_cannot_be_used_twice(client, lead, enrolled):
    enrolled(lead)
    code = next_totp_code(lead)
    sign_in(client, lead)
    enter_code(client, code)
    client.post(reverse("logout"))
    sign_in(client, lead)

    response = enter_code(client, code)

    assert "That code is not right" in str(response.context["form"].errors["code"])


def test_a_recovery_code_signs_in_once(client, agency, lead, enrolled):
    codes = enrolled(lead)
    sign_in(client, lead)

    first = enter_code(client, codes[0].upper()[:4] + " " + codes[0][4:])
    client.post(reverse("logout"))
    sign_in(client, lead)
    second = enter_code(client, codes[0])

    assert first.status_code == 302
    assert "That code is not right" in str(second.context["form"].errors["code"])
    assert StaticToken.objects.count() == 9


def test_the_code_step_refuses_to_send_people_to_another_site(client, lead, enrolled):
    enrolled(lead)
    sign_in(client, lead)

    response = enter_code(client, next_totp_code(lead), next_url="https://evil.example/")

    assert response.url == reverse("home")


def test_people_without_two_factor_sign_in_as_before(client, agency, viewer):
    response = sign_in(client, viewer)

    assert client.get(response.url, follow=True).redirect_chain[-1][0] == agency.get_absolute_url()
    assert client.get(reverse("two_factor_verify")).url == reverse("home")


# The agency's requirement


def test_a_lead_can_require_two_factor_for_the_agency(client_for, agency, lead):
    client_for(lead).post(
        reverse("agency_settings", args=[agency.slug]),
        {
            "name": agency.name,
            "jurisdiction": "",
            "state": "",
            "require_two_factor": "on",
            "time_zone": agency.time_zone,
        },
    )

    agency.refresh_from_db()
    assert agency.require_two_factor


def test_when_the_agency_requires_it_people_must_enrol_first(client, agency, viewer):
    agency.require_two_factor = True
    agency.save()
    sign_in(client, viewer)

    held = client.get(agency.get_absolute_url())
    setup = client.get(held.url)
    key = client.session["two_factor_setup_key"]
    client.post(reverse("two_factor_settings"), {"code": code_for(key)})

    assert held.url == reverse("two_factor_settings")
    assert "Your agency requires two-factor sign-in" in setup.content.decode()
    assert client.get(agency.get_absolute_url()).status_code == 200


def test_turning_off_is_refused_when_the_agency_requires_it(client, agency, lead, enrolled):
    enrolled(lead)
    agency.require_two_factor = True
    agency.save()
    sign_in(client, lead)
    enter_code(client, next_totp_code(lead))

    response = client.post(
        reverse("two_factor_disable"),
        {
            "password": PASSWORD,
            "code": code_for(TOTPDevice.objects.get(user=lead).key, steps_ahead=2),
        },
    )

    assert response.status_code == 400
    assert "Your agency requires two-factor sign-in" in response.content.decode()
    assert TOTPDevice.objects.filter(user=lead).exists()


def test_turning_off_takes_the_password_and_a_code(client, lead, enrolled):
    codes = enrolled(lead)
    sign_in(client, lead)
    enter_code(client, next_totp_code(lead))

    wrong = client.post(reverse("two_factor_disable"), {"password": "nope", "code": codes[0]})
    right = client.post(reverse("two_factor_disable"), {"password": PASSWORD, "code": codes[1]})

    assert "That is not your password" in str(wrong.context["form"].errors["password"])
    assert right.url == reverse("two_factor_settings")
    assert not TOTPDevice.objects.filter(user=lead).exists()
    client.post(reverse("logout"))
    assert sign_in(client, lead).url == reverse("home")
    assert client.get(reverse("home")).status_code == 302  # on to the agency, no code asked
    assert client.get(reverse("home")).url != reverse("two_factor_verify")


def test_turning_it_on_and_wrong_codes_are_in_the_audit_log(client, agency, lead, enrolled):
    enrolled(lead)
    sign_in(client, lead)
    enter_code(client, "000000" if next_totp_code(lead) != "000000" else "111111")

    A = AuditEvent.Action
    assert AuditEvent.objects.filter(agency=agency, action=A.TWO_FACTOR_ENABLED).count() == 1
    failed = AuditEvent.objects.get(agency=agency, action=A.TWO_FACTOR_FAILED)
    assert failed.target_id == str(lead.pk)


# What the audit log says about each step of signing in.


def sign_in_story(agency) -> list[tuple[str, str]]:
    events = AuditEvent.objects.filter(agency=agency).exclude(
        action=AuditEvent.Action.TWO_FACTOR_ENABLED
    )
    return [(e.action, e.summary) for e in events.order_by("at", "pk")]


def test_signed_in_is_recorded_only_after_the_code(client, agency, lead, enrolled):
    enrolled(lead)
    sign_in(client, lead)
    A = AuditEvent.Action

    assert sign_in_story(agency) == [
        (
            A.PASSWORD_ACCEPTED,
            f"{lead.email}'s password was accepted; awaiting their two-factor code",
        )
    ]
    enter_code(client, next_totp_code(lead))
    assert sign_in_story(agency)[-1] == (A.LOGIN, f"{lead.email} signed in with a two-factor code")
    assert AuditEvent.objects.get(action=A.PASSWORD_ACCEPTED).get_action_display() == (
        "Password accepted, awaiting code"
    )


def test_a_wrong_code_reads_as_not_signed_in(client, agency, lead, enrolled):
    enrolled(lead)
    sign_in(client, lead)
    enter_code(client, "000000" if next_totp_code(lead) != "000000" else "111111")

    assert [action for action, _ in sign_in_story(agency)] == [
        AuditEvent.Action.PASSWORD_ACCEPTED,
        AuditEvent.Action.TWO_FACTOR_FAILED,
    ]
    assert sign_in_story(agency)[-1][1].endswith(": not signed in")


def test_a_recovery_code_sign_in_says_so(client, agency, lead, enrolled):
    codes = enrolled(lead)
    sign_in(client, lead)
    enter_code(client, codes[0])

    assert sign_in_story(agency)[-1] == (
        AuditEvent.Action.LOGIN,
        f"{lead.email} signed in with a recovery code",
    )


def test_without_two_factor_the_password_alone_is_signed_in(client, agency, viewer):
    sign_in(client, viewer)

    assert sign_in_story(agency) == [(AuditEvent.Action.LOGIN, f"{viewer.email} signed in")]


def test_where_set_up_is_required_signed_in_waits_for_it(client, agency, viewer):
    agency.require_two_factor = True
    agency.save()
    sign_in(client, viewer)
    A = AuditEvent.Action
    assert [action for action, _ in sign_in_story(agency)] == [A.PASSWORD_ACCEPTED]

    client.get(reverse("two_factor_settings"))
    client.post(
        reverse("two_factor_settings"), {"code": code_for(client.session["two_factor_setup_key"])}
    )

    assert sign_in_story(agency)[-1][0] == A.LOGIN


def test_the_password_to_turn_it_off_counts_toward_the_lockout_and_is_audited(
    client, agency, lead, enrolled
):
    codes = enrolled(lead)
    sign_in(client, lead)
    enter_code(client, next_totp_code(lead))

    answers = [
        client.post(reverse("two_factor_disable"), {"password": f"guess-{n}", "code": codes[0]})
        for n in range(5)
    ]

    assert "Too many wrong passwords" in str(answers[-1].context["form"].errors["password"])
    refused = AuditEvent.objects.filter(action=AuditEvent.Action.PASSWORD_REFUSED)
    assert refused.count() == 5
    assert TOTPDevice.objects.filter(user=lead).exists()
