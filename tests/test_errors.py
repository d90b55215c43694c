"""Error pages: in the site's style, saying what happened and what to do, never a stack trace."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.helpers import PASSWORD, assert_error_page


def test_unknown_address_is_a_friendly_404(client_for, lead):
    response = client_for(lead).get("/agencies/no-such-agency/")

    assert_error_page(response, 404, "There is nothing here")
    assert "Go to your agencies" in response.content.decode()


def test_a_change_beyond_ones_access_is_a_friendly_403(client_for, agency, viewer):
    response = client_for(viewer).post(reverse("assessment_create", args=[agency.slug]))

    assert_error_page(response, 403, "Your access does not allow this")


def test_a_bad_host_is_a_friendly_400(client):
    response = client.get("/accounts/login/", HTTP_HOST="attacker.example")

    assert_error_page(response, 400, "could not understand that request")


def test_an_expired_form_explains_that_nothing_was_saved(db):
    response = Client(enforce_csrf_checks=True).post(
        reverse("login"), {"username": "chief@harbor.example", "password": PASSWORD}
    )

    assert_error_page(response, 403, "This form has expired")
    assert "Nothing was saved" in response.content.decode()


@pytest.mark.urls("tests.urls_crash")
def test_a_crash_is_a_friendly_500_without_details(client_for, lead):
    client = client_for(lead)
    client.raise_request_exception = False

    response = client.get("/crash/")

    assert_error_page(response, 500, "Something went wrong on our side")
    assert "a bug on our side" not in response.content.decode()
