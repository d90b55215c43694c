"""The sign-off and reports pages: who may sign, the signed reports' list, failures and retries,
and downloads."""

from __future__ import annotations

import io
import re

from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from accounts.models import AuditEvent
from checklists.assessments.services import assessment_start
from checklists.models import Assessment, Report, Response, SignOff
from checklists.signoff.pdf import SNAPSHOT_NAME
from checklists.signoff.services import assessment_submit
from checklists.signoff.verify import verify_report
from tests.helpers import PASSWORD, pdf_text, report_stored, sign, url

S = Response.Status


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
    complete_assessment.refresh_from_db()
    assert complete_assessment.state == Assessment.State.IN_REVIEW


def test_sign_off_records_snapshot_locks_and_produces_signed_reports(
    client_for,
    agency,
    complete_assessment,
    lead,
    render_reports,
    django_capture_on_commit_callbacks,
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


def test_a_failed_render_is_shown_with_a_reference_and_a_lead_retries_it(
    client_for,
    agency,
    complete_assessment,
    lead,
    viewer,
    settings,
    tmp_path,
    render_reports,
    django_capture_on_commit_callbacks,
    caplog,
):
    working_key = settings.REPORT_SIGNING_KEY
    settings.REPORT_SIGNING_KEY = tmp_path / "missing.key"
    sign(complete_assessment, lead, django_capture_on_commit_callbacks)
    failed = SignOff.objects.get().reports.get(edition="full")
    assert failed.state == Report.State.FAILED
    assert "No report signing key" in failed.error  # for operators, in the admin
    for member in (lead, viewer):
        page = (
            client_for(member)
            .get(url("assessment_reports", agency, complete_assessment.pk))
            .content.decode()
        )
        assert "Failed after 1 attempt" in page
        assert f"reference: {failed.error_reference}" in page
        assert str(tmp_path) not in page
        assert "No report signing key" not in page
    # The operator's log has the detail, under the same reference.
    logged = [r for r in caplog.records if failed.error_reference in r.getMessage()]
    assert logged
    assert "missing.key" in str(logged[0].exc_info[1])

    settings.REPORT_SIGNING_KEY = working_key
    with django_capture_on_commit_callbacks(execute=True):
        client_for(lead).post(url("report_retry", agency, failed.pk))

    failed.refresh_from_db()
    assert (failed.state, failed.attempts) == (Report.State.DONE, 2)


def test_reports_page_lists_the_agencys_signed_reports(
    client_for, agency, complete_assessment, lead, viewer, outsider, other_agency, catalog_version
):
    theirs = assessment_start(
        agency=other_agency, catalog_version=catalog_version, title="Lakeside 2026",
        due_date=None, by=outsider,
    )  # fmt: skip
    theirs.responses.update(status=S.IN_PROGRESS)
    for report in sign(theirs, outsider).reports.all():
        report_stored(report)
    sign_off = sign(complete_assessment, lead)
    for report in sign_off.reports.all():
        report_stored(report)

    page = client_for(viewer).get(url("report_list", agency)).content.decode()

    assert sign_off.snapshot_sha256 in page
    for report in sign_off.reports.all():
        assert url("report_download", agency, report.pk) in page
    assert "Lakeside 2026" not in page
    assert "Prepare draft" not in page  # the current assessment is signed: nothing to draft


def test_reports_page_offers_drafts_before_the_first_sign_off(
    client_for, agency, assessment, viewer
):
    page = client_for(viewer).get(url("report_list", agency)).content.decode()

    assert "No signed reports yet" in page
    assert url("draft_prepare", agency, assessment.pk, "full") in page
    assert url("draft_prepare", agency, assessment.pk, "public") in page


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
    client_for, agency, complete_assessment, lead
):
    report = report_stored(sign(complete_assessment, lead).reports.first())
    report.file.storage.delete(report.file.name)

    response = client_for(lead).get(url("report_download", agency, report.pk))

    assert response.status_code == 404


def test_wrong_sign_off_passwords_are_audited_and_count_toward_the_sign_in_lockout(
    client, client_for, agency, complete_assessment, lead, editor
):
    assessment_submit(assessment=complete_assessment, by=editor)
    page = url("assessment_sign_off", agency, complete_assessment.pk)
    data = {"typed_name": "Dana Whitfield", "typed_title": "Chief", "attest": "on"}
    signer = client_for(lead)

    wrong = [signer.post(page, data | {"password": f"guess-{n}"}) for n in range(5)]
    right = signer.post(page, data | {"password": PASSWORD})

    assert [w.context["form"].errors["password"] for w in wrong[:4]] == [
        ["That is not your password."]
    ] * 4
    for refused in (wrong[4], right):
        assert refused.status_code == 200
        assert "Too many wrong passwords" in refused.context["form"].errors["password"][0]
    assert not SignOff.objects.exists()
    refusals = AuditEvent.objects.filter(action=AuditEvent.Action.PASSWORD_REFUSED)
    assert refusals.count() == 5
    assert {(e.agency, e.actor) for e in refusals} == {(agency, lead)}
    sign_in = Client().post(reverse("login"), {"username": lead.email, "password": PASSWORD})
    assert sign_in.status_code == 429


# The pages follow the assessment's state (issue 12) ------------------------------------------


def _sign_off_data() -> dict:
    return {
        "typed_name": "Dana Whitfield",
        "typed_title": "Chief of Police",
        "attest": "on",
        "password": PASSWORD,
    }


def test_after_sign_off_the_sign_off_page_says_who_and_when_and_links_to_the_reports(
    client_for, agency, lead, complete_assessment
):
    sign(complete_assessment, lead)

    response = client_for(lead).get(url("assessment_sign_off", agency, complete_assessment.pk))

    page = response.content.decode()
    assert response.status_code == 200
    assert "is signed off" in page
    assert "Dana Whitfield" in page
    assert url("assessment_reports", agency, complete_assessment.pk) in page
    assert 'name="password"' not in page


def test_a_second_sign_off_post_gets_one_clear_message(
    client_for, agency, lead, complete_assessment
):
    sign(complete_assessment, lead)

    response = client_for(lead).post(
        url("assessment_sign_off", agency, complete_assessment.pk), _sign_off_data(), follow=True
    )

    page = response.content.decode()
    assert page.count("already been signed off") == 1
    assert SignOff.objects.count() == 1


def test_a_sign_off_refused_by_the_service_shows_its_message_once(
    client_for, agency, lead, complete_assessment
):
    """A draft (not submitted) cannot be signed: the reason appears once, not twice."""
    response = client_for(lead).post(
        url("assessment_sign_off", agency, complete_assessment.pk), _sign_off_data()
    )

    assert response.content.decode().count("Submit the assessment for review") == 1


def test_reopening_asks_for_a_reason_and_a_confirmation(
    client_for, agency, lead, complete_assessment
):
    sign(complete_assessment, lead)
    address = url("assessment_reopen", agency, complete_assessment.pk)
    client = client_for(lead)

    form = client.get(address)
    refused = client.post(address, {"reason": "  "})

    assert 'name="reason"' in form.content.decode()
    assert set(refused.context["form"].errors) == {"reason", "confirm"}
    assert not Assessment.objects.filter(revision_of=complete_assessment).exists()


def test_the_new_revision_shows_the_reason_wherever_revisions_are_listed(
    client_for, agency, lead, complete_assessment
):
    sign(complete_assessment, lead)
    client = client_for(lead)
    reopened = client.post(
        url("assessment_reopen", agency, complete_assessment.pk),
        {"reason": "Bayview Elementary opened after the sign-off", "confirm": "on"},
        follow=True,
    )
    revision = Assessment.objects.get(revision_of=complete_assessment)
    day = timezone.localtime(revision.created_at)
    label = (
        f"revision 2, reopened {day.day} {day:%b %Y}: Bayview Elementary opened after the sign-off"
    )

    assert revision.reopen_reason == "Bayview Elementary opened after the sign-off"
    assert label in reopened.content.decode()  # the new revision's checklist
    for page in ("assessment_reports", "assessment_list"):
        args = (revision.pk,) if page == "assessment_reports" else ()
        assert label in client.get(url(page, agency, *args)).content.decode(), page


def test_reopening_twice_lands_on_the_revision_without_an_error(
    client_for, agency, lead, complete_assessment
):
    sign(complete_assessment, lead)
    client = client_for(lead)
    address = url("assessment_reopen", agency, complete_assessment.pk)
    data = {"reason": "A school was added", "confirm": "on"}

    client.post(address, data)
    second = client.post(address, data, follow=True)

    revision = Assessment.objects.get(revision_of=complete_assessment)
    assert second.status_code == 200
    assert second.redirect_chain[-1][0] == revision.get_absolute_url()
    assert "already reopened" in second.content.decode()
