"""The public viewer (issue 12): a council liaison or school board member sees the signed public
summaries and their scores, and nothing sensitive: no checklist, evidence, full report, school
or person. Distinct from the internal read-only viewer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership
from checklists.assessments.evidence import attachment_add
from checklists.models import Report
from tests.helpers import (
    PASSWORD,
    completion,
    person,
    report_stored,
    requirement,
    response_for,
    sign,
    url,
)


@pytest.fixture
def signed_off(complete_assessment, lead, school):
    sign_off = sign(complete_assessment, lead)
    for report in sign_off.reports.all():
        report_stored(report)
    return sign_off


def test_public_viewer_lands_on_the_published_reports(client, agency, public_viewer):
    response = client.post(
        reverse("login"), {"username": public_viewer.email, "password": PASSWORD}, follow=True
    )

    assert response.redirect_chain[-1][0] == url("report_list", agency)
    page = response.content.decode()
    assert "Published reports" in page
    for internal in ("Dashboard", "Checklist", "My schools", "People"):
        assert f">{internal}<" not in page, internal


def test_public_viewer_sees_the_published_scores_and_the_public_summary_only(
    client_for, agency, public_viewer, signed_off, school
):
    page = client_for(public_viewer).get(url("report_list", agency)).content.decode()
    public = signed_off.reports.get(edition=Report.Edition.PUBLIC)
    full = signed_off.reports.get(edition=Report.Edition.FULL)

    assert url("report_download", agency, public.pk) in page
    assert url("report_download", agency, full.pk) not in page
    assert "Readiness:" in page
    assert "%" in page
    assert school.name not in page
    assert signed_off.signer.email not in page
    assert "draft" not in page.lower()


def test_published_page_gives_the_frozen_training_shares_without_names(
    client_for, agency, public_viewer, complete_assessment, lead, courses
):
    course = courses["alerrt-level-1"]
    requirement(agency, [course], name="Active-attack training every 24 months")
    trained = person(agency, "1001", full_name="Avery Quinn")
    person(agency, "1002", full_name="Blake Ortiz")
    completion(trained, course, timezone.localdate() - timedelta(days=30))
    sign_off = sign(complete_assessment, lead)
    trained.delete()  # after sign-off: the page keeps what was signed

    page = client_for(public_viewer).get(url("report_list", agency)).content.decode()

    assert "Training currency" in page
    assert "Active-attack training every 24 months" in page
    assert "50%" in page
    assert "Avery Quinn" not in page
    assert "Blake Ortiz" not in page
    assert f"Signed off {sign_off.signed_at:%b} " in page
    assert "figures as of" not in page  # the figures are of the sign-off day: one date says it


def test_public_viewer_cannot_download_the_full_report_or_evidence(
    client_for, agency, public_viewer, signed_off, lead, upload
):
    full = signed_off.reports.get(edition=Report.Edition.FULL)
    public = signed_off.reports.get(edition=Report.Edition.PUBLIC)
    client = client_for(public_viewer)

    assert client.get(url("report_download", agency, public.pk)).status_code == 200
    assert client.get(url("report_download", agency, full.pk)).status_code == 403
    assessment = signed_off.assessment
    for page in ("assessment_checklist", "assessment_export_csv", "assessment_reports"):
        assert client.get(url(page, agency, assessment.pk)).status_code == 403, page
    for page in ("people", "school_list", "school_mine", "assessment_list"):
        assert client.get(url(page, agency)).status_code == 403, page


def test_internal_viewer_still_reads_the_full_report(client_for, agency, viewer, signed_off):
    full = signed_off.reports.get(edition=Report.Edition.FULL)

    assert client_for(viewer).get(url("report_download", agency, full.pk)).status_code == 200


def test_public_viewer_cannot_open_evidence(
    client_for, agency, public_viewer, assessment, lead, upload
):
    response = response_for(assessment, "LER-01")
    attachment = attachment_add(
        response=response, upload=upload(), prompt_key=response.item.prompts.first().key, by=lead
    )

    got = client_for(public_viewer).get(url("attachment_download", agency, attachment.pk))

    assert got.status_code == 403


def test_lead_invites_a_public_viewer(client_for, agency, lead):
    response = client_for(lead).post(
        reverse("people_invite", args=[agency.slug]),
        {"email": "liaison@council.example", "access": Membership.Access.PUBLIC},
    )

    assert response.status_code == 302
    assert agency.invitations.get().access == Membership.Access.PUBLIC
    form = client_for(lead).get(reverse("people_invite", args=[agency.slug])).content.decode()
    assert "Public viewer" in form


def test_published_page_takes_a_fixed_number_of_queries(
    client_for, agency, public_viewer, signed_off, django_assert_max_num_queries
):
    client = client_for(public_viewer)
    client.get(url("report_list", agency))

    with django_assert_max_num_queries(12):
        client.get(url("report_list", agency))
