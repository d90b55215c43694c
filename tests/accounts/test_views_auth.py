from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts import services
from accounts.models import Membership, User
from tests.helpers import PASSWORD, invitation_opened


def test_sign_in_with_email_and_land_on_the_agency(client, agency, lead):
    response = client.post(
        reverse("login"), {"username": lead.email, "password": PASSWORD}, follow=True
    )

    assert response.redirect_chain[-1][0] == agency.get_absolute_url()


def test_wrong_password_says_so_without_revealing_the_account(client, lead):
    response = client.post(reverse("login"), {"username": lead.email, "password": "wrong"})

    assert response.status_code == 200
    assert "Please enter a correct email address and password" in response.content.decode()


def test_password_reset_round_trip(client, lead):
    client.post(reverse("password_reset"), {"email": lead.email})
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)

    form_page = client.get(link, follow=True)
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a-new-long-passphrase", "new_password2": "a-new-long-passphrase"},
    )

    signed_in = client.post(
        reverse("login"), {"username": lead.email, "password": "a-new-long-passphrase"}
    )
    assert signed_in.status_code == 302


def test_the_reset_link_swaps_its_token_for_the_session_and_a_clean_url(client, lead):
    client.post(reverse("password_reset"), {"email": lead.email})
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    token = link.rstrip("/").rsplit("/", 1)[1]

    opened = client.get(link)
    form_page = client.get(opened.url)
    new = {"new_password1": "a-new-long-passphrase", "new_password2": "a-new-long-passphrase"}
    client.post(opened.url, new)
    reused = Client().get(link, follow=True)

    assert opened.status_code == 302
    assert token not in opened.url
    assert "new_password1" in form_page.content.decode()
    lead.refresh_from_db()
    assert lead.check_password("a-new-long-passphrase")
    assert "already been used or has expired" in reused.content.decode()
    assert "new_password1" not in reused.content.decode()


def test_sign_out_is_a_post(client_for, lead):
    client = client_for(lead)

    client.post(reverse("logout"))

    assert client.get(reverse("home")).status_code == 302


def test_forbidden_and_missing_pages_explain_themselves(client_for, agency, viewer, other_agency):
    client = client_for(viewer)

    forbidden = client.post(reverse("school_create", args=[agency.slug]), {"name": "X"})
    missing = client.get(reverse("agency_detail", args=[other_agency.slug]))

    assert "Your access does not allow this" in forbidden.content.decode()
    assert "There is nothing here" in missing.content.decode()
    assert not agency.schools.exists()


# Where people set passwords, the validators refuse short and common ones (issue 6).
ELEVEN_CHARACTERS = "tulip-river"
COMMON = "password1234"


@pytest.mark.parametrize("weak", [ELEVEN_CHARACTERS, COMMON])
def test_accepting_an_invitation_refuses_a_weak_password(client, agency, lead, weak):
    _, token = services.invitation_create(
        agency=agency, email="new@harbor.example", access="viewer", invited_by=lead
    )

    response = client.post(
        invitation_opened(client, token),
        {"full_name": "Jo Park", "password1": weak, "password2": weak},
    )

    errors = " ".join(response.context["form"].errors["password1"])
    assert ("too short" in errors) if weak == ELEVEN_CHARACTERS else ("too common" in errors)
    assert not User.objects.filter(email="new@harbor.example").exists()


@pytest.mark.parametrize("weak", [ELEVEN_CHARACTERS, COMMON])
def test_changing_a_password_refuses_a_weak_one(client_for, lead, weak):
    response = client_for(lead).post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": weak, "new_password2": weak},
    )

    errors = " ".join(response.context["form"].errors["new_password2"])
    assert ("too short" in errors) if weak == ELEVEN_CHARACTERS else ("too common" in errors)
    lead.refresh_from_db()
    assert lead.check_password(PASSWORD)


def test_an_sro_lands_on_my_schools_after_sign_in_and_on_the_home_page(client, agency, sro, school):
    """Issue 12: an SRO landed on the agency dashboard, full of other people's overdue items."""
    signed_in = client.post(
        reverse("login"), {"username": sro.email, "password": PASSWORD}, follow=True
    )
    home = client.get(reverse("home"))

    my_schools = reverse("school_mine", args=[agency.slug])
    assert signed_in.redirect_chain[-1][0] == my_schools
    assert home.url == my_schools
    assert school.name in signed_in.content.decode()


def test_a_person_in_two_agencies_gets_each_agencys_home_in_the_list(
    client_for, agency, other_agency, sro
):
    Membership.objects.create(user=sro, agency=other_agency, access=Membership.Access.EDITOR)

    page = client_for(sro).get(reverse("home")).content.decode()

    assert reverse("school_mine", args=[agency.slug]) in page
    assert other_agency.get_absolute_url() in page
