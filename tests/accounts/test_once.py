"""Create forms act once (issue 12): the same form posted twice, as a double click sends it,
makes one object, and the second post lands where the first did without an error page."""

from __future__ import annotations

import re

from django.urls import reverse

from accounts.models import Invitation, Membership, School
from checklists.models import Assessment
from tests.helpers import url


def _token(page) -> str:
    """The one-time token of the form on a page, as the browser would send it back."""
    return re.search(r'name="once" value="([^"]+)"', page.content.decode()).group(1)


def _twice(client, address: str, data: dict):
    token = _token(client.get(address))
    first = client.post(address, data | {"once": token})
    second = client.post(address, data | {"once": token}, follow=True)
    return first, second


def test_start_assessment_posted_twice_starts_one(client_for, agency, lead, catalog_version):
    data = {"title": "2026 annual assessment", "catalog_version": catalog_version.pk}

    first, second = _twice(client_for(lead), url("assessment_create", agency), data)

    assert Assessment.objects.filter(agency=agency).count() == 1
    assert first.status_code == 302
    assert second.status_code == 200
    assert second.redirect_chain[-1][0] == first.url
    assert "already sent" in second.content.decode()


def test_start_next_assessment_clicked_twice_makes_one_draft(client_for, agency, lead, assessment):
    address = url("assessment_next", agency, assessment.pk)

    first, second = _twice(client_for(lead), address, {"title": "2027 annual assessment"})

    assert Assessment.objects.filter(agency=agency, previous=assessment).count() == 1
    assert second.redirect_chain[-1][0] == first.url
    assert second.status_code == 200


def test_add_school_posted_twice_adds_one(client_for, agency, lead):
    data = {"name": "Seaside Middle School", "is_active": "on"}

    first, second = _twice(client_for(lead), url("school_create", agency), data)

    assert School.objects.filter(agency=agency, name="Seaside Middle School").count() == 1
    assert second.redirect_chain[-1][0] == first.url
    assert "already has a school" not in second.content.decode()


def test_invite_posted_twice_sends_one_invitation(client_for, agency, lead):
    data = {"email": "new.sro@harbor.example", "access": Membership.Access.VIEWER}

    first, second = _twice(client_for(lead), reverse("people_invite", args=[agency.slug]), data)

    assert Invitation.objects.filter(agency=agency).count() == 1
    assert second.redirect_chain[-1][0] == first.url
    assert second.status_code == 200


def test_a_form_with_errors_can_be_corrected_and_sent_with_the_same_token(
    client_for, agency, lead, catalog_version
):
    client = client_for(lead)
    address = url("assessment_create", agency)
    token = _token(client.get(address))

    refused = client.post(
        address, {"title": "", "catalog_version": catalog_version.pk, "once": token}
    )
    accepted = client.post(
        address, {"title": "2026", "catalog_version": catalog_version.pk, "once": token}
    )

    assert refused.status_code == 200
    assert accepted.status_code == 302
    assert Assessment.objects.filter(agency=agency).count() == 1


def test_another_person_cannot_replay_a_token(client_for, agency, lead, catalog_version):
    """The token is kept per person: someone else's POST with it is a POST of its own."""
    client = client_for(lead)
    address = url("assessment_create", agency)
    token = _token(client.get(address))
    client.post(address, {"title": "2026", "catalog_version": catalog_version.pk, "once": token})
    other = Membership.objects.create(
        agency=agency, user=type(lead).objects.create_user("two@harbor.example", full_name="Two"),
        access=Membership.Access.LEAD,
    )  # fmt: skip

    client_for(other.user).post(
        address, {"title": "2027", "catalog_version": catalog_version.pk, "once": token}
    )

    assert Assessment.objects.filter(agency=agency).count() == 2


def test_every_page_loads_the_script_that_disables_a_posting_button(client_for, agency, lead):
    page = client_for(lead).get(url("assessment_create", agency)).content.decode()

    assert "js/muster.js" in page
