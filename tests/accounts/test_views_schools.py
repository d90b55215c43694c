from __future__ import annotations

from django.urls import reverse

from accounts.models import School


def test_lead_adds_a_school(client_for, agency, lead):
    client = client_for(lead)

    response = client.post(
        reverse("school_create", args=[agency.slug]),
        {
            "name": "Harbor High",
            "district": "Harbor USD",
            "address": "1 Main St",
            "is_active": "on",
        },
    )

    assert response.status_code == 302
    assert agency.schools.get().name == "Harbor High"


def test_duplicate_school_name_is_shown_beside_the_form_and_nothing_is_saved(
    client_for, agency, lead, school
):
    response = client_for(lead).post(
        reverse("school_create", args=[agency.slug]), {"name": school.name.upper()}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["name"] == [
        "The agency already has a school of this name."
    ]
    assert agency.schools.count() == 1


def test_missing_name_is_reported_beside_the_field(client_for, agency, lead):
    response = client_for(lead).post(reverse("school_create", args=[agency.slug]), {"name": ""})

    assert response.status_code == 200
    assert response.context["form"].errors["name"] == ["This field is required."]
    assert not agency.schools.exists()


def test_lead_deactivates_a_school(client_for, agency, lead, school):
    client_for(lead).post(
        reverse("school_edit", args=[agency.slug, school.pk]), {"name": school.name}
    )

    school.refresh_from_db()
    assert not school.is_active


def test_editor_and_viewer_cannot_change_schools(client_for, agency, editor, viewer, school):
    for user in (editor, viewer):
        client = client_for(user)
        assert (
            client.post(reverse("school_create", args=[agency.slug]), {"name": "X"}).status_code
            == 403
        )
        assert (
            client.post(
                reverse("school_edit", args=[agency.slug, school.pk]), {"name": "X"}
            ).status_code
            == 403
        )
    assert list(School.objects.values_list("name", flat=True)) == [school.name]


def test_members_see_the_schools_and_their_sros(client_for, agency, viewer, sro, school):
    response = client_for(viewer).get(reverse("school_list", args=[agency.slug]))

    assert response.status_code == 200
    assert school.name in response.content.decode()
    assert sro.full_name in response.content.decode()
    assert "Add a school" not in response.content.decode()


def test_empty_state_tells_the_lead_what_to_do(client_for, agency, lead):
    response = client_for(lead).get(reverse("school_list", args=[agency.slug]))

    assert "No schools yet — add the schools your SROs serve" in response.content.decode()


def test_another_agencys_school_is_not_found_under_ours(client_for, agency, lead, other_agency):
    theirs = School.objects.create(agency=other_agency, name="Lakeside High")

    response = client_for(lead).get(reverse("school_edit", args=[agency.slug, theirs.pk]))

    assert response.status_code == 404


def test_school_list_queries_do_not_grow_with_schools(client_for, agency, lead, sro, count_queries):
    client = client_for(lead)
    url = reverse("school_list", args=[agency.slug])
    client.get(url)
    few = count_queries(lambda: client.get(url))
    for n in range(12):
        School.objects.create(agency=agency, name=f"School {n}").memberships.add(
            sro.memberships.get()
        )

    assert count_queries(lambda: client.get(url)) == few
