"""Two-factor sign-in with django-otp: one authenticator app (TOTP) and a set of recovery codes.

A person has two-factor sign-in when they have a confirmed TOTP device; their recovery codes are
the tokens of a static device beside it. The operations that change them are in
`accounts.services`; this module answers questions and draws the QR code.
"""

from __future__ import annotations

import re
from base64 import b32encode
from binascii import unhexlify

import segno
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User

RECOVERY_CODE_COUNT = 10
TOTP_CODE = re.compile(r"\d{6}")


def totp_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def recovery_device(user: User) -> StaticDevice | None:
    return StaticDevice.objects.filter(user=user, confirmed=True).first()


def has_two_factor(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def is_required(user: User) -> bool:
    """Whether any agency this person belongs to requires two-factor sign-in."""
    return any(m.agency.require_two_factor for m in user.agency_memberships.values())


def pending_step(user) -> str | None:
    """What a signed-in person must still do before anything else: "code", "enrol" or nothing.

    "code": they gave their password, but their session has not been verified with a code yet.
    "enrol": an agency of theirs requires two-factor sign-in and they have not set it up.
    """
    if not user.is_authenticated or user.is_verified():
        return None
    if has_two_factor(user):
        return "code"
    if is_required(user):
        return "enrol"
    return None


def normalize_code(code: str) -> str:
    """A code as typed, without the spaces and dashes people copy along with it."""
    return re.sub(r"[\s-]", "", code).lower()


def secret_for_display(key: str) -> str:
    """The hex key as the base32 text authenticator apps accept, in groups of four."""
    text = b32encode(unhexlify(key)).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def config_url(user: User, key: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return TOTPDevice(user=user, key=key).config_url


def qr_data_uri(url: str) -> str:
    """The QR code as a data: URI for an <img>, which the CSP allows (img-src data:).

    segno writes the SVG with presentation attributes only, no style attribute or script.
    """
    return segno.make(url, error="m").svg_data_uri(scale=5, dark="#000", light="#fff")
