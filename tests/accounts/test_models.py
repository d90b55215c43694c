from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.urls import reverse

from accounts.models import User
from tests.factories import SchoolFactory


@pytest.mark.django_db
def test_email_is_the_login_whatever_its_case(client):
    User.objects.create_user("Chief@Harbor.Example", "correct-horse-battery", full_name="Dana W")

    assert User.objects.get().email == "chief@harbor.example"
    response = client.post(
        reverse("login"), {"username": "CHIEF@harbor.example", "password": "correct-horse-battery"}
    )

    assert response.status_code == 302  # signed in and sent on


@pytest.mark.django_db
def test_two_accounts_cannot_share_an_address():
    User.objects.create_user("chief@harbor.example", "x", full_name="Dana W")

    with pytest.raises(ValidationError):
        User.objects.create_user("CHIEF@harbor.example", "x", full_name="Someone else")


@pytest.mark.django_db
def test_a_user_needs_an_email():
    with pytest.raises(ValueError, match="email"):
        User.objects.create_user("", "x", full_name="Nobody")


def test_school_names_are_unique_within_an_agency_whatever_their_case(agency, other_agency):
    SchoolFactory(agency=agency, name="Harbor High")
    SchoolFactory(agency=other_agency, name="Harbor High")

    with pytest.raises(IntegrityError):
        SchoolFactory(agency=agency, name="HARBOR HIGH")
