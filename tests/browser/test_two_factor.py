"""Two-factor sign-in and the lockout page in a real browser, at desk and phone width."""

from __future__ import annotations

import re
import time
from base64 import b32decode
from datetime import timedelta

import pytest
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from tests.helpers import PASSWORD, next_totp_code

pytestmark = pytest.mark.usefixtures("transactional_db")


def code_for(secret: str, steps_ahead: int = 0) -> str:
    """What an authenticator app given the key as text shows."""
    secret = secret.replace(" ", "")
    totp = TOTP(b32decode(secret + "=" * (-len(secret) % 8)))
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


def test_lead_turns_on_two_factor_and_signs_in_with_a_code(session, agency, lead):
    chief = session(lead.email)
    page = chief.visit(f"/agencies/{agency.slug}/")
    page.get_by_role("button", name=lead.full_name).click()
    page.get_by_role("link", name="Two-factor sign-in").click()
    chief.check()
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    secret = page.locator(".secret-key").inner_text()
    page.get_by_label("Six-digit code from your app").fill(code_for(secret))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    chief.check()

    page.context.clear_cookies()
    chief.sign_in(lead.email)
    expect(page.get_by_role("heading", name="Enter your sign-in code")).to_be_visible()
    chief.check()
    page.get_by_label("Code").fill("000000")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".invalid-feedback")).to_contain_text("not right")
    # django-otp holds the next try back for a second after a wrong code: date that failure
    # back rather than wait the second out.
    TOTPDevice.objects.update(throttling_failure_timestamp=timezone.now() - timedelta(seconds=5))
    page.get_by_label("Code").fill(next_totp_code(lead))
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(f"/agencies/{agency.slug}/$"))


def test_the_lockout_page_is_in_the_site_style(session, lead):
    visitor = session()
    page = visitor.page
    for _ in range(5):
        page.goto(visitor.base_url + "/accounts/login/")
        page.get_by_label("Email address").fill(lead.email)
        page.get_by_label("Password").fill("not-" + PASSWORD)
        page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=re.compile("paused for 15 minutes"))).to_be_visible()
    visitor.errors = [e for e in visitor.errors if "status of 429" not in e]
    visitor.check()
