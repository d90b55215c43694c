"""A signed report is exactly what was attested, for its audience only, and names its agency
and signer so that it cannot be passed off as another agency's (issue 11)."""

from __future__ import annotations

import hashlib
import io
import json
import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction
from django.urls import reverse
from pypdf import PdfReader

from accounts.models import Agency
from checklists.assessments.evidence import attachment_add, attachment_delete
from checklists.assessments.models import Assessment, AssessmentLocked, Response
from checklists.assessments.services import IncompleteAssessment, response_update
from checklists.signoff.models import Report, SignOff
from checklists.signoff.pdf import SNAPSHOT_NAME, signed_pdf
from checklists.signoff.rendering import report_render
from checklists.signoff.services import (
    assessment_reopen,
    assessment_return,
    assessment_sign_off,
    assessment_submit,
)
from checklists.signoff.verify import verify_report
from tests.helpers import PASSWORD, PDF_BYTES, pdf_text, response_for, sign

S = Response.Status
NOTE = "Range 3 booked with Bayview fire for the spring drill"
ANSWER = "General Order 7.31"


def _stored(report: Report) -> bytes:
    report.refresh_from_db()
    with report.file.open("rb") as handle:
        return handle.read()


def _attachment(pdf: bytes) -> bytes:
    (data,) = PdfReader(io.BytesIO(pdf)).attachments[SNAPSHOT_NAME]
    return data


@pytest.fixture
def recorded(complete_assessment, school, lead, editor, upload):
    """An assessment with what must never reach the public: a school's answer with a note, an
    owner, and an evidence file."""
    row = response_for(complete_assessment, "LER-16", school)
    prompt = next(p for p in row.item.prompts.all() if p.kind == "text")
    response_update(
        response=row, by=lead, expected_version=row.version, status=S.IN_PROGRESS,
        notes=NOTE, answers={prompt.key: ANSWER}, owner=editor,
    )  # fmt: skip
    attachment_add(
        response=response_for(complete_assessment, "LER-02"),
        upload=upload("range-roster-2026.pdf", PDF_BYTES),
        prompt_key="",
        by=lead,
    )
    return complete_assessment


@pytest.fixture
def signed(recorded, lead) -> SignOff:
    """Signed off; each report is rendered when a test first asks for it (`_report`)."""
    return sign(recorded, lead)


def _report(sign_off: SignOff, edition: str) -> Report:
    """The sign-off's report of `edition`, rendered and signed for real (WeasyPrint and pyHanko)
    the first time it is asked for: a test pays only for the editions it reads."""
    return report_render(report=sign_off.reports.get(edition=edition))


def test_the_public_summary_carries_nothing_sensitive(signed, school, lead, editor):
    public = json.loads(_attachment(_stored(_report(signed, Report.Edition.PUBLIC))))
    text = json.dumps(public, ensure_ascii=False)

    assert public["format"] == "muster-public-snapshot/2"
    for secret in (school.name, NOTE, ANSWER, editor.full_name, "range-roster", lead.email):
        assert secret not in text
    assert "responses" not in public
    assert "schools" not in public["scores"]
    assert public["scores"]["sections"]  # what the public may see is there


def test_each_edition_embeds_its_own_snapshot_and_prints_its_fingerprint(
    signed, school, lead, editor
):
    for edition, sha256 in (
        (Report.Edition.FULL, signed.snapshot_sha256),
        (Report.Edition.PUBLIC, signed.public_snapshot_sha256),
    ):
        pdf = _stored(_report(signed, edition))
        embedded = _attachment(pdf)

        assert hashlib.sha256(embedded).hexdigest() == sha256
        assert sha256 in "".join(pdf_text(pdf)).replace("\n", "")
        verdict = verify_report(pdf)
        assert verdict.authentic
        assert (verdict.sign_off, verdict.edition) == (signed, edition)
    full = _attachment(_stored(_report(signed, Report.Edition.FULL))).decode()
    for recorded_fact in (school.name, NOTE, ANSWER, editor.full_name, "range-roster", lead.email):
        assert recorded_fact in full


def test_a_signed_report_prints_its_snapshot_not_the_live_rows(signed, school):
    report = _report(signed, Report.Edition.FULL)
    first = pdf_text(_stored(report))
    school.name = "Renamed After Sign-off High"
    school.save()
    Agency.objects.filter(pk=signed.assessment.agency_id).update(name="Renamed Agency")

    again = pdf_text(signed_pdf(SignOff.objects.get(pk=signed.pk), edition=Report.Edition.FULL))

    assert again == first
    assert "Renamed" not in "".join(again)


def test_a_retried_render_prints_the_samepdf_text(signed, school):
    report = _report(signed, Report.Edition.PUBLIC)
    first = pdf_text(_stored(report))
    school.name = "Renamed After Sign-off High"
    school.save()
    Report.objects.filter(pk=report.pk).update(state=Report.State.FAILED, file="", sha256="")

    report_render(report=Report.objects.get(pk=report.pk))

    assert pdf_text(_stored(report)) == first


def test_the_render_time_printed_is_the_sign_off_time(signed):
    text = "".join(pdf_text(_stored(_report(signed, Report.Edition.FULL))))

    assert "as signed" in text
    assert "produced" not in text


def test_a_report_of_a_reopened_revision_verifies_as_superseded(signed, lead, client):
    old = _stored(_report(signed, Report.Edition.FULL))
    revision = assessment_reopen(
        assessment=signed.assessment, by=lead, reason="A school was added after the sign-off."
    )
    later = sign(revision, lead)  # its row is what supersedes; its reports need no render

    verdict = verify_report(old)
    page = client.post(reverse("verify"), {"file": io.BytesIO(old)}).content.decode()

    assert verdict.authentic
    assert verdict.superseded_by == later
    assert "Superseded" in page
    assert "by revision 2" in page
    assert "revision 1" in page


def test_the_verdict_names_the_agency_slug_the_edition_and_the_signers_account(
    signed, lead, client
):
    pdf = io.BytesIO(_stored(_report(signed, Report.Edition.PUBLIC)))
    page = client.post(reverse("verify"), {"file": pdf}).content.decode()

    assert "<code>harbor</code>" in page
    assert lead.email in page
    assert "Public summary" in page
    assert "Yes: no later revision of this assessment was signed" in page


def test_another_agency_cannot_take_our_name(client_for, agency, other_agency, outsider):
    reply = client_for(outsider).post(
        reverse("agency_settings", args=[other_agency.slug]),
        {"name": agency.name.upper(), "jurisdiction": "", "state": ""},
    )

    assert reply.status_code == 200
    assert "Another agency already has this name." in reply.content.decode()
    other_agency.refresh_from_db()
    assert other_agency.name == "Lakeside County Sheriff's Office"


def test_agency_names_are_unique_whatever_their_case(agency):
    with pytest.raises(ValidationError):
        Agency(name=agency.name.lower(), slug="another").full_clean()


# Review freezes the assessment ------------------------------------------------------------------


@pytest.fixture
def submitted(complete_assessment, lead):
    return assessment_submit(assessment=complete_assessment, by=lead)


def test_nothing_changes_under_review(submitted, editor, client_for, agency, upload):
    row = response_for(submitted, "LER-03")
    url = reverse("response_detail", args=[agency.slug, row.pk])

    reply = client_for(editor).post(url, {"version": row.version, "status": S.IN_PLACE})

    assert reply.status_code == 403
    with pytest.raises(AssessmentLocked, match="in review"):
        attachment_add(response=row, upload=upload(), prompt_key="", by=editor)
    row.refresh_from_db()
    assert (row.status, row.version, row.attachments.count()) == (S.IN_PROGRESS, 1, 0)


def test_evidence_cannot_be_removed_under_review(complete_assessment, lead, upload):
    row = response_for(complete_assessment, "LER-03")
    attachment = attachment_add(response=row, upload=upload(), prompt_key="", by=lead)
    assessment_submit(assessment=complete_assessment, by=lead)

    with pytest.raises(AssessmentLocked):
        attachment_delete(attachment=attachment, by=lead)
    assert row.attachments.count() == 1


def test_returned_to_draft_it_can_change_again(submitted, lead):
    assessment_return(assessment=submitted, by=lead)
    row = response_for(submitted, "LER-03")

    saved = response_update(
        response=row, by=lead, expected_version=row.version, status=S.NOT_APPLICABLE,
        justification="No range of our own",
    )  # fmt: skip

    assert saved.status == S.NOT_APPLICABLE


def test_a_school_added_during_review_gets_its_rows_when_returned(submitted, lead, agency):
    from checklists.assessments.services import school_add

    school = school_add(agency=agency, by=lead, name="Opened In Review")
    assert not submitted.responses.filter(school=school).exists()

    assessment_return(assessment=submitted, by=lead)

    assert submitted.responses.filter(school=school).count() == (
        submitted.catalog_version.items.filter(scope="school").count()
    )


def test_an_incomplete_assessment_cannot_be_signed_off(submitted, lead):
    # A row changed behind the services' back (as a racing write once could): in place, no file.
    submitted.responses.filter(item__code="LER-01").update(status=S.IN_PLACE)

    with pytest.raises(IncompleteAssessment):
        assessment_sign_off(
            assessment=submitted, by=lead, typed_name="D", typed_title="Chief",
            attest=True, password=PASSWORD,
        )  # fmt: skip
    assert not SignOff.objects.exists()
    submitted.refresh_from_db()
    assert submitted.state == Assessment.State.IN_REVIEW


# Carried-over answers must be confirmed ---------------------------------------------------------


@pytest.fixture
def carried(recorded, lead):
    """The next cycle, started from a signed-off assessment whose reports are left unrendered:
    only the carried-over rows are under test here."""
    from checklists.assessments.services import assessment_start_next

    previous = sign(recorded, lead).assessment
    return assessment_start_next(previous=previous, title="2027", due_date=None, by=lead)


def test_unconfirmed_items_keep_an_assessment_from_review(carried, lead, client_for, agency):
    with pytest.raises(IncompleteAssessment) as error:
        assessment_submit(assessment=carried, by=lead)

    reasons = {g.reason for g in error.value.gaps}
    assert "Carried over from the previous assessment: confirm it is still true." in reasons
    page = client_for(lead).get(reverse("assessment_review", args=[agency.slug, carried.pk]))
    assert "confirm it is still true" in page.content.decode()


def test_dashboard_comparison_says_carried_over_answers_count_once_confirmed(
    carried, lead, client_for, agency
):
    waiting = carried.responses.to_confirm().count()

    page = client_for(lead).get(reverse("agency_detail", args=[agency.slug])).content.decode()

    assert "Compared with" in page
    assert f"{waiting} items to confirm</a>" in page
    checklist = reverse("assessment_checklist", args=[agency.slug, carried.pk])
    assert f'href="{checklist}?to_confirm=on"' in page


def test_an_sro_confirms_their_schools_carried_over_items_in_bulk_from_the_school_page(
    other_school, carried, sro, school, client_for, agency
):
    client = client_for(sro)
    theirs = list(carried.responses.for_school(school).to_confirm())
    elsewhere = carried.responses.for_school(other_school).to_confirm().first()
    page = reverse("school_checklist", args=[agency.slug, school.pk])

    shown = client.get(page).content.decode()
    reply = client.post(
        reverse("assessment_confirm", args=[agency.slug, carried.pk]),
        {"assign-responses": [r.pk for r in theirs], "next": page},
    )

    assert "Confirm selected still in place" in shown
    assert f"{len(theirs)} carried-over items to confirm" in shown  # this school's, not all
    assert f'id="pick-{theirs[0].pk}"' in shown
    assert reply.url == page
    assert not carried.responses.for_school(school).to_confirm().exists()
    refused = client.post(
        reverse("assessment_confirm", args=[agency.slug, carried.pk]),
        {"assign-responses": [elsewhere.pk]},
    )
    assert refused.status_code == 302  # "choose at least one item": not an item of theirs
    elsewhere.refresh_from_db()
    assert elsewhere.carried_over


def test_a_lead_confirms_carried_over_items_in_bulk(carried, lead, client_for, agency):
    chosen = list(carried.responses.to_confirm()[:3])
    client = client_for(lead)
    listed = client.get(
        reverse("assessment_checklist", args=[agency.slug, carried.pk]), {"to_confirm": "on"}
    )

    reply = client.post(
        reverse("assessment_confirm", args=[agency.slug, carried.pk]),
        {"assign-responses": [r.pk for r in chosen]},
    )

    assert listed.context["page"].paginator.count == carried.responses.to_confirm().count() + 3
    assert reply.status_code == 302
    for response in chosen:
        response.refresh_from_db()
        assert not response.carried_over
        latest = response.history.latest("history_date")
        assert (latest.history_user, latest.history_change_reason) == (lead, "confirmed")
    history = client.get(reverse("response_history", args=[agency.slug, chosen[0].pk]))
    assert "Confirmed" in history.content.decode()


def test_a_viewer_cannot_confirm(carried, viewer, client_for, agency):
    chosen = carried.responses.to_confirm().first()

    reply = client_for(viewer).post(
        reverse("assessment_confirm", args=[agency.slug, carried.pk]),
        {"assign-responses": [chosen.pk]},
    )

    assert reply.status_code == 403
    chosen.refresh_from_db()
    assert chosen.carried_over


def test_scores_say_how_many_wait_for_confirmation(carried):
    from checklists.assessments import scoring

    carried.responses.update(status=S.IN_PLACE)
    overall = scoring.overall(carried.responses.all())

    assert overall.percent == 0
    assert overall.awaiting == carried.responses.to_confirm().count() > 0


# Racing a sign-off, on PostgreSQL with real connections -----------------------------------------

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks across connections: PostgreSQL"
)


def _wait_until_another_connection_waits_for_a_lock(timeout: float = 10) -> None:
    """Poll PostgreSQL until some other session of this database waits on a row lock."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            # Inside a transaction the statistics views are a snapshot: take a fresh one.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.02)
    raise AssertionError("The other connection never waited for the lock.")


def _in_thread(call) -> tuple[threading.Thread, dict]:
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except Exception as error:  # the test asserts which
            outcome["error"] = error
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_save_racing_the_submission_waits_for_it_and_is_refused(
    complete_assessment, lead, editor
):
    row = response_for(complete_assessment, "LER-03")
    with transaction.atomic():
        assessment_submit(assessment=complete_assessment, by=lead)  # holds the lock to commit
        thread, outcome = _in_thread(
            lambda: response_update(
                response=row, by=editor, expected_version=row.version, status=S.NOT_STARTED
            )
        )
        _wait_until_another_connection_waits_for_a_lock()
    thread.join(10)

    assert isinstance(outcome.get("error"), AssessmentLocked)
    row.refresh_from_db()
    assert row.status == S.IN_PROGRESS


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_submission_racing_a_save_waits_and_sees_it(complete_assessment, lead, editor):
    row = response_for(complete_assessment, "LER-03")
    with transaction.atomic():
        response_update(
            response=row, by=editor, expected_version=row.version, status=S.NOT_STARTED
        )  # holds the assessment's lock to commit
        thread, outcome = _in_thread(
            lambda: assessment_submit(assessment=complete_assessment, by=lead)
        )
        _wait_until_another_connection_waits_for_a_lock()
    thread.join(10)

    assert isinstance(outcome.get("error"), IncompleteAssessment)
    complete_assessment.refresh_from_db()
    assert complete_assessment.state == Assessment.State.DRAFT
