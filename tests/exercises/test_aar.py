"""The after-action report and improvement plan as a signed PDF: rendered for real (WeasyPrint),
marked on every page, signed (pyHanko) and verified, printed from its frozen snapshot, and signed
only by a lead who re-enters their password."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from django.core.management import call_command
from django.urls import reverse
from pypdf import PdfReader

from accounts.models import AuditEvent
from checklists.catalog.models import Item
from checklists.signoff.pdf import SNAPSHOT_NAME
from checklists.signoff.verify import verify_report
from exercises.aar import aar_pdf, describe
from exercises.models import AfterActionReport, Organization
from exercises.services import action_advance, action_save, observation_change
from tests.helpers import (
    PASSWORD,
    aar_signed,
    corrective_action,
    exercise,
    finding,
    pdf_text,
    person,
    reviewed,
    url,
)

pytestmark = pytest.mark.django_db
FINDING = "The school's radios cannot reach the patrol channel"
ACTION = "Give the school office a radio on the agency's channel"


def _words(pdf: bytes) -> str:
    """The PDF's text with every run of white space as one space (table cells wrap lines)."""
    return " ".join(" ".join(pdf_text(pdf)).split())


@pytest.fixture
def drill(agency, lead, school, catalog_version):
    """A reviewed drill with a strength, an area for improvement, an action on it, two
    organizations and three attendees from the roster."""
    ler19 = Item.objects.get(catalog_version=catalog_version, code="LER-19")
    people = [
        person(agency, f"10{n}", full_name=f"Officer Zed{n}", unit="Patrol") for n in range(3)
    ]
    drill = exercise(agency, lead, school=school, items=[ler19], attendees=people,
                     scenario="An active attacker at morning arrival.")  # fmt: skip
    drill.organizations.set([
        Organization.objects.create(agency=agency, name="Bayview Fire", kind="fire_ems"),
        Organization.objects.create(agency=agency, name="Harbor City Schools", kind="school"),
    ])  # fmt: skip
    reviewed(drill, lead, summary="A short drill at arrival.")
    finding(drill, lead, text="Every classroom locked within 90 seconds", kind="strength")
    gap = finding(drill, lead, text=FINDING)
    corrective_action(drill, lead, observation=gap, description=ACTION, items=[ler19],
                      schools=[school], due_on=date(2026, 4, 1))  # fmt: skip
    return drill


def test_the_signed_aar_renders_marked_on_every_page_signed_and_verifies(
    drill, lead, render_reports, django_capture_on_commit_callbacks
):
    report = aar_signed(drill, lead, django_capture_on_commit_callbacks)

    data = report.file.read()
    pages = pdf_text(data)
    text = _words(data)
    verdict = verify_report(data)
    assert report.state == "done"
    assert len(pages) >= 5
    assert all("LAW ENFORCEMENT SENSITIVE" in page for page in pages)
    for heading in ("Exercise overview", "Analysis of capabilities", "Appendix A: Improvement plan",
                    "Appendix B: Exercise participants", "Handling instructions"):  # fmt: skip
        assert heading in text
    assert FINDING in text
    assert "Bayview Fire" in text
    assert verdict.authentic, verdict.problems
    assert verdict.kind_label == "after-action report"
    assert verdict.document == report
    assert drill.title in verdict.document_text


def test_the_aar_counts_attendance_and_never_names_attendees(
    drill, lead, render_reports, django_capture_on_commit_callbacks
):
    report = aar_signed(drill, lead, django_capture_on_commit_callbacks)

    text = _words(report.file.read())
    assert "Zed" not in text
    assert "Zed" not in report.snapshot
    assert "3 members" in text


def test_the_aar_prints_its_snapshot_not_the_rows_changed_after_signing(drill, lead):
    report = aar_signed(drill, lead)
    gap = drill.objectives.first().observations.get(kind="improvement")
    gap.text = "Reworded after signing"
    observation_change(observation=gap, by=lead)
    action = drill.corrective_actions.get()
    action.description = "A different action"
    action_save(action=action, items=action.items.all(), schools=action.schools.all(), by=lead)
    action_advance(action=action, status="done", by=lead)

    text = _words(aar_pdf(report))

    assert FINDING in text
    assert ACTION in text
    assert "Reworded after signing" not in text
    assert "A different action" not in text
    (embedded,) = PdfReader(io.BytesIO(aar_pdf(report))).attachments[SNAPSHOT_NAME]
    assert embedded.decode() == report.snapshot
    assert json.loads(report.snapshot)["plan"][0]["status"] == "open"


def test_a_lead_signs_through_the_page_with_their_password(client_for, agency, drill, lead):
    client = client_for(lead)
    page = url("exercise_aar_sign", agency, drill.pk)
    fields = {"typed_name": "Dana Whitfield", "typed_title": "Chief", "attest": "on"}

    wrong = client.post(page, fields | {"password": "not-it"})
    unticked = client.post(page, fields | {"password": PASSWORD, "attest": ""})
    signed = client.post(page, fields | {"password": PASSWORD})

    assert "That is not your password." in wrong.context["form"].errors["password"]
    assert "attest" in unticked.context["form"].errors
    assert signed.status_code == 302
    report = AfterActionReport.objects.get()
    assert (report.number, report.signer, report.state) == (1, lead, "pending")
    assert AuditEvent.objects.filter(summary__startswith="Signed after-action report 1").exists()
    assert "Being produced" in client.get(drill.get_absolute_url()).text


def test_an_unreviewed_exercise_cannot_be_signed_and_nothing_is_saved(
    client_for, agency, lead, catalog_version
):
    drill = exercise(agency, lead)

    response = client_for(lead).post(url("exercise_aar_sign", agency, drill.pk), {
        "typed_name": "D", "typed_title": "Chief", "attest": "on", "password": PASSWORD,
    })  # fmt: skip

    assert response.status_code == 200
    assert "Record the review" in " ".join(response.context["form"].non_field_errors())
    assert not AfterActionReport.objects.exists()


def test_signing_again_adds_the_next_report_and_keeps_the_first(drill, lead):
    first = aar_signed(drill, lead)
    action_advance(action=drill.corrective_actions.get(), status="done", by=lead)

    second = aar_signed(drill, lead)

    assert (first.number, second.number) == (1, 2)
    assert json.loads(first.snapshot)["plan"][0]["status"] == "open"
    assert json.loads(second.snapshot)["plan"][0]["status"] == "done"


def test_members_download_the_signed_aar_and_the_download_is_audited(
    client_for, agency, drill, lead, viewer, render_reports, django_capture_on_commit_callbacks
):
    report = aar_signed(drill, lead, django_capture_on_commit_callbacks)

    response = client_for(viewer).get(report.get_absolute_url())

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert AuditEvent.objects.filter(action="report_downloaded", actor=viewer).exists()


def test_an_aar_not_yet_rendered_is_not_served(client_for, agency, drill, lead, viewer):
    report = aar_signed(drill, lead)

    assert client_for(viewer).get(report.get_absolute_url()).status_code == 404


def test_another_agencys_aar_is_404(client_for, agency, drill, lead, other_agency, outsider):
    report = aar_signed(drill, lead)

    theirs = reverse("exercise_aar_download", args=[other_agency.slug, report.pk])
    ours_under_their_address = client_for(outsider).get(theirs)
    assert ours_under_their_address.status_code == 404


def test_the_verify_page_names_a_signed_aar(
    client, drill, lead, render_reports, django_capture_on_commit_callbacks, upload
):
    report = aar_signed(drill, lead, django_capture_on_commit_callbacks)

    page = client.post(reverse("verify"), {"file": upload("aar.pdf", report.file.read())})

    assert "Verified: authentic and unaltered" in page.text
    assert "After-action report" in page.text
    assert drill.title in page.text


def test_verify_report_command_names_the_aar(
    drill, lead, render_reports, django_capture_on_commit_callbacks, tmp_path
):
    report = aar_signed(drill, lead, django_capture_on_commit_callbacks)
    path = tmp_path / "aar.pdf"
    path.write_bytes(report.file.read())
    out = io.StringIO()

    call_command("verify_report", str(path), stdout=out)

    assert "After-action report" in out.getvalue()
    assert "VERIFIED" in out.getvalue()


def test_the_exercise_page_polls_the_report_until_it_is_ready(
    client_for, agency, drill, lead, viewer
):
    report = aar_signed(drill, lead)
    client = client_for(viewer)

    waiting = client.get(drill.get_absolute_url())
    AfterActionReport.objects.filter(pk=report.pk).update(state="done", size=1000)
    done = client.get(drill.get_absolute_url(), {"part": "aar"}, HTTP_HX_REQUEST="true")

    assert 'hx-trigger="every 3s"' in waiting.text
    assert "Being produced" in waiting.text
    assert "hx-trigger" not in done.text  # polling stops
    assert "Download the signed PDF" in done.text
    assert "<html" not in done.text  # the section alone


def test_a_changed_or_unknown_aar_is_not_verified(
    drill, lead, render_reports, django_capture_on_commit_callbacks
):
    report = aar_signed(drill, lead, django_capture_on_commit_callbacks)
    data = report.file.read()
    changed = data.replace(b"/Title (", b"/Title (X", 1) if b"/Title (" in data else data + b"%"
    AfterActionReport.objects.filter(pk=report.pk).update(snapshot_sha256="0" * 64)

    unknown = verify_report(data)
    tampered = verify_report(changed)

    assert unknown.intact
    assert not unknown.authentic
    assert "matches no after-action report signed in this Muster" in " ".join(unknown.problems)
    assert not tampered.authentic


def test_the_verify_line_says_when_a_later_report_supersedes_one(drill, lead):
    first = aar_signed(drill, lead)
    assert "no later report" in describe(first)

    aar_signed(drill, lead)

    assert "superseded by report 2" in describe(first)
