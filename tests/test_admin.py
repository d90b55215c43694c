from __future__ import annotations

import time
from binascii import unhexlify
from datetime import datetime

import pytest
from django.apps import apps
from django.contrib import admin
from django.forms.models import model_to_dict
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from accounts.models import AuditEvent
from checklists.models import Assessment
from tests.factories import MembershipFactory

OUR_APPS = ("accounts", "checklists", "training", "exercises")
# History rows are shown through their model's admin (SimpleHistoryAdmin), not on their own.
MODELS = [
    m
    for app in OUR_APPS
    for m in apps.get_app_config(app).get_models()
    if not m.__name__.startswith("Historical")
]


@pytest.mark.parametrize("model", MODELS, ids=str)
def test_every_model_is_in_the_admin(model):
    assert admin.site.is_registered(model)


@pytest.mark.parametrize("model", MODELS, ids=str)
def test_admin_list_pages_open_with_search(admin_client, catalog_version, agency, lead, model):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")

    assert admin_client.get(url, {"q": "a"}).status_code == 200


# The admin needs a second factor, and its changes land in the agency's audit log (issue 13).


def test_a_superuser_without_a_second_factor_is_kept_out_and_sent_to_set_it_up(client, admin_user):
    client.force_login(admin_user)

    response = client.get(reverse("admin:index"), follow=True)

    assert response.redirect_chain[-1][0] == reverse("two_factor_settings")
    assert "The admin needs two-factor sign-in" in response.content.decode()
    assert client.get(reverse("admin:accounts_agency_changelist")).status_code == 302


def test_the_admin_signs_in_through_muster_with_the_code_step(client, admin_user):
    anonymous = client.get(reverse("admin:index"), follow=True)
    assert anonymous.redirect_chain[-1][0].startswith(reverse("login"))

    key = random_hex(20)
    TOTPDevice.objects.create(user=admin_user, name="app", key=key, confirmed=True)
    client.post(reverse("login"), {"username": admin_user.email, "password": "admin-password-1"})
    assert client.get(reverse("admin:index")).url.startswith(reverse("two_factor_verify"))
    totp = TOTP(unhexlify(key))
    totp.time = time.time()
    client.post(reverse("two_factor_verify"), {"code": f"{totp.token():06d}"})

    assert client.get(reverse("admin:index")).status_code == 200


def admin_post(client, obj, **changes):
    """Save `obj`'s admin change form with `changes`, as a superuser would."""
    data = {}
    for name, value in model_to_dict(obj).items():
        if isinstance(value, datetime):  # the admin's split date and time inputs
            data[f"{name}_0"], data[f"{name}_1"] = value.date(), value.strftime("%H:%M:%S")
        else:
            data[name] = "" if value is None else value
    opts = obj._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    return client.post(url, data | changes)


def test_an_admin_edit_of_an_assessment_is_in_its_agencys_audit_log(
    admin_client, admin_user, agency, other_agency, assessment
):
    assessment.state = Assessment.State.SIGNED_OFF
    assessment.save()

    response = admin_post(admin_client, assessment, state=Assessment.State.DRAFT)

    assert response.status_code == 302
    event = AuditEvent.objects.get(action=AuditEvent.Action.ADMIN_CHANGED)
    assert (event.agency, event.actor, event.target_id) == (agency, admin_user, str(assessment.pk))
    assert "changed assessment" in event.summary
    assert "State" in event.summary
    assert not AuditEvent.objects.filter(agency=other_agency).exists()


def test_admin_additions_and_deletions_deep_in_an_agency_are_in_its_audit_log(
    admin_client, admin_user, agency, school, lead
):
    membership = lead.memberships.get()
    delete = reverse("admin:accounts_membership_delete", args=[membership.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 302
    add = reverse("admin:accounts_school_add")
    assert (
        admin_client.post(
            add,
            {
                "agency": agency.pk,
                "name": "Westside Middle",
                "district": "",
                "address": "",
                "is_active": "on",
            },
        ).status_code
        == 302
    )

    events = AuditEvent.objects.filter(agency=agency, action=AuditEvent.Action.ADMIN_CHANGED)
    assert sorted(e.details["verb"] for e in events) == ["added", "deleted"]
    assert {e.actor for e in events} == {admin_user}


def test_admin_changes_to_a_person_land_in_each_of_their_agencies_logs(
    admin_client, agency, other_agency, lead
):
    MembershipFactory(agency=other_agency, user=lead)
    device = TOTPDevice.objects.create(user=lead, name="app", confirmed=True)

    delete = reverse("admin:otp_totp_totpdevice_delete", args=[device.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 302

    events = AuditEvent.objects.filter(action=AuditEvent.Action.ADMIN_CHANGED)
    assert {e.agency for e in events} == {agency, other_agency}
