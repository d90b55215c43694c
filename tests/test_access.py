"""Every URL, checked for who may reach it.

URLS lists every named URL pattern outside the admin. A new URL without an entry fails
`test_every_url_is_in_the_table`, so nobody adds a page without deciding who may see it.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts.models import Invitation
from checklists.models import Attachment, CatalogVersion, Report, SignOff
from checklists.services import assessment_start
from tests.factories import SchoolFactory

PUBLIC, LOGIN, AGENCY = "public", "login", "agency"


def _slug(objs):
    return {"slug": objs["agency"].slug}


URLS = {
    # name: (who may reach it, how to build its kwargs from the objects below)
    "home": (LOGIN, None),
    "login": (PUBLIC, None),
    "logout": (PUBLIC, None),
    "password_change": (LOGIN, None),
    "password_change_done": (LOGIN, None),
    "password_reset": (PUBLIC, None),
    "password_reset_done": (PUBLIC, None),
    "password_reset_confirm": (PUBLIC, lambda o: {"uidb64": "MQ", "token": "set-password"}),
    "password_reset_complete": (PUBLIC, None),
    "invitation_accept": (PUBLIC, lambda o: {"token": "not-a-real-token"}),
    "catalog_list": (LOGIN, None),
    "catalog_detail": (LOGIN, lambda o: {"slug": "rand-law-enforcement-response"}),
    "catalog_version": (LOGIN, lambda o: {"slug": "rand-law-enforcement-response", "number": 1}),
    "agency_detail": (AGENCY, _slug),
    "school_list": (AGENCY, _slug),
    "school_create": (AGENCY, _slug),
    "school_edit": (AGENCY, lambda o: _slug(o) | {"pk": o["school"].pk}),
    "people": (AGENCY, _slug),
    "people_invite": (AGENCY, _slug),
    "people_edit": (AGENCY, lambda o: _slug(o) | {"pk": o["membership"].pk}),
    "people_remove": (AGENCY, lambda o: _slug(o) | {"pk": o["membership"].pk}),
    "people_invitation_revoke": (AGENCY, lambda o: _slug(o) | {"pk": o["invitation"].pk}),
    "assessment_list": (AGENCY, _slug),
    "assessment_create": (AGENCY, _slug),
    "assessment_checklist": (AGENCY, lambda o: _slug(o) | {"pk": o["assessment"].pk}),
    "assessment_assign": (AGENCY, lambda o: _slug(o) | {"pk": o["assessment"].pk}),
    "assessment_next": (AGENCY, lambda o: _slug(o) | {"pk": o["assessment"].pk}),
    "assessment_export_csv": (AGENCY, lambda o: _slug(o) | {"pk": o["assessment"].pk}),
    "assessment_export_json": (AGENCY, lambda o: _slug(o) | {"pk": o["assessment"].pk}),
    "response_detail": (AGENCY, lambda o: _slug(o) | {"pk": o["response"].pk}),
    "response_history": (AGENCY, lambda o: _slug(o) | {"pk": o["response"].pk}),
    "attachment_download": (AGENCY, lambda o: _slug(o) | {"pk": o["attachment"].pk}),
    "attachment_delete": (AGENCY, lambda o: _slug(o) | {"pk": o["attachment"].pk}),
    "school_mine": (AGENCY, _slug),
    "school_checklist": (AGENCY, lambda o: _slug(o) | {"pk": o["school"].pk}),
    "agency_settings": (AGENCY, _slug),
    "agency_logo": (AGENCY, _slug),
    "audit_log": (AGENCY, _slug),
    "audit_log_export": (AGENCY, _slug),
    "assessment_review": (AGENCY, lambda o: _slug(o) | {"pk": o["assessment"].pk}),
    "assessment_sign_off": (AGENCY, lambda o: _slug(o) | {"pk": o["assessment"].pk}),
    "assessment_return": (AGENCY, lambda o: _slug(o) | {"pk": o["assessment"].pk}),
    "assessment_reopen": (AGENCY, lambda o: _slug(o) | {"pk": o["assessment"].pk}),
    "assessment_reports": (AGENCY, lambda o: _slug(o) | {"pk": o["assessment"].pk}),
    "assessment_report_draft": (
        AGENCY,
        lambda o: _slug(o) | {"pk": o["assessment"].pk, "edition": "public"},
    ),
    "report_list": (AGENCY, _slug),
    "report_download": (AGENCY, lambda o: _slug(o) | {"pk": o["report"].pk}),
    "report_retry": (AGENCY, lambda o: _slug(o) | {"pk": o["report"].pk}),
    "verify": (PUBLIC, None),
}
OBJECT_URLS = {
    "school_edit", "people_edit", "people_remove", "people_invitation_revoke",
    "assessment_checklist", "assessment_assign", "assessment_next", "assessment_export_csv",
    "assessment_export_json", "response_detail", "response_history", "attachment_download",
    "attachment_delete", "school_checklist", "assessment_review", "assessment_sign_off",
    "assessment_return", "assessment_reopen", "assessment_reports", "assessment_report_draft",
    "report_download", "report_retry",
}  # fmt: skip


def named_patterns(patterns=None, namespace=None) -> set[str]:
    names = set()
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace != "admin":
                names |= named_patterns(entry.url_patterns, entry.namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            names.add(f"{namespace}:{entry.name}" if namespace else entry.name)
    return names


def objects_of(agency, lead) -> dict:
    school = SchoolFactory(agency=agency)
    assessment = assessment_start(
        agency=agency,
        catalog_version=CatalogVersion.objects.get(),
        title="2026",
        due_date=None,
        by=lead,
    )
    response = assessment.responses.filter(school=school).first()
    signed = assessment_start(
        agency=agency,
        catalog_version=CatalogVersion.objects.get(),
        title="2025",
        due_date=None,
        by=lead,
    )
    sign_off = SignOff.objects.create(
        assessment=signed, signer=lead, typed_name="L", typed_title="Chief", statement="S",
        snapshot="{}", snapshot_sha256=f"{agency.pk:064d}",
    )  # fmt: skip
    return {
        "report": Report.objects.create(sign_off=sign_off, edition="full", state="failed"),
        "agency": agency,
        "school": school,
        "assessment": assessment,
        "response": response,
        "attachment": Attachment.objects.create(
            response=response,
            file="evidence/x.pdf",
            original_name="x.pdf",
            content_type="application/pdf",
            size=1,
            sha256="0" * 64,
        ),
        "membership": lead.memberships.get(agency=agency),
        "invitation": Invitation.objects.create(
            agency=agency,
            email="someone@agency.example",
            token_hash=f"{agency.pk:064d}",
            expires_at=timezone.now() + timedelta(days=1),
        ),
    }


@pytest.fixture
def ours(agency, lead, catalog_version):
    return objects_of(agency, lead)


def url_of(name: str, objs: dict) -> str:
    kwargs = URLS[name][1]
    return reverse(name, kwargs=kwargs(objs) if kwargs else None)


def test_every_url_is_in_the_table():
    assert named_patterns() == set(URLS)


@pytest.mark.parametrize("name", [n for n, (who, _) in URLS.items() if who != PUBLIC])
@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_visitor_is_sent_to_sign_in(client, ours, name, method):
    url = url_of(name, ours)

    response = getattr(client, method)(url)

    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"


@pytest.mark.parametrize(
    "name", [n for n, (who, _) in URLS.items() if who == PUBLIC and n != "logout"]
)
def test_public_pages_answer_anonymous_visitors(client, ours, name):
    assert client.get(url_of(name, ours)).status_code in (200, 410)


@pytest.mark.parametrize("name", [n for n, (who, _) in URLS.items() if who == AGENCY])
@pytest.mark.parametrize("method", ["get", "post"])
def test_member_of_another_agency_gets_404(client_for, ours, outsider, name, method):
    client = client_for(outsider)

    assert getattr(client, method)(url_of(name, ours)).status_code == 404


@pytest.mark.parametrize("name", sorted(OBJECT_URLS))
@pytest.mark.parametrize("method", ["get", "post"])
def test_another_agencys_object_under_our_address_is_404(
    client_for, ours, lead, other_agency, outsider, name, method
):
    theirs = objects_of(other_agency, outsider)
    url = reverse(name, kwargs=URLS[name][1](theirs) | {"slug": ours["agency"].slug})

    assert getattr(client_for(lead), method)(url).status_code == 404


def test_admin_asks_anonymous_visitors_to_sign_in(client, db):
    response = client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_members_without_staff_status_cannot_use_the_admin(client_for, lead):
    response = client_for(lead).get(reverse("admin:index"))

    assert response.status_code == 302
