"""Hostile input to every accounts form: sign-in, passwords, invitations, people, schools, agency.

Never a 500, never injected markup, a save stored as sent (cleaned), a refusal changes nothing.
"""

from __future__ import annotations

import io
from urllib.parse import urlsplit

from django.core import mail
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from accounts.models import Agency, Invitation, Membership, School, User
from accounts.services import invitation_create
from tests.helpers import (
    PASSWORD,
    PNG_BYTES,
    assert_fine,
    escaped,
    field,
    form_data,
    hostile_text,
    invitation_opened,
    mostly_valid,
    rolled_back,
)

emails = st.one_of(
    st.emails().map(str), st.sampled_from(["new@harbor.example", "NEW@HARBOR.EXAMPLE"])
)
accesses = st.sampled_from([*Membership.Access.values, "admin", "lead "])


def _last(value):
    return value[-1] if isinstance(value, list) else value


@given(
    post=mostly_valid(
        username=st.sampled_from(
            ["lead@harbor.example", "LEAD@harbor.example", "nobody@x.example"]
        ),
        password=st.sampled_from([PASSWORD, "wrong", ""]),
        next=st.sampled_from(
            ["/", "//evil.example/", "https://evil.example/", "javascript:fuzz()"]
        ),
    )
)
def test_sign_in_takes_hostile_input(client, lead, post):
    with rolled_back():
        reply = client.post(reverse("login"), post)
        assert_fine(reply)
        if reply.status_code == 302:  # on this site, wherever `next` pointed
            assert urlsplit(reply["Location"]).netloc in ("", "testserver")
            assert urlsplit(reply["Location"]).scheme in ("", "http", "https")
        client.logout()


@given(post=form_data(email=field(emails)))
def test_password_reset_takes_hostile_input(client, lead, post):
    with rolled_back():
        assert_fine(client.post(reverse("password_reset"), post))


@given(
    post=mostly_valid(
        old_password=st.sampled_from([PASSWORD, "wrong"]),
        new_password1=st.sampled_from(["a-long-passphrase-9"]),
        new_password2=st.sampled_from(["a-long-passphrase-9", "different-passphrase-9"]),
    )
)
def test_password_change_takes_hostile_input(client, lead, post):
    with rolled_back():
        client.force_login(User.objects.get(pk=lead.pk))  # as stored, not as a last example left it
        reply = client.post(reverse("password_change"), post)
        assert_fine(reply)
        stored = User.objects.get(pk=lead.pk)
        if reply.status_code == 302:
            assert stored.check_password(_last(post["new_password1"]))
        else:
            assert stored.check_password(PASSWORD)


@given(
    post=mostly_valid(
        full_name=hostile_text,
        job_title=hostile_text,
        password1=st.just("a-long-passphrase-9"),
        password2=st.sampled_from(["a-long-passphrase-9", "other-passphrase-9"]),
    ),
    token=st.sampled_from(["TOKEN", "TOKEN", "x", "%00", "<fuzz>", "a" * 500]),
)
def test_invitation_accept_takes_hostile_input(client, agency, lead, post, token):
    with rolled_back():
        _, real = invitation_create(
            agency=agency, email="new@harbor.example", access="viewer", invited_by=lead
        )
        reply = client.post(invitation_opened(client, real if token == "TOKEN" else token), post)
        assert_fine(reply)
        user = User.objects.filter(email="new@harbor.example").first()
        if reply.status_code == 302:
            assert user.full_name == _last(post["full_name"]).strip()
            page = client.get(reverse("people", args=[agency.slug]))
            assert escaped(user.full_name) in page.content.decode()
            assert_fine(page)
        else:
            assert user is None
        client.logout()


@given(
    post=mostly_valid(
        email=emails,
        access=accesses,
        roles=st.sampled_from(["1", "99999999999999999999", "x"]),
        schools=st.sampled_from(["SCHOOL", "0", "99999999999999999999"]),
    ),
    agency_name=hostile_text.filter(lambda name: name.strip() and "\x00" not in name),
)
def test_invite_takes_hostile_input(
    client_for, agency, lead, school, post, agency_name, django_capture_on_commit_callbacks
):
    post = {k: (str(school.pk) if v == "SCHOOL" else v) for k, v in post.items()}
    client = client_for(lead)
    before = Invitation.objects.count()

    with rolled_back():
        Agency.objects.filter(pk=agency.pk).update(name=agency_name[:200])
        with django_capture_on_commit_callbacks(execute=True):
            reply = client.post(reverse("people_invite", args=[agency.slug]), post)
        assert_fine(reply)
        if reply.status_code == 302:
            assert Invitation.objects.count() == before + 1
            assert "\n" not in mail.outbox[-1].subject
        else:
            assert reply.context["form"].errors
            assert Invitation.objects.count() == before


@given(
    post=mostly_valid(
        access=accesses,
        roles=st.sampled_from(["1", "99999999999999999999"]),
        schools=st.sampled_from(["SCHOOL", "99999999999999999999"]),
    )
)
def test_membership_edit_takes_hostile_input(client_for, agency, lead, editor, school, post):
    post = {k: (str(school.pk) if v == "SCHOOL" else v) for k, v in post.items()}
    membership = Membership.objects.get(user=editor)

    with rolled_back():
        reply = client_for(lead).post(
            reverse("people_edit", args=[agency.slug, membership.pk]), post
        )
        assert_fine(reply)
        membership.refresh_from_db()
        if reply.status_code == 302:
            assert membership.access == _last(post["access"])
        else:
            assert reply.context["form"].errors or not post
            assert membership.access == Membership.Access.EDITOR


@given(
    post=mostly_valid(
        name=hostile_text,
        district=hostile_text,
        address=hostile_text,
        notes=hostile_text,
        is_active=st.sampled_from(["on", "", "false"]),
    ),
    edit=st.booleans(),
)
def test_school_form_takes_hostile_input(client_for, agency, lead, school, post, edit):
    address = (
        reverse("school_edit", args=[agency.slug, school.pk])
        if edit
        else reverse("school_create", args=[agency.slug])
    )
    before = list(School.objects.order_by("pk").values())

    with rolled_back():
        reply = client_for(lead).post(address, post)
        assert_fine(reply)
        if reply.status_code == 302:
            saved = School.objects.get(pk=school.pk) if edit else School.objects.latest("pk")
            assert saved.name == _last(post["name"]).strip()
            assert saved.address == _last(post.get("address", "")).strip()
            page = client_for(lead).get(reverse("school_list", args=[agency.slug]))
            assert_fine(page)
            assert escaped(saved.name) in page.content.decode()
        else:
            assert reply.context["form"].errors or not post
            assert list(School.objects.order_by("pk").values()) == before


def _png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(buffer, format="PNG")
    return buffer.getvalue()


LOGOS = [
    ("logo.png", _png(8, 8)),
    ("logo.png", PNG_BYTES),  # a PNG header and nothing else
    ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>fuzz()</script></svg>'),
    ("logo.html", _png(8, 8)),
    ("<fuzz>.png", _png(8, 8)),
    ("logo.png", b""),
    ("logo.png", b"GIF89a" + b"\x00" * 20),
]


@given(
    post=mostly_valid(
        name=hostile_text,
        jurisdiction=hostile_text,
        state=st.sampled_from(["CA", "ca", "ZZ", ""]),
    ),
    logo=st.sampled_from([None, *LOGOS]),
)
def test_agency_settings_take_hostile_input(client_for, agency, lead, post, logo, upload):
    if logo is not None:
        post["logo"] = upload(*logo)

    with rolled_back():
        reply = client_for(lead).post(reverse("agency_settings", args=[agency.slug]), post)
        assert_fine(reply)
        saved = Agency.objects.get(pk=agency.pk)
        if reply.status_code == 302:
            assert saved.name == _last(post["name"]).strip()
            page = client_for(lead).get(reverse("agency_settings", args=[agency.slug]))
            assert_fine(page)
            assert escaped(saved.name) in page.content.decode()
            if saved.logo:
                served = client_for(lead).get(reverse("agency_logo", args=[agency.slug]))
                assert served["X-Content-Type-Options"] == "nosniff"
                assert served["Content-Type"].startswith("image/")
        else:
            assert reply.context["form"].errors or not post
            assert saved.name == agency.name


def test_invitation_email_subject_stays_one_line_whatever_the_agency_name(
    client_for, agency, lead, django_capture_on_commit_callbacks
):
    Agency.objects.filter(pk=agency.pk).update(name="Harbor\r\nBcc: all@evil.example")
    post = {"email": "new@harbor.example", "access": "viewer"}

    with django_capture_on_commit_callbacks(execute=True):
        reply = client_for(lead).post(reverse("people_invite", args=[agency.slug]), post)

    assert reply.status_code == 302
    assert mail.outbox[-1].subject == "You are invited to Harbor Bcc: all@evil.example on Muster"
