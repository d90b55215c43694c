"""Limits that keep one person from tying up the server: the length of every free text, shown
to the person as they write, and the size of a request body, refused before it is read."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from checklists.assessments.services import response_update
from checklists.models import Response
from tests.helpers import response_for, response_post, url

FOUR_MB = 4 * 1024 * 1024


def test_a_4_mb_justification_is_refused_beside_the_field_and_nothing_saved(
    client_for, agency, editor, assessment
):
    target = response_for(assessment, "LER-01")
    data = response_post(target, status=Response.Status.NOT_APPLICABLE, justification="x" * FOUR_MB)

    page = client_for(editor).post(url("response_detail", agency, target.pk), data)

    assert page.status_code in (200, 400)
    errors = page.context["form"].errors["justification"]
    assert errors == ["Ensure this value has at most 4000 characters (it has 4194304)."]
    target.refresh_from_db()
    assert (target.status, target.justification) == (Response.Status.NOT_STARTED, "")


@pytest.mark.parametrize(("field", "limit"), [("justification", 4000), ("notes", 10_000)])
def test_the_service_refuses_over_long_text_whatever_the_form(assessment, editor, field, limit):
    target = response_for(assessment, "LER-01")

    with pytest.raises(ValidationError) as refused:
        response_update(
            response=target, by=editor, expected_version=target.version,
            status=Response.Status.IN_PROGRESS, **{field: "x" * (limit + 1)},
        )  # fmt: skip

    assert field in refused.value.message_dict


def test_each_text_box_says_how_much_of_its_limit_is_used(client_for, agency, editor, assessment):
    target = response_for(assessment, "LER-01")
    client = client_for(editor)
    client.post(url("response_detail", agency, target.pk), response_post(target, notes="é" * 1234))

    page = client.get(url("response_detail", agency, target.pk)).content.decode()

    assert '<span data-count-of="id_notes">1,234</span> of 10,000 characters' in page
    assert '<span data-count-of="id_justification">0</span> of 4,000 characters' in page
    assert 'maxlength="4000"' in page
    assert "js/muster.js" in page  # which keeps the count up while typing


def test_the_school_form_counts_its_text_boxes_too(client_for, agency, lead):
    page = client_for(lead).get(url("school_create", agency)).content.decode()

    assert "0</span> of 500 characters" in page
    assert "0</span> of 4,000 characters" in page


def test_an_oversized_body_is_refused_by_its_declared_length_before_it_is_read(
    client_for, agency, editor, assessment, settings
):
    target = response_for(assessment, "LER-01")
    declared = settings.REQUEST_MAX_BYTES + 1

    refused = client_for(editor).generic(
        "POST",
        url("response_detail", agency, target.pk),
        b"status=in_progress",  # what arrived; the declared length is what is judged
        content_type="application/x-www-form-urlencoded",
        CONTENT_LENGTH=str(declared),
    )

    assert refused.status_code == 413
    assert "That was too large to send" in refused.content.decode()
    target.refresh_from_db()
    assert target.status == Response.Status.NOT_STARTED


def test_the_body_limit_allows_the_largest_upload(settings):
    assert settings.REQUEST_MAX_BYTES > settings.EVIDENCE_MAX_BYTES
    assert settings.REQUEST_MAX_BYTES > settings.VERIFY_MAX_BYTES
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE > FOUR_MB  # so a long text is refused by its form


def test_the_sign_in_page_is_refused_an_oversized_body_too(client, db, settings):
    response = client.generic(
        "POST", reverse("login"), b"username=x", CONTENT_LENGTH=str(settings.REQUEST_MAX_BYTES + 1)
    )

    assert response.status_code == 413
