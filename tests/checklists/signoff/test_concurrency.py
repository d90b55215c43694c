"""Two leads signing off one assessment at the same instant make exactly one sign-off.

Real threads, each with its own database connection, committing for real (`transaction=True`);
see tests/checklists/assessments/test_concurrency.py. The reports are not what is raced here:
their renders are queued on the tests' dummy backend and never run.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from accounts.models import Membership
from checklists.models import Assessment, SignOff
from checklists.signoff.services import assessment_sign_off, assessment_submit
from tests.factories import MembershipFactory, UserFactory
from tests.helpers import PASSWORD, no_errors, together

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def two_leads(complete_assessment, lead):
    second = MembershipFactory(
        agency=complete_assessment.agency,
        access=Membership.Access.LEAD,
        user=UserFactory(email="deputy@harbor.example", full_name="Sam Ortiz"),
    ).user
    assessment_submit(assessment=complete_assessment, by=lead)
    return lead, second


def test_two_leads_signing_at_once_make_one_sign_off(complete_assessment, two_leads):
    def sign(index: int) -> SignOff:
        return assessment_sign_off(
            assessment=complete_assessment,
            by=two_leads[index],
            typed_name=two_leads[index].full_name,
            typed_title="Chief of Police",
            attest=True,
            password=PASSWORD,
        )

    outcomes = together(2, sign)

    signed = [o for o in outcomes if isinstance(o, SignOff)]
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert (len(signed), len(refused)) == (1, 1), outcomes
    assert "already been signed off" in refused[0].messages[0]
    assert SignOff.objects.get() == signed[0]
    assert signed[0].reports.count() == 2
    complete_assessment.refresh_from_db()
    assert complete_assessment.state == Assessment.State.SIGNED_OFF


def test_two_leads_signing_at_once_through_the_page(complete_assessment, two_leads):
    agency = complete_assessment.agency
    page = reverse("assessment_sign_off", args=[agency.slug, complete_assessment.pk])
    clients = []
    for user in two_leads:
        client = Client()
        client.force_login(user)
        clients.append(client)

    def sign(index: int):
        return clients[index].post(
            page,
            {
                "typed_name": two_leads[index].full_name,
                "typed_title": "Chief of Police",
                "attest": "on",
                "password": PASSWORD,
            },
        )

    outcomes = no_errors(together(2, sign))

    # The winner goes to the reports; the other lead back to the sign-off page, which now says
    # who signed and when, with "already signed off" said once (issue 12).
    destinations = sorted(answer.url for answer in outcomes)
    reports = reverse("assessment_reports", args=[agency.slug, complete_assessment.pk])
    assert [answer.status_code for answer in outcomes] == [302, 302]
    assert destinations == sorted([page, reports])
    assert SignOff.objects.count() == 1
