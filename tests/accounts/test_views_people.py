from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation, Membership, Role, User
from tests.factories import MembershipFactory, UserFactory
from tests.helpers import PASSWORD


@pytest.fixture
def role(db):
    """The shipped catalog's role (loaded for the session), or the same made here after a flush."""
    return Role.objects.get_or_create(
        slug="school-resource-officer", defaults={"name": "School resource officer"}
    )[0]


def invite(client, agency, **data):
    form = {"email": "new.sro@harbor.example", "access": Membership.Access.VIEWER} | data
    return client.post(reverse("people_invite", args=[agency.slug]), form)


def invitation_link() -> str:
    return re.search(r"https?://\S+/invitations/\S+/", mail.outbox[-1].body).group(0)


def opened(client, link: str) -> str:
    """Open the emailed link as a browser does: the page it leads to, without the token."""
    return client.get(link).url


def test_lead_invites_and_the_new_person_joins_with_access_roles_and_schools(
    client_for, client, agency, lead, school, role, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(
            client_for(lead),
            agency,
            access="sro",
            roles=[role.pk],
            schools=[school.pk],
            email="New.SRO@harbor.example",
        )
    assert response.status_code == 302
    assert mail.outbox[-1].to == ["new.sro@harbor.example"]
    link = invitation_link()
    client.logout()

    response = client.post(
        opened(client, link),
        {
            "full_name": "Jo Park",
            "job_title": "SRO",
            "password1": "a-long-passphrase-9",
            "password2": "a-long-passphrase-9",
        },
    )

    assert response.status_code == 302
    membership = Membership.objects.get(user__email="new.sro@harbor.example")
    assert (membership.agency, membership.access) == (agency, "sro")
    assert list(membership.roles.all()) == [role]
    assert list(membership.schools.all()) == [school]
    assert client.get(reverse("agency_detail", args=[agency.slug])).status_code == 200


def test_invitation_link_works_once(
    client_for, client, agency, lead, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invite(client_for(lead), agency)
    link = invitation_link()
    client.logout()
    data = {
        "full_name": "Jo",
        "password1": "a-long-passphrase-9",
        "password2": "a-long-passphrase-9",
    }
    client.post(opened(client, link), data)
    client.logout()

    assert client.get(link, follow=True).status_code == 410
    assert client.post(opened(client, link), data).status_code == 410
    assert User.objects.filter(email="new.sro@harbor.example").count() == 1


def test_expired_invitation_is_refused(
    client_for, client, agency, lead, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invite(client_for(lead), agency)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    client.logout()

    response = client.get(invitation_link(), follow=True)

    assert response.status_code == 410
    assert "no longer works" in response.content.decode()


def test_weak_password_is_refused_beside_the_field_and_nothing_is_created(
    client_for, client, agency, lead, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invite(client_for(lead), agency)
    client.logout()

    response = client.post(
        opened(client, invitation_link()),
        {"full_name": "Jo", "password1": "password", "password2": "password"},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["password1"]
    assert not User.objects.filter(email="new.sro@harbor.example").exists()
    assert Invitation.objects.pending().count() == 1


def test_existing_user_accepts_after_signing_in(
    client_for, agency, lead, other_agency, django_capture_on_commit_callbacks
):
    person = MembershipFactory(
        agency=other_agency, user=UserFactory(email="new.sro@harbor.example")
    ).user
    with django_capture_on_commit_callbacks(execute=True):
        invite(client_for(lead), agency, access="editor")
    link = invitation_link()
    client = client_for(person)

    page = opened(client, link)
    assert "Join Harbor City Police Department" in client.get(page).content.decode()
    client.post(page)

    assert person.memberships.get(agency=agency).access == "editor"
    assert person.memberships.count() == 2


def test_someone_else_signed_in_cannot_take_the_invitation(
    client_for, agency, lead, viewer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invite(client_for(lead), agency)
    link = invitation_link()

    signed_in = client_for(viewer)
    response = signed_in.post(opened(signed_in, link))

    assert response.status_code == 400
    assert "was sent to new.sro@harbor.example" in response.content.decode()
    assert Invitation.objects.pending().count() == 1


def test_sro_invitation_needs_schools(client_for, agency, lead):
    response = invite(client_for(lead), agency, access="sro")

    assert response.status_code == 200
    assert response.context["form"].errors["schools"]
    assert not Invitation.objects.exists()


def test_inviting_a_member_again_is_refused(client_for, agency, lead, viewer):
    response = invite(client_for(lead), agency, email=viewer.email)

    assert "already a member" in response.content.decode()
    assert not Invitation.objects.exists()


def test_a_new_invitation_replaces_the_open_one(client_for, agency, lead):
    client = client_for(lead)
    invite(client, agency)
    invite(client, agency, access="editor")

    assert Invitation.objects.count() == 2
    assert list(Invitation.objects.pending().values_list("access", flat=True)) == ["editor"]


def test_lead_withdraws_an_invitation(client_for, agency, lead):
    client = client_for(lead)
    invite(client, agency)
    invitation = Invitation.objects.get()

    client.post(reverse("people_invitation_revoke", args=[agency.slug, invitation.pk]))

    assert not Invitation.objects.pending().exists()


def test_only_a_lead_invites(client_for, agency, editor, sro, viewer):
    for user in (editor, sro, viewer):
        assert invite(client_for(user), agency).status_code == 403
    assert not Invitation.objects.exists()


def test_lead_sets_access_roles_and_schools(client_for, agency, lead, viewer, school, role):
    membership = viewer.memberships.get()

    response = client_for(lead).post(
        reverse("people_edit", args=[agency.slug, membership.pk]),
        {"access": "sro", "roles": [role.pk], "schools": [school.pk]},
    )

    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.access == "sro"
    assert list(membership.schools.all()) == [school]


def test_schools_of_another_agency_cannot_be_given(client_for, agency, lead, viewer, other_agency):
    theirs = other_agency.schools.create(name="Lakeside High")
    membership = viewer.memberships.get()

    response = client_for(lead).post(
        reverse("people_edit", args=[agency.slug, membership.pk]),
        {"access": "sro", "schools": [theirs.pk]},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["schools"]
    assert not membership.schools.exists()


def test_the_last_lead_cannot_step_down(client_for, agency, lead):
    membership = lead.memberships.get()

    response = client_for(lead).post(
        reverse("people_edit", args=[agency.slug, membership.pk]), {"access": "viewer"}
    )

    assert "at least one lead" in response.content.decode()
    membership.refresh_from_db()
    assert membership.access == "lead"


def test_lead_removes_a_member_but_not_the_last_lead(client_for, agency, lead, viewer):
    client = client_for(lead)

    client.post(reverse("people_remove", args=[agency.slug, viewer.memberships.get().pk]))
    response = client.post(reverse("people_remove", args=[agency.slug, lead.memberships.get().pk]))

    assert not Membership.objects.filter(user=viewer).exists()
    assert response.status_code == 400
    assert Membership.objects.filter(user=lead).exists()
    assert User.objects.filter(pk=viewer.pk).exists()


def test_members_see_people_but_only_leads_see_controls(client_for, agency, lead, viewer):
    page = client_for(viewer).get(reverse("people", args=[agency.slug])).content.decode()

    assert lead.full_name in page
    assert "Invite someone" not in page
    assert (
        "Invite someone"
        in client_for(lead).get(reverse("people", args=[agency.slug])).content.decode()
    )


def test_person_in_two_agencies_chooses_and_switches(client_for, agency, other_agency, viewer):
    MembershipFactory(agency=other_agency, user=viewer)
    client = client_for(viewer)

    home = client.get(reverse("home")).content.decode()

    assert agency.get_absolute_url() in home
    assert other_agency.get_absolute_url() in home
    assert client.get(reverse("agency_detail", args=[other_agency.slug])).status_code == 200


def test_single_agency_member_lands_on_their_agency(client_for, agency, viewer):
    assert client_for(viewer).get(reverse("home")).url == agency.get_absolute_url()


def test_people_page_queries_do_not_grow_with_people(
    client_for, agency, lead, school, role, count_queries
):
    client = client_for(lead)
    url = reverse("people", args=[agency.slug])

    def add_people(n: int) -> None:
        for _ in range(n):
            membership = MembershipFactory(agency=agency, access="sro")
            membership.roles.add(role)
            membership.schools.add(school)
            invite(client, agency, email=f"invited{membership.pk}@agency.example")

    add_people(1)
    client.get(url)
    one = count_queries(lambda: client.get(url))
    add_people(10)

    assert count_queries(lambda: client.get(url)) == one


def test_the_invitation_link_swaps_its_token_for_the_session_and_a_clean_url(
    client_for, client, agency, lead, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invite(client_for(lead), agency)
    link = invitation_link()
    token = link.rstrip("/").rsplit("/", 1)[1]
    client.logout()

    response = client.get(link)

    assert response.status_code == 302
    assert response.url == reverse("invitation_accept")
    assert token not in response.url
    page = client.get(response.url)
    assert page.status_code == 200
    assert token not in page.content.decode()  # nor in any link or form action on the page


def test_an_invalid_token_fails_plainly_on_the_clean_page(client, db):
    response = client.get(reverse("invitation_link", args=["made-up-token"]), follow=True)

    assert response.redirect_chain == [(reverse("invitation_accept"), 302)]
    assert response.status_code == 410
    assert "no longer works" in response.content.decode()


def test_the_clean_page_without_an_opened_link_is_refused(client, db):
    assert client.get(reverse("invitation_accept")).status_code == 410


def test_a_person_with_an_account_opens_the_link_signs_in_and_comes_back_to_accept(
    client_for, client, agency, lead, other_agency, django_capture_on_commit_callbacks
):
    person = MembershipFactory(
        agency=other_agency, user=UserFactory(email="new.sro@harbor.example")
    ).user
    with django_capture_on_commit_callbacks(execute=True):
        invite(client_for(lead), agency, access="editor")
    link = invitation_link()
    client.logout()

    page = client.get(opened(client, link))
    assert "Sign in to accept" in page.content.decode()
    signed_in = client.post(
        f"{reverse('login')}?next={reverse('invitation_accept')}",
        {"username": person.email, "password": PASSWORD},
    )
    assert signed_in.url == reverse("invitation_accept")  # the token is still in the session
    client.post(signed_in.url)

    assert person.memberships.get(agency=agency).access == "editor"


def test_a_lead_sets_the_agencys_time_zone(client_for, agency, lead):
    response = client_for(lead).post(
        reverse("agency_settings", args=[agency.slug]),
        {"name": agency.name, "jurisdiction": "", "state": "", "time_zone": "America/Los_Angeles"},
    )

    assert response.status_code == 302
    agency.refresh_from_db()
    assert agency.time_zone == "America/Los_Angeles"
    assert str(agency.zone) == "America/Los_Angeles"


def test_an_unknown_time_zone_is_refused_beside_its_field(client_for, agency, lead):
    response = client_for(lead).post(
        reverse("agency_settings", args=[agency.slug]),
        {"name": agency.name, "jurisdiction": "", "state": "", "time_zone": "Mars/Olympus"},
    )

    assert "time_zone" in response.context["form"].errors
    agency.refresh_from_db()
    assert agency.time_zone == "America/New_York"
