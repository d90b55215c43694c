"""The report's PDF: the two editions, drafts, paper, the logo, tagging, and what it may load."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from PIL import Image
from pypdf import PdfReader

from checklists.models import Response
from checklists.signoff.pdf import OwnFilesOnly
from checklists.signoff.rendering import report_render
from checklists.signoff.verify import verify_report
from tests.helpers import (
    PNG_BYTES,
    draft_through_pages,
    pdf_text,
    response_for,
    sign,
    signed_report,
)


def test_public_summary_leaves_out_school_names_and_evidence(
    complete_assessment, lead, school, render_reports, django_capture_on_commit_callbacks
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


def test_a_report_is_rendered_once(complete_assessment, lead):
    report = signed_report(complete_assessment, lead, "public")

    again = report_render(report=report)

    assert (again.file.name, again.sha256, again.attempts) == (report.file.name, report.sha256, 1)


def test_draft_report_renders_on_request_with_a_watermark(client_for, agency, assessment, viewer):
    response = draft_through_pages(client_for(viewer), agency, assessment, "full")

    assert response["Content-Type"] == "application/pdf"
    pages = pdf_text(response.pdf)
    assert all("DRAFT" in p for p in pages)
    assert "Not signed off." in pages[-1]


def test_the_report_loads_only_our_own_files():
    fetcher = OwnFilesOnly()

    assert fetcher.fetch("https://muster.invalid/static/report/report.css").read().startswith(b"/*")
    for address in (
        "https://example.com/x.png",
        "file:///etc/passwd",
        "https://muster.invalid/static/../../config/settings.py",
        "https://muster.invalid/media/evidence/1/x.pdf",
    ):
        with pytest.raises(ValueError, match="may not load"):
            fetcher.fetch(address)


def test_signed_report_is_tagged_for_screen_readers(complete_assessment, lead):
    data = signed_report(complete_assessment, lead, "public").file.read()

    root = PdfReader(io.BytesIO(data)).trailer["/Root"]
    assert "/StructTreeRoot" in root
    assert root["/MarkInfo"]["/Marked"]
    assert root["/Lang"] == "en"


def test_paper_is_letter_unless_set_to_a4(client_for, agency, assessment, viewer, settings):
    client = client_for(viewer)

    letter = draft_through_pages(client, agency, assessment, "public").pdf
    settings.REPORT_PAPER_SIZE = "A4"
    a4 = draft_through_pages(client, agency, assessment, "public").pdf
    letter, a4 = (PdfReader(io.BytesIO(pdf)).pages[0].mediabox for pdf in (letter, a4))

    assert (round(letter.width), round(letter.height)) == (612, 792)
    assert (round(a4.width), round(a4.height)) == (595, 842)


def test_lead_uploads_a_logo_that_appears_on_the_cover(
    client_for, agency, lead, editor, assessment, upload
):
    buffer = io.BytesIO()
    Image.new("RGB", (120, 40), "#14213d").save(buffer, "PNG")
    logo = buffer.getvalue()
    data = {"name": agency.name, "jurisdiction": "", "state": "OH", "time_zone": agency.time_zone}
    assert (
        client_for(editor)
        .post(
            reverse("agency_settings", args=[agency.slug]), data | {"logo": upload("e.png", logo)}
        )
        .status_code
        == 403
    )
    bad = client_for(lead).post(
        reverse("agency_settings", args=[agency.slug]), data | {"logo": upload("x.png", PNG_BYTES)}
    )
    assert "logo" in bad.context["form"].errors
    agency.refresh_from_db()
    assert not agency.logo  # neither the editor's logo nor the broken one was kept
    client_for(lead).post(
        reverse("agency_settings", args=[agency.slug]), data | {"logo": upload("logo.png", logo)}
    )

    agency.refresh_from_db()
    assert agency.logo
    pdf = draft_through_pages(client_for(lead), agency, assessment, "public").pdf
    first_page = PdfReader(io.BytesIO(pdf)).pages[0]
    assert list(first_page.images), "the logo is drawn on the cover"
