"""`manage.py agency_create`: an operator creates a real agency and invites its first lead."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from accounts.models import Agency, AuditEvent, Invitation, Membership
from tests.factories import AgencyFactory


def create(name: str = "Riverton Police Department", **options) -> str:
    out = StringIO()
    options = {
        "state": "OH",
        "lead": "Chief@Riverton.example",
        "site_url": "https://muster.example.org",
    } | options
    call_command("agency_create", name, stdout=out, **options)
    return out.getvalue()


def test_creates_the_agency_and_emails_its_lead_a_single_use_invitation(client, db):
    output = create(kind="law_enforcement")

    agency = Agency.objects.get(slug="riverton-police-department")
    assert (agency.name, agency.kind, agency.state) == (
        "Riverton Police Department",
        "law_enforcement",
        "OH",
    )
    invitation = Invitation.objects.get(agency=agency)
    assert (invitation.email, invitation.access) == (
        "chief@riverton.example",
        Membership.Access.LEAD,
    )
    assert mail.outbox[-1].to == ["chief@riverton.example"]
    link = re.search(
        r"https://muster\.example\.org(/invitations/\S+/)", mail.outbox[-1].body
    ).group(1)
    assert link not in output  # the token is in the email only
    assert "emailed chief@riverton.example" in output

    page = client.get(client.get(link).url)
    joined = client.post(page.request["PATH_INFO"], {
        "full_name": "Avery Stone", "password1": "a-long-passphrase-9", "password2": "a-long-passphrase-9",
    })  # fmt: skip
    assert joined.status_code == 302
    assert agency.memberships.get().access == Membership.Access.LEAD
    client.logout()
    assert client.get(link, follow=True).status_code == 410  # single-use


def test_the_creation_and_the_invitation_are_in_the_new_agencys_audit_log(db):
    create()

    agency = Agency.objects.get()
    actions = set(AuditEvent.objects.filter(agency=agency).values_list("action", flat=True))
    assert actions == {AuditEvent.Action.AGENCY_CREATED, AuditEvent.Action.INVITATION_SENT}
    created = AuditEvent.objects.get(action=AuditEvent.Action.AGENCY_CREATED)
    assert "created the agency Riverton Police Department" in created.summary
    assert created.details["operator"]


@pytest.mark.parametrize(
    ("name", "slug", "message"),
    [
        (
            "RIVERTON police department",
            "",
            "An agency named “Riverton Police Department” exists already",
        ),
        (
            "Riverton PD",
            "riverton-police-department",
            "the slug “riverton-police-department” exists already",
        ),
    ],
)
def test_a_duplicate_name_in_any_case_or_slug_is_refused_and_nothing_created(
    db, name, slug, message
):
    AgencyFactory(name="Riverton Police Department", slug="riverton-police-department")

    with pytest.raises(CommandError, match=message):
        create(name, slug=slug)

    assert Agency.objects.count() == 1
    assert not Invitation.objects.exists()
    assert not mail.outbox


def test_a_bad_state_or_email_is_refused_plainly(db):
    with pytest.raises(CommandError, match="Nothing was created"):
        create(state="ZZ")
    with pytest.raises(CommandError, match="Nothing was created"):
        create(lead="not-an-address")

    assert not Agency.objects.exists()
