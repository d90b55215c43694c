"""Review, sign-off, the lock, revisions, the signed report and its verification."""

from __future__ import annotations

import io
import re
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError
from django.urls import reverse
from pypdf import PdfReader

from checklists.assessments.services import IncompleteAssessment, assessment_start, response_update
from checklists.models import Assessment, AssessmentLocked, Report, Response, SignOff
from checklists.signoff.pdf import SNAPSHOT_NAME, OwnFilesOnly
from checklists.signoff.rendering import report_render
from checklists.signoff.services import assessment_reopen, assessment_sign_off, assessment_submit
from checklists.signoff.verify import verify_report
from tests.checklists.test_services_assessments import response_for

S = Response.Status
PASSWORD = "correct-horse-battery"  # the factories' password


def url(name, agency, *args):
    return reverse(name, args=[agency.slug, *args])


def sign(assessment, lead, django_capture_on_commit_callbacks) -> SignOff:
    assessment_submit(assessment=assessment, by=lead)
    with django_capture_on_commit_callbacks(execute=True):
        return assessment_sign_off(
            assessment=assessment, by=lead, typed_name="Dana Whitfield", typed_title="Chief of Police",
            attest=True, password=PASSWORD,
        )  # fmt: skip


def pdf_text(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def test_submission_lists_what_is_missing(assessment, editor, client_for, agency):
    with pytest.raises(IncompleteAssessment) as error:
        assessment_submit(assessment=assessment, by=editor)

    assert len(error.value.gaps) == assessment.responses.count()
    page = client_for(editor).get(url("assessment_review", agency, assessment.pk)).content.decode()
    first = error.value.gaps[0].response
    assert first.get_absolute_url() in page
    assert "No status recorded yet." in page


def test_in_place_without_required_evidence_is_a_gap(complete_assessment, editor):
    complete_assessment.responses.filter(item__code="LER-01").update(status=S.IN_PLACE)

    with pytest.raises(IncompleteAssessment) as error:
        assessment_submit(assessment=complete_assessment, by=editor)

    assert [g.response.item.code for g in error.value.gaps] == ["LER-01"]
    assert "missing required evidence" in error.value.gaps[0].reason


def test_only_a_lead_signs_off_and_needs_password_and_attestation(
    client_for, agency, complete_assessment, lead, editor
):
    assessment_submit(assessment=complete_assessment, by=editor)
    page = url("assessment_sign_off", agency, complete_assessment.pk)
    data = {
        "typed_name": "Dana Whitfield",
        "typed_title": "Chief",
        "attest": "on",
        "password": "wrong-password",
    }

    assert client_for(editor).post(page, data | {"password": PASSWORD}).status_code == 403
    wrong = client_for(lead).post(page, data)
    unticked = client_for(lead).post(page, data | {"password": PASSWORD, "attest": ""})

    assert wrong.context["form"].errors["password"] == ["That is not your password."]
    assert "attest" in unticked.context["form"].errors
    assert not SignOff.objects.exists()


def test_sign_off_records_snapshot_locks_and_produces_signed_reports(
    client_for, agency, complete_assessment, lead, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client_for(lead).post(url("assessment_review", agency, complete_assessment.pk))
        response = client_for(lead).post(
            url("assessment_sign_off", agency, complete_assessment.pk),
            {
                "typed_name": "Dana Whitfield",
                "typed_title": "Chief of Police",
                "attest": "on",
                "password": PASSWORD,
            },
        )

    assert response.status_code == 302
    sign_off = SignOff.objects.get()
    complete_assessment.refresh_from_db()
    assert complete_assessment.state == Assessment.State.SIGNED_OFF
    assert '"format":"muster-snapshot/2"' in sign_off.snapshot
    reports = {r.edition: r for r in sign_off.reports.all()}
    assert {r.state for r in reports.values()} == {Report.State.DONE}

    full = reports["full"].file.read()
    verdict = verify_report(full)
    assert verdict.authentic, verdict.problems
    assert verdict.sign_off == sign_off
    reader = PdfReader(io.BytesIO(full))
    assert reader.attachments[SNAPSHOT_NAME][0].decode() == sign_off.snapshot
    xmp = reader.trailer["/Root"]["/Metadata"].get_data().decode()
    # PDF/A-3b is still declared after signing (pyHanko writes it in attribute form).
    assert re.search(r'pdfaid:part(="|>)3', xmp)
    assert re.search(r'pdfaid:conformance(="|>)B', xmp)
    pages = pdf_text(full)
    assert all("LAW ENFORCEMENT SENSITIVE" in p for p in pages)
    assert all(f"of {len(pages)}" in p for p in pages)
    assert not any("DRAFT" in p for p in pages)
    assert sign_off.snapshot_sha256 in pages[-1].replace("\n", "")

    download = client_for(lead).get(url("report_download", agency, reports["full"].pk))
    assert b"".join(download.streaming_content) == full


def test_public_summary_leaves_out_school_names_and_evidence(
    complete_assessment, lead, school, django_capture_on_commit_callbacks
):
    target = response_for(complete_assessment, "LER-02")
    Response.objects.filter(pk=target.pk).update(
        notes="Secret staging area behind the gym", answers={"officers_trained": "12"}
    )
    sign_off = sign(complete_assessment, lead, django_capture_on_commit_callbacks)

    public = " ".join(pdf_text(sign_off.reports.get(edition="public").file.read()))
    full = " ".join(pdf_text(sign_off.reports.get(edition="full").file.read()))

    assert school.name in full
    assert "Secret staging area" in full
    assert school.name not in public
    assert "Secret staging area" not in public
    assert "PUBLIC SUMMARY" in public
    assert verify_report(sign_off.reports.get(edition="public").file.read()).authentic


def test_a_signed_assessment_refuses_every_write(
    client_for,
    agency,
    complete_assessment,
    lead,
    editor,
    upload,
    django_capture_on_commit_callbacks,
):
    sign(complete_assessment, lead, django_capture_on_commit_callbacks)
    target = response_for(complete_assessment, "LER-02")

    http = client_for(editor).post(
        url("response_detail", agency, target.pk), {"version": target.version, "status": "in_place"}
    )
    assert http.status_code == 403
    with pytest.raises(AssessmentLocked):
        response_update(
            response=target, by=lead, expected_version=target.version, status=S.IN_PLACE
        )
    target.notes = "changed"
    with pytest.raises(AssessmentLocked):
        target.save()
    with pytest.raises(AssessmentLocked):
        complete_assessment.responses.update(notes="changed")
    with pytest.raises(AssessmentLocked):
        target.delete()
    assert response_for(complete_assessment, "LER-02").notes == ""


def test_a_sign_off_is_never_changed_and_there_is_one_per_revision(
    complete_assessment, lead, django_capture_on_commit_callbacks
):
    sign_off = sign(complete_assessment, lead, django_capture_on_commit_callbacks)

    sign_off.typed_name = "Someone else"
    with pytest.raises(TypeError):
        sign_off.save()
    with pytest.raises(TypeError):
        SignOff.objects.update(typed_name="x")
    with pytest.raises(TypeError):
        sign_off.delete()
    with pytest.raises(ValidationError, match="already been signed off"):
        assessment_sign_off(
            assessment=complete_assessment,
            by=lead,
            typed_name="D",
            typed_title="C",
            attest=True,
            password=PASSWORD,
        )
    with pytest.raises(IntegrityError):
        SignOff.objects.create(
            assessment=complete_assessment,
            signer=lead,
            typed_name="D",
            typed_title="C",
            statement="S",
            snapshot="{}",
            snapshot_sha256="1" * 64,
        )


def test_reopening_makes_a_new_revision_and_keeps_the_signed_one(
    complete_assessment, lead, editor, django_capture_on_commit_callbacks
):
    sign_off = sign(complete_assessment, lead, django_capture_on_commit_callbacks)
    report = sign_off.reports.get(edition="full")
    before = (report.sha256, report.file.read())

    revision = assessment_reopen(assessment=complete_assessment, by=lead)
    target = response_for(revision, "LER-02")
    response_update(
        response=target,
        by=editor,
        expected_version=target.version,
        status=S.NOT_APPLICABLE,
        justification="No longer relevant",
    )

    assert (revision.revision, revision.revision_of, revision.state) == (
        2,
        complete_assessment,
        Assessment.State.DRAFT,
    )
    assert revision.responses.count() == complete_assessment.responses.count()
    assert response_for(complete_assessment, "LER-02").status == S.IN_PROGRESS
    report.refresh_from_db()
    assert (report.sha256, report.file.read()) == before
    with pytest.raises(ValidationError, match="already been reopened"):
        assessment_reopen(assessment=complete_assessment, by=lead)


def test_a_report_is_rendered_once(complete_assessment, lead, django_capture_on_commit_callbacks):
    report = sign(complete_assessment, lead, django_capture_on_commit_callbacks).reports.get(
        edition="public"
    )

    again = report_render(report=report)

    assert (again.file.name, again.sha256, again.attempts) == (report.file.name, report.sha256, 1)


def test_a_failed_render_is_shown_and_a_lead_retries_it(
    client_for,
    agency,
    complete_assessment,
    lead,
    settings,
    tmp_path,
    django_capture_on_commit_callbacks,
):
    working_key = settings.REPORT_SIGNING_KEY
    settings.REPORT_SIGNING_KEY = tmp_path / "missing.key"
    sign(complete_assessment, lead, django_capture_on_commit_callbacks)
    failed = SignOff.objects.get().reports.get(edition="full")
    assert failed.state == Report.State.FAILED
    assert "No report signing key" in failed.error
    page = (
        client_for(lead)
        .get(url("assessment_reports", agency, complete_assessment.pk))
        .content.decode()
    )
    assert "Failed after 1 attempt" in page

    settings.REPORT_SIGNING_KEY = working_key
    with django_capture_on_commit_callbacks(execute=True):
        client_for(lead).post(url("report_retry", agency, failed.pk))

    failed.refresh_from_db()
    assert (failed.state, failed.attempts) == (Report.State.DONE, 2)


def test_one_changed_byte_fails_verification(
    client, complete_assessment, lead, tmp_path, django_capture_on_commit_callbacks
):
    data = (
        sign(complete_assessment, lead, django_capture_on_commit_callbacks)
        .reports.get(edition="full")
        .file.read()
    )
    tampered = bytearray(data)
    tampered[len(data) // 3] ^= 0x01
    good, bad = tmp_path / "good.pdf", tmp_path / "bad.pdf"
    good.write_bytes(data)
    bad.write_bytes(bytes(tampered))

    out = StringIO()
    call_command("verify_report", str(good), stdout=out)
    assert "VERIFIED" in out.getvalue()
    with pytest.raises(CommandError, match="NOT VERIFIED"):
        call_command("verify_report", str(bad), stdout=StringIO())

    assert not verify_report(bytes(tampered)).authentic
    page = client.post(reverse("verify"), {"file": io.BytesIO(bytes(tampered))}).content.decode()
    assert "Not verified" in page
    from django.core.files.uploadedfile import SimpleUploadedFile

    page = client.post(
        reverse("verify"), {"file": SimpleUploadedFile("report.pdf", data)}
    ).content.decode()
    assert "Verified: authentic and unaltered" in page
    assert "Dana Whitfield" in page


def test_verify_page_handles_files_that_are_not_reports(client, db):
    from django.core.files.uploadedfile import SimpleUploadedFile

    page = client.post(
        reverse("verify"), {"file": SimpleUploadedFile("x.pdf", b"not a pdf at all")}
    )

    assert page.status_code == 200
    assert "not a readable PDF" in page.content.decode()


def test_draft_report_renders_on_request_with_a_watermark(client_for, agency, assessment, viewer):
    response = client_for(viewer).get(url("assessment_report_draft", agency, assessment.pk, "full"))

    assert response["Content-Type"] == "application/pdf"
    pages = pdf_text(response.content)
    assert all("DRAFT" in p for p in pages)
    assert "Not signed off." in pages[-1]


def test_the_report_loads_only_our_own_files():
    fetcher = OwnFilesOnly()

    assert fetcher.fetch("https://muster.invalid/static/report/report.css").read().startswith(b"/*")
    for url in (
        "https://example.com/x.png",
        "file:///etc/passwd",
        "https://muster.invalid/static/../../config/settings.py",
        "https://muster.invalid/media/evidence/1/x.pdf",
    ):
        with pytest.raises(ValueError, match="may not load"):
            fetcher.fetch(url)


def test_signed_report_is_tagged_for_screen_readers(
    complete_assessment, lead, django_capture_on_commit_callbacks
):
    data = (
        sign(complete_assessment, lead, django_capture_on_commit_callbacks)
        .reports.get(edition="public")
        .file.read()
    )

    root = PdfReader(io.BytesIO(data)).trailer["/Root"]
    assert "/StructTreeRoot" in root
    assert root["/MarkInfo"]["/Marked"]
    assert root["/Lang"] == "en"


def test_paper_is_letter_unless_set_to_a4(client_for, agency, assessment, viewer, settings):
    client = client_for(viewer)
    page_url = url("assessment_report_draft", agency, assessment.pk, "public")

    letter = PdfReader(io.BytesIO(client.get(page_url).content)).pages[0].mediabox
    settings.REPORT_PAPER_SIZE = "A4"
    a4 = PdfReader(io.BytesIO(client.get(page_url).content)).pages[0].mediabox

    assert (round(letter.width), round(letter.height)) == (612, 792)
    assert (round(a4.width), round(a4.height)) == (595, 842)


def test_lead_uploads_a_logo_that_appears_on_the_cover(
    client_for, agency, lead, editor, assessment
):
    from PIL import Image

    from tests.conftest import PNG_BYTES

    buffer = io.BytesIO()
    Image.new("RGB", (120, 40), "#14213d").save(buffer, "PNG")
    logo = buffer.getvalue()
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = {"name": agency.name, "jurisdiction": "", "state": "OH"}
    assert (
        client_for(editor).post(reverse("agency_settings", args=[agency.slug]), data).status_code
        == 403
    )
    bad = client_for(lead).post(
        reverse("agency_settings", args=[agency.slug]),
        data | {"logo": SimpleUploadedFile("x.png", PNG_BYTES)},
    )
    assert "logo" in bad.context["form"].errors
    client_for(lead).post(
        reverse("agency_settings", args=[agency.slug]),
        data | {"logo": SimpleUploadedFile("logo.png", logo)},
    )

    agency.refresh_from_db()
    assert agency.logo
    pdf = (
        client_for(lead)
        .get(url("assessment_report_draft", agency, assessment.pk, "public"))
        .content
    )
    first_page = PdfReader(io.BytesIO(pdf)).pages[0]
    assert list(first_page.images), "the logo is drawn on the cover"


def test_reports_page_lists_the_agencys_signed_reports(
    client_for, agency, complete_assessment, lead, viewer, outsider, other_agency,
    catalog_version, django_capture_on_commit_callbacks,
):  # fmt: skip
    theirs = assessment_start(
        agency=other_agency, catalog_version=catalog_version, title="Lakeside 2026",
        due_date=None, by=outsider,
    )  # fmt: skip
    theirs.responses.update(status=S.IN_PROGRESS)
    sign(theirs, outsider, django_capture_on_commit_callbacks)
    sign_off = sign(complete_assessment, lead, django_capture_on_commit_callbacks)

    page = client_for(viewer).get(url("report_list", agency)).content.decode()

    assert sign_off.snapshot_sha256 in page
    for report in sign_off.reports.all():
        assert url("report_download", agency, report.pk) in page
    assert "Lakeside 2026" not in page
    assert "draft PDF" not in page  # the current assessment is signed: nothing to draft


def test_reports_page_offers_drafts_before_the_first_sign_off(
    client_for, agency, assessment, viewer
):
    page = client_for(viewer).get(url("report_list", agency)).content.decode()

    assert "No signed reports yet" in page
    assert url("assessment_report_draft", agency, assessment.pk, "full") in page
    assert url("assessment_report_draft", agency, assessment.pk, "public") in page


def test_reports_page_queries_do_not_grow_with_sign_offs(
    client_for, agency, lead, catalog_version, count_queries
):
    def signed_assessment(n: int) -> None:
        signed = assessment_start(
            agency=agency, catalog_version=catalog_version, title=f"Assessment {n}",
            due_date=None, by=lead,
        )  # fmt: skip
        sign_off = SignOff.objects.create(
            assessment=signed, signer=lead, typed_name="Dana Whitfield", typed_title="Chief",
            statement="Attested.", snapshot="{}", snapshot_sha256=f"{n:064x}",
        )  # fmt: skip
        for edition in Report.Edition.values:
            Report.objects.create(sign_off=sign_off, edition=edition)

    client = client_for(lead)
    signed_assessment(1)
    client.get(url("report_list", agency))  # warm the per-process caches
    one = count_queries(lambda: client.get(url("report_list", agency)))
    for n in range(2, 6):
        signed_assessment(n)
    five = count_queries(lambda: client.get(url("report_list", agency)))

    assert one == five


def test_a_signed_report_lost_from_storage_is_a_404_not_a_crash(
    client_for, agency, complete_assessment, lead, django_capture_on_commit_callbacks
):
    report = sign(complete_assessment, lead, django_capture_on_commit_callbacks).reports.first()
    report.file.storage.delete(report.file.name)

    response = client_for(lead).get(url("report_download", agency, report.pk))

    assert response.status_code == 404
