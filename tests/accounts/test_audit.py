"""The audit log: what is recorded for accounts, that nobody can change it, and the lead's page."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from django.apps import apps
from django.core import mail
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts.audit import record
from accounts.models import AuditEvent, Invitation, Membership, User
from accounts.services import invitation_accept, invitation_create, school_create
from tests.factories import UserFactory
from tests.helpers import PASSWORD, the_event

A = AuditEvent.Action


def events(action, **filters):
    return list(AuditEvent.objects.filter(action=action, **filters))


# Sign-in, sign-out, lockout ---------------------------------------------------------------------


def test_sign_in_is_recorded_with_the_address_and_browser(client, agency, lead):
    client.post(
        reverse("login"),
        {"username": lead.email, "password": PASSWORD},
        HTTP_USER_AGENT="Mozilla/5.0 " + "x" * 400,
        REMOTE_ADDR="203.0.113.7",
    )

    event = the_event(A.LOGIN)
    assert (event.agency, event.actor, event.actor_email) == (agency, lead, lead.email)
    assert event.ip_address == "203.0.113.7"
    assert event.user_agent == ("Mozilla/5.0 " + "x" * 400)[:300]


def test_failed_sign_in_keeps_the_address_tried_and_never_the_password(client, agency, lead):
    client.post(reverse("login"), {"username": lead.email, "password": "hunter2-the-secret"})

    event = the_event(A.LOGIN_FAILED)
    assert (event.agency, event.actor, event.actor_email) == (agency, None, lead.email)
    assert (event.target_type, event.target_id) == ("accounts.user", str(lead.pk))
    stored = AuditEvent.objects.filter(pk=event.pk).values().get()
    assert "hunter2" not in str(stored)


def test_failed_sign_in_for_an_unknown_address_belongs_to_no_agency(client, agency, lead):
    client.post(reverse("login"), {"username": "Nobody@Example.org", "password": "x"})

    event = the_event(A.LOGIN_FAILED)
    assert (event.agency, event.actor_email, event.target_id) == (None, "nobody@example.org", "")


def test_sign_in_of_a_member_of_two_agencies_is_in_both_logs(client, agency, other_agency, lead):
    Membership.objects.create(user=lead, agency=other_agency, access=Membership.Access.VIEWER)

    client.post(reverse("login"), {"username": lead.email, "password": PASSWORD})

    assert {e.agency for e in events(A.LOGIN)} == {agency, other_agency}


def test_sign_out_is_recorded(client_for, agency, lead):
    client_for(lead).post(reverse("logout"))

    assert the_event(A.LOGOUT).actor == lead


@pytest.mark.skipif(not apps.is_installed("axes"), reason="django-axes is not configured")
def test_a_lockout_is_recorded(agency, lead):
    from axes.signals import user_locked_out

    request = RequestFactory().post("/accounts/login/", REMOTE_ADDR="198.51.100.9")
    user_locked_out.send("axes", request=request, username=lead.email, ip_address="198.51.100.9")

    event = the_event(A.LOCKED_OUT)
    assert (event.agency, event.actor_email, event.ip_address) == (
        agency,
        lead.email,
        "198.51.100.9",
    )


def test_a_password_change_is_recorded(client_for, agency, lead):
    client_for(lead).post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-new-long-passphrase",
            "new_password2": "a-new-long-passphrase",
        },
    )

    event = the_event(A.PASSWORD_CHANGED)
    assert (event.agency, event.actor) == (agency, lead)
    assert "passphrase" not in str(event.details) + event.summary


def test_a_password_reset_by_email_link_is_recorded(client, agency, lead):
    client.post(reverse("password_reset"), {"email": lead.email})
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)

    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a-new-long-passphrase", "new_password2": "a-new-long-passphrase"},
    )

    assert the_event(A.PASSWORD_RESET).actor == lead


# Invitations, access, agency and schools --------------------------------------------------------


def test_invitation_sent_and_withdrawn_are_recorded(client_for, agency, lead, school):
    client = client_for(lead)
    client.post(
        reverse("people_invite", args=[agency.slug]),
        {"email": "new@harbor.example", "access": "sro", "schools": [school.pk]},
    )
    invitation = Invitation.objects.get()
    client.post(reverse("people_invitation_revoke", args=[agency.slug, invitation.pk]))

    sent = the_event(A.INVITATION_SENT)
    assert (sent.actor, sent.target_id, sent.details["schools"]) == (
        lead,
        str(invitation.pk),
        [school.name],
    )
    assert the_event(A.INVITATION_REVOKED).actor == lead


def test_accepting_an_invitation_records_it_and_the_new_membership(agency, lead):
    _, token = invitation_create(
        agency=agency, email="new@harbor.example", access="editor", invited_by=lead
    )
    newcomer = UserFactory(email="new@harbor.example")

    invitation_accept(token=token, user=newcomer)

    assert the_event(A.INVITATION_ACCEPTED).actor == newcomer
    created = the_event(A.MEMBERSHIP_CREATED)
    assert (created.agency, created.details["access"]) == (agency, "editor")


def test_access_change_records_old_and_new(client_for, agency, lead, editor, school):
    membership = editor.memberships.get()

    client_for(lead).post(
        reverse("people_edit", args=[agency.slug, membership.pk]),
        {"access": "sro", "schools": [school.pk]},
    )

    event = the_event(A.MEMBERSHIP_CHANGED)
    assert event.details["changes"] == {
        "access": ["editor", "sro"],
        "schools": [[], [school.name]],
    }
    assert "access: editor → sro" in event.summary


def test_removing_a_member_is_recorded(client_for, agency, lead, viewer):
    membership = viewer.memberships.get()

    client_for(lead).post(reverse("people_remove", args=[agency.slug, membership.pk]))

    event = the_event(A.MEMBERSHIP_REMOVED)
    assert (event.actor, event.details["email"], event.details["access"]) == (
        lead,
        viewer.email,
        "viewer",
    )


def test_agency_settings_change_records_old_and_new(client_for, agency, lead):
    client_for(lead).post(
        reverse("agency_settings", args=[agency.slug]),
        {
            "name": "Harbor City PD",
            "jurisdiction": agency.jurisdiction,
            "state": agency.state,
            "time_zone": agency.time_zone,
        },
    )

    event = the_event(A.AGENCY_CHANGED)
    assert event.details["changes"] == {"name": ["Harbor City Police Department", "Harbor City PD"]}


def test_school_added_changed_and_archived_are_recorded(client_for, agency, lead):
    client = client_for(lead)
    client.post(
        reverse("school_create", args=[agency.slug]), {"name": "Lincoln", "is_active": "on"}
    )
    school = agency.schools.get()
    edit = reverse("school_edit", args=[agency.slug, school.pk])
    client.post(edit, {"name": "Lincoln Middle", "is_active": "on"})
    client.post(edit, {"name": "Lincoln Middle"})

    assert the_event(A.SCHOOL_ADDED).target_id == str(school.pk)
    assert the_event(A.SCHOOL_CHANGED).details["changes"] == {"name": ["Lincoln", "Lincoln Middle"]}
    assert the_event(A.SCHOOL_ARCHIVED).details["changes"] == {"is_active": [True, False]}


def test_an_operation_that_rolls_back_leaves_no_event(agency, lead):
    def build_then_fail():
        with transaction.atomic():
            school_create(agency=agency, by=lead, name="Never Built")
            raise RuntimeError("the rest of the operation failed")

    with pytest.raises(RuntimeError):
        build_then_fail()

    assert not AuditEvent.objects.filter(action=A.SCHOOL_ADDED).exists()


# Nobody changes the log --------------------------------------------------------------------------


@pytest.fixture
def event(agency, lead):
    return record(A.SCHOOL_ADDED, agency=agency, actor=lead, summary="Added a school")


def test_the_orm_refuses_to_change_or_delete_an_event(event):
    event.summary = "Nothing happened"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        AuditEvent.objects.filter(pk=event.pk).update(summary="Nothing happened")
    with pytest.raises(TypeError):
        AuditEvent.objects.filter(pk=event.pk).delete()


# Every column the database must keep, and an SQL value that would change it.
CHANGES = {
    "id": "id + 1000",
    "at": "'2000-01-01 00:00:00+00'",
    "agency_id": "{other_agency}",
    "actor_id": "{other_user}",  # another actor: only clearing it (SET_NULL) is allowed
    "actor_email": "'someone@else.example'",
    "action": "'logout'",
    "summary": "'Nothing happened'",
    "target_type": "'x'",
    "target_id": "'x'",
    "ip_address": "'192.0.2.1'",
    "user_agent": "'x'",
    "details": "'{{\"forged\": true}}'",
}


def test_the_table_has_no_column_the_trigger_test_forgets():
    assert {f.column for f in AuditEvent._meta.concrete_fields} == set(CHANGES)


@pytest.mark.parametrize(("column", "value"), CHANGES.items())
def test_the_database_refuses_to_update_any_column(event, other_agency, column, value):
    before = AuditEvent.objects.values().get()
    value = value.format(other_agency=other_agency.pk, other_user=UserFactory().pk)

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE accounts_auditevent SET {column} = {value}")  # noqa: S608

    assert AuditEvent.objects.values().get() == before


def test_the_database_refuses_to_delete_an_event(event):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM accounts_auditevent")

    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_deleting_a_person_keeps_their_events_under_their_email(event, lead):
    Membership.objects.filter(user=lead).delete()
    User.objects.filter(pk=lead.pk).delete()

    kept = AuditEvent.objects.get(pk=event.pk)
    assert (kept.actor, kept.actor_email, kept.person) == (None, lead.email, lead.email)


def test_the_admin_shows_the_log_read_only_even_to_a_superuser(admin_client, event):
    change = reverse("admin:accounts_auditevent_change", args=[event.pk])

    assert admin_client.get(reverse("admin:accounts_auditevent_add")).status_code == 403
    assert (
        admin_client.get(reverse("admin:accounts_auditevent_delete", args=[event.pk])).status_code
        == 403
    )
    assert admin_client.post(change, {"summary": "Nothing happened"}).status_code == 403
    assert "Added a school" in admin_client.get(change).content.decode()
    assert AuditEvent.objects.get(pk=event.pk).summary == event.summary


# The lead's page ---------------------------------------------------------------------------------


def log_url(agency, **query) -> str:
    from urllib.parse import urlencode

    return reverse("audit_log", args=[agency.slug]) + (f"?{urlencode(query)}" if query else "")


@pytest.mark.parametrize("who", ["editor", "sro", "viewer"])
def test_only_a_lead_sees_the_log(client_for, agency, request, who):
    client = client_for(request.getfixturevalue(who))

    assert client.get(log_url(agency)).status_code == 403
    assert client.get(reverse("audit_log_export", args=[agency.slug])).status_code == 403


def test_the_log_lists_the_agencys_events_newest_first_and_never_anothers(
    client_for, agency, lead, other_agency, outsider
):
    record(A.SCHOOL_ADDED, agency=agency, actor=lead, summary="Added Harbor High")
    record(A.SCHOOL_ADDED, agency=agency, actor=lead, summary="Added Bayview")
    record(A.SCHOOL_ADDED, agency=other_agency, actor=outsider, summary="Added Lakeside High")
    record(A.LOGIN_FAILED, actor_email="nobody@example.org", summary="Failed sign-in as nobody")

    page = client_for(lead).get(log_url(agency)).content.decode()

    assert page.index("Added Bayview") < page.index("Added Harbor High")
    assert "Lakeside" not in page
    assert "nobody@example.org" not in page


def test_the_log_filters_by_action_person_and_dates(client_for, agency, lead, editor):
    record(A.SCHOOL_ADDED, agency=agency, actor=editor, summary="Added Old School")
    record(A.SCHOOL_ADDED, agency=agency, actor=lead, summary="Added New School")
    record(A.AGENCY_CHANGED, agency=agency, actor=lead, summary="Renamed the agency")
    client = client_for(lead)
    today = timezone.localdate()

    by_action = client.get(log_url(agency, action="agency_changed")).content.decode()
    by_person = client.get(log_url(agency, person=editor.email)).content.decode()
    tomorrow = client.get(log_url(agency, since=today + timedelta(days=1)))
    yesterday = client.get(log_url(agency, until=today - timedelta(days=1)))
    today_only = client.get(log_url(agency, since=today, until=today))

    assert "Renamed the agency" in by_action
    assert "Added New School" not in by_action
    assert "Added Old School" in by_person
    assert "Added New School" not in by_person
    assert tomorrow.context["page"].paginator.count == 0
    assert yesterday.context["page"].paginator.count == 0
    assert today_only.context["page"].paginator.count == agency.audit_events.count()


def test_bad_dates_are_explained_beside_their_fields(client_for, agency, lead):
    client = client_for(lead)

    unreadable = client.get(log_url(agency, since="last tuesday"))
    backwards = client.get(log_url(agency, since="2026-05-02", until="2026-05-01"))

    assert unreadable.status_code == 400
    assert unreadable.context["form"].errors["since"] == ["Enter a valid date."]
    assert backwards.context["form"].errors["until"] == [
        "Choose a date on or after the start date."
    ]
    assert 'id="error_1_id_until"' in backwards.content.decode()


def test_the_log_pages_by_fifty_with_the_same_number_of_queries(
    client_for, agency, lead, count_queries
):
    client = client_for(lead)
    client.get(log_url(agency))  # the session settles on the first page
    for n in range(3):
        record(A.SCHOOL_ADDED, agency=agency, actor=lead, summary=f"Added school {n}")
    few = count_queries(lambda: client.get(log_url(agency)))
    for n in range(60):
        record(A.SCHOOL_ADDED, agency=agency, actor=UserFactory(), summary=f"Added school {n}")

    response = client.get(log_url(agency))
    many = count_queries(lambda: client.get(log_url(agency)))

    assert len(response.context["page"].object_list) == 50
    assert many == few


def test_csv_export_holds_the_filtered_events_with_formulas_neutralised(
    client_for, agency, lead, other_agency, outsider
):
    record(A.LOGIN_FAILED, agency=agency, actor_email="=cmd|'/c calc'!A1", summary="Failed")
    record(A.SCHOOL_ADDED, agency=agency, actor=lead, summary="Added Harbor High")
    record(A.SCHOOL_ADDED, agency=other_agency, actor=outsider, summary="Added Lakeside High")
    client = client_for(lead)

    response = client.get(
        reverse("audit_log_export", args=[agency.slug]), {"action": "login_failed"}
    )
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert [(r["action"], r["email"]) for r in rows] == [("login_failed", "'=cmd|'/c calc'!A1")]
    exported = the_event(A.AUDIT_LOG_EXPORTED)
    assert (exported.agency, exported.actor, exported.details) == (
        agency,
        lead,
        {"filters": {"action": "login_failed"}},
    )
