"""The response form keeps what a person gave (issue 12): chosen files, typed answers, every
error at once; every item takes supporting documents; counts are whole and parts fit their whole."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import AuditEvent
from checklists.assessments.evidence import attachment_add
from checklists.assessments.services import response_update
from checklists.models import Attachment, PendingUpload, Response
from tests.helpers import PDF_BYTES, response_for, response_post, the_event, url

S = Response.Status
HTMX = {"HTTP_HX_REQUEST": "true"}


def _tomorrow() -> str:
    return (timezone.localdate() + timedelta(days=1)).isoformat()


def test_a_file_chosen_with_an_invalid_form_is_kept_and_attached_on_save(
    client_for, agency, editor, assessment, upload
):
    target = response_for(assessment, "LER-01")
    client = client_for(editor)
    data = response_post(
        target, status=S.IN_PROGRESS, answer_last_reviewed=_tomorrow(),
        answer_policy_file=upload("general-order-4-12.pdf"),
    )  # fmt: skip

    refused = client.post(url("response_detail", agency, target.pk), data)

    page = refused.content.decode()
    assert "This date cannot be in the future." in page
    assert "general-order-4-12.pdf" in page
    assert "will be attached when you save" in page
    kept = PendingUpload.objects.get()
    assert kept.sha256
    assert kept.prompt_key == "policy_file"
    assert kept.content_type == "application/pdf"
    assert not target.attachments.exists()

    data = response_post(
        target, status=S.IN_PROGRESS, answer_last_reviewed="2026-01-05", pending=[kept.pk]
    )
    saved = client.post(url("response_detail", agency, target.pk), data)

    assert saved.status_code == 302
    attachment = target.attachments.get()
    assert (attachment.original_name, attachment.prompt_key) == (
        "general-order-4-12.pdf",
        "policy_file",
    )
    assert attachment.file.read() == PDF_BYTES
    assert not PendingUpload.objects.exists()
    the_event(AuditEvent.Action.EVIDENCE_ADDED, details__response_id=target.pk)


def test_a_kept_file_counts_as_the_required_evidence(
    client_for, agency, editor, school, assessment, upload
):
    target = response_for(assessment, "LER-15", school=school)  # the MOU file is required
    client = client_for(editor)
    data = response_post(
        target, status=S.IN_PLACE, answer_signed_on=_tomorrow(), answer_mou_file=upload("mou.pdf")
    )
    client.post(url("response_detail", agency, target.pk), data)
    kept = PendingUpload.objects.get()

    data = response_post(target, status=S.IN_PLACE, pending=[kept.pk])
    saved = client.post(url("response_detail", agency, target.pk), data)

    assert saved.status_code == 302
    target.refresh_from_db()
    assert target.status == S.IN_PLACE
    assert target.attachments.get().prompt_key == "mou_file"


def test_someone_elses_kept_file_is_not_attached(
    client_for, agency, editor, lead, assessment, upload
):
    target = response_for(assessment, "LER-01")
    data = response_post(
        target, answer_last_reviewed=_tomorrow(), answer_policy_file=upload("theirs.pdf")
    )
    client_for(lead).post(url("response_detail", agency, target.pk), data)
    theirs = PendingUpload.objects.get()

    data = response_post(target, status=S.IN_PROGRESS, pending=[theirs.pk])
    client_for(editor).post(url("response_detail", agency, target.pk), data)

    assert not target.attachments.exists()
    assert PendingUpload.objects.filter(pk=theirs.pk).exists()


def test_a_refused_file_says_why_beside_its_field_and_is_not_kept(
    client_for, agency, editor, assessment, upload
):
    target = response_for(assessment, "LER-01")
    data = response_post(target, answer_policy_file=upload("policy.pdf", b"MZ\x90\x00 not a pdf"))

    page = client_for(editor).post(url("response_detail", agency, target.pk), data)

    assert (
        "is not a PDF, image or office document"
        in page.context["form"].errors["answer_policy_file"][0]
    )
    assert not PendingUpload.objects.exists()


def test_every_error_shows_at_once(client_for, agency, editor, assessment):
    target = response_for(assessment, "LER-01")
    data = response_post(
        target, status=S.IN_PLACE, answer_policy_reference="", answer_last_reviewed=_tomorrow()
    )

    page = client_for(editor).post(url("response_detail", agency, target.pk), data)

    errors = page.context["form"].errors
    assert errors["answer_last_reviewed"] == ["This date cannot be in the future."]
    assert errors["answer_policy_reference"] == ["Required before the item can be marked in place."]


def test_not_applicable_without_a_reason_and_a_bad_date_show_together(
    client_for, agency, editor, assessment
):
    target = response_for(assessment, "LER-01")
    data = response_post(target, status=S.NOT_APPLICABLE, answer_last_reviewed=_tomorrow())

    errors = (
        client_for(editor)
        .post(url("response_detail", agency, target.pk), data)
        .context["form"]
        .errors
    )

    assert set(errors) == {"justification", "answer_last_reviewed"}


def test_required_prompts_are_marked_in_text_and_for_screen_readers(
    client_for, agency, editor, assessment
):
    target = response_for(assessment, "LER-01")

    page = client_for(editor).get(url("response_detail", agency, target.pk)).content.decode()

    assert "(required)" in _label_of(page, "answer_policy_reference")
    assert 'aria-required="true"' in _input_of(page, "answer_policy_reference")
    assert "required" not in _label_of(page, "answer_last_reviewed")
    assert "aria-required" not in _input_of(page, "answer_last_reviewed")


def _input_of(page: str, name: str) -> str:
    return re.search(rf'<(input|textarea)[^>]*name="{name}"[^>]*>', page).group(0)


def _label_of(page: str, name: str) -> str:
    return re.search(rf'<label[^>]*for="id_{name}"[^>]*>(.*?)</label>', page, re.S).group(1)


def test_an_item_without_file_prompts_takes_supporting_documents(
    client_for, agency, editor, school, assessment, upload
):
    target = response_for(assessment, "LER-16", school=school)  # the SRO procedure: no file prompt
    data = response_post(
        target, status=S.IN_PROGRESS,
        documents=[upload("sro-procedure.pdf"), upload("site-plan.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64)],
    )  # fmt: skip

    saved = client_for(editor).post(url("response_detail", agency, target.pk), data)

    assert saved.status_code == 302
    files = list(target.attachments.order_by("original_name"))
    assert [(f.original_name, f.prompt_key, f.content_type) for f in files] == [
        ("site-plan.png", "", "image/png"),
        ("sro-procedure.pdf", "", "application/pdf"),
    ]
    assert all(len(f.sha256) == 64 for f in files)
    page = client_for(editor).get(url("response_detail", agency, target.pk)).content.decode()
    assert "Supporting document" in page
    assert files[0].get_absolute_url() in page


def test_a_supporting_document_of_the_wrong_kind_is_refused_beside_the_field(
    client_for, agency, editor, assessment, upload
):
    target = response_for(assessment, "LER-12")
    data = response_post(target, documents=[upload("plan.pdf", b"#!/bin/sh\necho hi\n")])

    page = client_for(editor).post(url("response_detail", agency, target.pk), data)

    assert page.status_code == 200
    assert "documents" in page.context["form"].errors
    assert not Attachment.objects.exists()


def test_counts_are_whole_numbers_and_a_part_never_exceeds_its_whole(
    client_for, agency, editor, assessment
):
    target = response_for(assessment, "LER-02")
    client = client_for(editor)

    fraction = client.post(
        url("response_detail", agency, target.pk),
        response_post(
            target, status=S.IN_PROGRESS, answer_officers_trained="58.5", answer_sworn_total="10"
        ),
    )
    too_many = client.post(
        url("response_detail", agency, target.pk),
        response_post(
            target, status=S.IN_PROGRESS, answer_officers_trained="58", answer_sworn_total="10"
        ),
    )

    assert fraction.context["form"].errors["answer_officers_trained"] == ["Give a whole number."]
    assert too_many.context["form"].errors["answer_officers_trained"] == [
        "Cannot be more than sworn officers who should hold this training (10)."
    ]
    target.refresh_from_db()
    assert target.answers == {}
    assert target.version == 1


def test_the_whole_number_rule_holds_in_the_service_too(editor, assessment):
    target = response_for(assessment, "LER-10")
    with pytest.raises(ValidationError) as refused:
        response_update(
            response=target, by=editor, expected_version=1, status=S.IN_PROGRESS,
            answers={"buildings_listed": "3", "labyrinth_buildings": "4"},
        )  # fmt: skip

    assert "labyrinth_buildings" in refused.value.message_dict


def test_remove_asks_first_without_javascript(client_for, agency, editor, lead, assessment, upload):
    target = response_for(assessment, "LER-02")
    attachment = attachment_add(
        response=target, upload=upload("roster.pdf"), prompt_key="", by=lead
    )
    client = client_for(editor)

    asked = client.get(url("attachment_delete", agency, attachment.pk))

    assert "Remove roster.pdf?" in asked.content.decode()
    assert target.attachments.exists()
    removed = client.post(url("attachment_delete", agency, attachment.pk))
    assert removed.status_code == 302
    assert not target.attachments.exists()


def test_remove_with_htmx_replaces_only_the_file_list(
    client_for, agency, editor, lead, assessment, upload
):
    target = response_for(assessment, "LER-02")
    kept = attachment_add(response=target, upload=upload("kept.pdf"), prompt_key="", by=lead)
    gone = attachment_add(response=target, upload=upload("gone.pdf"), prompt_key="", by=lead)

    swapped = client_for(editor).post(url("attachment_delete", agency, gone.pk), **HTMX)

    fragment = swapped.content.decode()
    assert fragment.lstrip().startswith(f'<div id="files-{target.pk}">')
    assert "kept.pdf" in fragment
    assert "gone.pdf was removed." in fragment
    assert "<form" not in fragment
    assert "answer_" not in fragment
    assert list(target.attachments.all()) == [kept]
    the_event(AuditEvent.Action.EVIDENCE_REMOVED, details__response_id=target.pk)


def test_a_past_target_date_on_bulk_assign_warns(client_for, agency, lead, editor, assessment):
    target = response_for(assessment, "LER-02")
    data = {
        "assign-responses": [target.pk],
        "assign-owner": editor.pk,
        "assign-target_date": (timezone.localdate() - timedelta(days=3)).isoformat(),
    }

    page = client_for(lead).post(url("assessment_assign", agency, assessment.pk), data, follow=True)

    text = page.content.decode()
    assert "is in the past: every open item among them is overdue at once" in text
    target.refresh_from_db()
    assert target.owner == editor


def test_a_future_target_date_on_bulk_assign_does_not_warn(
    client_for, agency, lead, editor, assessment
):
    target = response_for(assessment, "LER-02")
    data = {
        "assign-responses": [target.pk],
        "assign-owner": editor.pk,
        "assign-target_date": (timezone.localdate() + timedelta(days=30)).isoformat(),
    }

    page = client_for(lead).post(url("assessment_assign", agency, assessment.pk), data, follow=True)

    assert "is in the past" not in page.content.decode()


def test_a_kept_file_unticked_before_saving_is_forgotten(
    client_for, agency, editor, assessment, upload, django_capture_on_commit_callbacks
):
    target = response_for(assessment, "LER-01")
    client = client_for(editor)
    data = response_post(
        target, answer_last_reviewed=_tomorrow(), answer_policy_file=upload("draft.pdf")
    )
    client.post(url("response_detail", agency, target.pk), data)
    kept = PendingUpload.objects.get()
    stored = kept.file.storage
    name = kept.file.name

    with django_capture_on_commit_callbacks(execute=True):
        saved = client.post(
            url("response_detail", agency, target.pk),
            response_post(target, status=S.IN_PROGRESS),  # the kept file's box unticked
        )

    assert saved.status_code == 302
    assert not target.attachments.exists()
    assert not PendingUpload.objects.exists()
    assert not stored.exists(name)
