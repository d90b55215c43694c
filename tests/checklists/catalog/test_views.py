from __future__ import annotations

from django.urls import reverse

from checklists.catalog.services import catalog_load
from tests.helpers import MINIMAL


def test_catalog_list_shows_the_newest_version(client_for, viewer, catalog_version):
    page = client_for(viewer).get(reverse("catalog_list")).content.decode()

    assert "Law Enforcement Response" in page
    assert "26 items in 7 sections" in page


def test_browser_shows_sections_items_roles_sources_and_figures(
    client_for, viewer, catalog_version
):
    response = client_for(viewer).get(
        reverse("catalog_detail", args=["rand-law-enforcement-response"])
    )
    page = response.content.decode()

    assert response.status_code == 200
    for section in catalog_version.sections.all():
        assert section.title in page
    for code in catalog_version.items.values_list("code", flat=True):
        assert f'id="{code}"' in page
    assert "School resource officer" in page
    assert "Reasonableness and Reaction Time" in page
    assert "Subject Outcome or Cause of Death" in page


def test_search_narrows_the_items(client_for, viewer, catalog_version):
    url = reverse("catalog_detail", args=["rand-law-enforcement-response"])

    response = client_for(viewer).get(url, {"q": "ALERRT"})

    codes = {item.code for item in response.context["items"]}
    assert codes
    assert codes < set(catalog_version.items.values_list("code", flat=True))
    assert all("ALERRT" in f"{i.title} {i.guidance} {i.why}" for i in response.context["items"])
    assert f"{len(codes)} of 26 items match" in response.content.decode()


def test_role_filter_keeps_the_items_of_that_role(client_for, viewer, catalog_version):
    url = reverse("catalog_detail", args=["rand-law-enforcement-response"])

    response = client_for(viewer).get(url, {"role": "fire-ems"})

    items = list(response.context["items"])
    assert items
    assert all(any(r.slug == "fire-ems" for r in item.roles.all()) for item in items)


def test_unknown_role_is_a_form_error_not_a_crash(client_for, viewer, catalog_version):
    url = reverse("catalog_detail", args=["rand-law-enforcement-response"])

    response = client_for(viewer).get(url, {"role": "no-such-role"})

    assert response.status_code == 200
    assert response.context["form"].errors["role"]


def test_no_match_says_so(client_for, viewer, catalog_version):
    url = reverse("catalog_detail", args=["rand-law-enforcement-response"])

    page = client_for(viewer).get(url, {"q": "zzzz-nothing"}).content.decode()

    assert "No item matches" in page


def test_older_versions_stay_browsable(client_for, viewer, db, tmp_path):
    path = tmp_path / "test.yaml"
    path.write_text(MINIMAL)
    catalog_load(path=path)
    path.write_text(MINIMAL.replace("Write the policy", "Adopt the policy"))
    catalog_load(path=path)
    client = client_for(viewer)

    newest = client.get(reverse("catalog_detail", args=["test-catalog"])).content.decode()
    first = client.get(reverse("catalog_version", args=["test-catalog", 1])).content.decode()

    assert "Adopt the policy" in newest
    assert "Write the policy" in first
    assert client.get(reverse("catalog_version", args=["test-catalog", 9])).status_code == 404


def test_catalog_page_queries_do_not_grow_with_items(
    client_for, viewer, catalog_version, db, tmp_path, django_assert_max_num_queries
):
    client = client_for(viewer)
    small = tmp_path / "small.yaml"
    figure = "figures:\n  - key: f\n    title: F\n    unit: cases\n    source: page\n    values:\n      - label: A\n        value: 1\n"
    small.write_text(MINIMAL + figure)
    catalog_load(path=small)

    # A signed-in request writes the session at most once a minute: let the first one do it.
    client.get(reverse("catalog_list"))
    # 17: one of them asks whether the person has two-factor sign-in, one counts unread notifications.
    with django_assert_max_num_queries(17) as small_queries:
        client.get(reverse("catalog_detail", args=["test-catalog"]))
    with django_assert_max_num_queries(17) as large_queries:
        client.get(reverse("catalog_detail", args=["rand-law-enforcement-response"]))

    assert len(large_queries.captured_queries) == len(small_queries.captured_queries)
