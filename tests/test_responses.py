"""What every response says about itself: caching of signed-in pages, the charset of CSV."""

from __future__ import annotations

from django.urls import reverse

from tests.helpers import url


def directives(response) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",")}


def test_signed_in_pages_are_never_stored_by_a_cache(client_for, agency, lead, assessment):
    signed_in = client_for(lead)

    for page in (
        reverse("home"),
        url("people", agency),
        url("assessment_checklist", agency, assessment.pk),
    ):
        response = signed_in.get(page, follow=True)
        assert response.status_code == 200
        assert {"no-store", "private"} <= directives(response)


def test_downloads_are_never_stored_by_a_cache(client_for, agency, lead, assessment):
    response = client_for(lead).get(url("assessment_export_csv", agency, assessment.pk))

    assert response.status_code == 200
    assert {"no-store", "private"} <= directives(response)


def test_public_pages_may_be_cached_as_usual(client):
    assert "no-store" not in directives(client.get(reverse("verify")))


def test_csv_downloads_name_their_charset(client_for, agency, lead, assessment):
    signed_in = client_for(lead)

    for download in (
        url("assessment_export_csv", agency, assessment.pk),
        url("audit_log_export", agency),
    ):
        assert signed_in.get(download)["Content-Type"] == "text/csv; charset=utf-8"
