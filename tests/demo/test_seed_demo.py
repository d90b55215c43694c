from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.models import Agency, Membership, School, User
from checklists.models import Response, ReviewComment
from notifications.calendar import calendar_feed
from notifications.models import Kind, Preference


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", "--force", stdout=out)  # the test settings have DEBUG off
    return out.getvalue()


def counts() -> tuple[int, ...]:
    return tuple(model.objects.count() for model in (Agency, School, User, Membership))


def test_demo_has_every_access_level_three_schools_and_a_second_agency(catalog_version):
    output = seed()

    harbor = Agency.objects.get(slug="harbor-city-pd")
    assert harbor.schools.count() == 3
    assert set(harbor.memberships.values_list("access", flat=True)) == set(Membership.Access.values)
    sros = harbor.memberships.filter(access="sro")
    assert [m.schools.count() for m in sros] == [1, 2]
    assert not set(sros[0].schools.all()) & set(sros[1].schools.all())
    assert Agency.objects.count() == 2
    assert "chief@harbor.example" in output
    assert "harbor-demo-2026" in output
    assert User.objects.get(email="chief@harbor.example").memberships.get().roles.exists()


def test_the_second_agencys_dashboard_shows_its_ten_schools_furthest_behind(
    client, catalog_version
):
    seed()
    client.force_login(User.objects.get(email="sheriff@lakeside.example"))

    page = client.get(reverse("agency_detail", args=["lakeside-county-so"]))

    lakeside = Agency.objects.get(slug="lakeside-county-so")
    assert lakeside.schools.count() == 14
    assert lakeside.assessments.get().responses.exclude(status="not_started").exists()
    assert page.context["schools_furthest_behind"]
    assert len(page.context["schools"]) == 10
    assert "Readiness of all 14 schools" in page.content.decode()


def test_demo_can_sign_in(client, catalog_version):
    seed()

    response = client.post(
        reverse("login"), {"username": "chief@harbor.example", "password": "harbor-demo-2026"}
    )

    assert response.status_code == 302  # signed in and sent on


def test_second_run_changes_nothing(catalog_version):
    seed()
    before = counts()

    output = seed()

    assert counts() == before
    assert "up to date" in output


def test_seed_demo_is_refused_on_a_server_with_debug_off(db, settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="--force"):
        call_command("seed_demo", stdout=StringIO())

    assert counts() == (0, 0, 0, 0)


def test_seed_demo_runs_with_debug_on(catalog_version, settings):
    settings.DEBUG = True

    call_command("seed_demo", stdout=StringIO())

    assert Agency.objects.filter(slug="harbor-city-pd").exists()


def test_the_coordinator_has_items_due_this_week_in_the_bell_and_the_calendar(catalog_version):
    seed()

    coordinator = User.objects.get(email="training@harbor.example")
    assigned = coordinator.notifications.filter(kind=Kind.ASSIGNED)
    assert assigned.count() == 3
    assert assigned.unread().count() == 2
    assert calendar_feed(coordinator).count(b"BEGIN:VEVENT") >= 3
    assert Preference.objects.get(user__email="chief@harbor.example").digest == "weekly"
    chief = User.objects.get(email="chief@harbor.example")
    assert chief.notifications.filter(kind=Kind.SIGNED_OFF).count() == 0  # they signed it
    assert coordinator.notifications.filter(kind=Kind.SIGNED_OFF).count() == 1


def test_demo_shows_review_comments_supporting_documents_and_sensible_counts(catalog_version):
    seed()

    harbor = Agency.objects.get(slug="harbor-city-pd")
    this_year = harbor.assessments.get(title="2026 annual assessment")
    open_comments = ReviewComment.objects.filter(response__assessment=this_year).unresolved()
    assert open_comments.count() == 2
    assert all(c.response.owner is not None for c in open_comments)
    assert this_year.responses.get(item__code="LER-12").attachments.filter(prompt_key="").exists()
    last_year = harbor.assessments.get(title="2025 annual assessment")
    signed = json.loads(last_year.sign_offs.get().snapshot)
    assert any(r["comments"] for r in signed["responses"])
    for response in Response.objects.filter(item__code="LER-02", assessment__agency=harbor):
        answers = response.answers
        if "sworn_total" in answers:
            assert int(answers["officers_trained"]) <= int(answers["sworn_total"])
