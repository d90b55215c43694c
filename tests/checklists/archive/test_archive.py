"""Backing up an agency and restoring it elsewhere: export_agency and import_agency."""

from __future__ import annotations

import hashlib
import json
import zipfile
from datetime import date, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import authenticate
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import RequestFactory
from django.utils import timezone

from accounts.models import Agency, AuditEvent, Invitation, Membership, Role, School, User
from accounts.services import invitation_create
from checklists.archive.format import FORMAT
from checklists.assessments.comments import comment_add
from checklists.assessments.services import response_update
from checklists.catalog.services import catalog_load
from checklists.models import (
    Assessment,
    Attachment,
    CatalogVersion,
    Item,
    Report,
    Response,
    ReviewComment,
    SignOff,
)
from checklists.signoff.pdf import signed_pdf
from checklists.signoff.services import assessment_reopen
from checklists.signoff.snapshot import assessment_snapshot, canonical, fingerprint
from checklists.signoff.verify import verify_report
from tests.helpers import (
    PASSWORD,
    PNG_BYTES,
    SHIPPED_CATALOG,
    empty_audit_log,
    pdf_text,
    report_stored,
    response_for,
    sign,
)

History = Response.history.model


@pytest.fixture
def lived_in(agency, lead, editor, sro, school, complete_assessment, upload):
    """An agency with a logo, an edited response with evidence, and a pending invitation."""
    agency.logo.save("harbor-badge.png", ContentFile(PNG_BYTES))
    target = response_for(complete_assessment, "LER-01")
    response_update(
        response=target, by=editor, expected_version=target.version, status="in_progress",
        notes="General order drafted", answers={"policy_reference": "GO-12"},
        files=[("policy_file", upload("general-order.pdf"))],
    )  # fmt: skip
    comment_add(response=target, body="Which general order is this?", by=lead)
    invitation_create(
        agency=agency, email="new.sro@harbor.example", access="sro", schools=[school],
        roles=Role.objects.filter(slug="school-resource-officer"), invited_by=lead,
    )  # fmt: skip
    return agency


@pytest.fixture
def harbor(lived_in, lead, complete_assessment):
    """…and its assessment signed off, then reopened; its two reports are stored placeholder
    PDFs (files to back up, not renders)."""
    for report in sign(complete_assessment, lead).reports.all():
        report_stored(report)
    assessment_reopen(
        assessment=complete_assessment, by=lead, reason="A school was added after the sign-off."
    )
    return lived_in


@pytest.fixture
def signed_harbor(
    lived_in, lead, complete_assessment, render_reports, django_capture_on_commit_callbacks
):
    """…and its assessment signed off for real (both reports rendered and signed), then
    reopened: for a restore whose reports must still verify."""
    sign(complete_assessment, lead, django_capture_on_commit_callbacks)
    assessment_reopen(
        assessment=complete_assessment, by=lead, reason="A school was added after the sign-off."
    )
    return lived_in


def counts() -> dict[str, int]:
    models = [User, Agency, School, Membership, Invitation, Assessment, Response, History]
    models += [Attachment, ReviewComment, SignOff, Report, CatalogVersion, Item, Role]
    return {model.__name__: model.objects.count() for model in models}


def stored(name: str) -> bytes:
    with default_storage.open(name, "rb") as file:
        return file.read()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def export(tmp_path: Path, slug: str = "harbor") -> Path:
    path = tmp_path / "harbor.zip"
    call_command("export_agency", slug, "--output", str(path), stdout=StringIO())
    return path


def empty_instance(settings, tmp_path: Path, *, keep_catalog: bool = True) -> None:
    """Every table emptied (the test's transaction brings them back) and a fresh media folder."""
    # PostgreSQL cannot TRUNCATE with foreign-key checks still pending: run them first.
    connection.check_constraints()
    empty_audit_log()
    call_command("flush", interactive=False, verbosity=0)
    settings.MEDIA_ROOT = tmp_path / "fresh-media"
    if keep_catalog:
        catalog_load(path=SHIPPED_CATALOG)


def import_(path: Path) -> str:
    out = StringIO()
    call_command("import_agency", str(path), stdout=out)
    return out.getvalue()


def media_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.mark.parametrize("keep_catalog", [True, False], ids=["catalog-loaded", "catalog-created"])
def test_an_agency_restored_into_an_empty_instance_is_the_same_agency(
    signed_harbor, lead, editor, settings, tmp_path, keep_catalog
):
    before = counts()
    log = list(
        AuditEvent.objects.order_by("at", "pk").values_list(
            "at", "action", "actor_email", "summary"
        )
    )
    sign_off = SignOff.objects.get()
    reports = {r.edition: (r.sha256, stored(r.file.name)) for r in Report.objects.all()}
    evidence = {a.sha256: stored(a.file.name) for a in Attachment.objects.all()}
    logo = stored(signed_harbor.logo.name)
    path = export(tmp_path)

    empty_instance(settings, tmp_path, keep_catalog=keep_catalog)
    assert not Agency.objects.exists()
    output = import_(path)

    assert "Imported agency harbor: 3 users" in output
    assert counts() == before
    factory = RequestFactory()
    for email in (lead.email, editor.email, "sro@harbor.example"):
        assert authenticate(factory.post("/"), username=email, password=PASSWORD) is not None
    restored = SignOff.objects.select_related("assessment", "signer").get()
    assert restored.snapshot_sha256 == sign_off.snapshot_sha256
    assert restored.snapshot == sign_off.snapshot
    signed = json.loads(restored.snapshot)
    rebuilt = assessment_snapshot(
        restored.assessment,
        signer=signed["sign_off"],
        as_of=date.fromisoformat(signed["as_of"]),
        logo_sha256=signed["agency"]["logo_sha256"],
    )
    assert fingerprint(canonical(rebuilt)) == sign_off.snapshot_sha256
    assert signed["sign_off"]["at"] == restored.signed_at.isoformat()
    for report in Report.objects.all():
        data = stored(report.file.name)
        assert (report.sha256, data) == reports[report.edition]
        verdict = verify_report(data)
        assert verdict.authentic, verdict.problems
        assert verdict.sign_off == restored
        # Rendered again here, from the restored snapshot and logo: the same text, page by page.
        assert pdf_text(signed_pdf(restored, edition=report.edition)) == pdf_text(data)
    restored_evidence = Attachment.objects.all()
    assert {a.sha256: stored(a.file.name) for a in restored_evidence} == evidence
    # The reopened revision's carried-over attachment still shares the one stored file.
    assert len({a.file.name for a in restored_evidence}) == 1 < len(restored_evidence)
    assert stored(Agency.objects.get().logo.name) == logo
    # The audit log came back as it was.
    restored_log = AuditEvent.objects.order_by("at", "pk")
    assert log
    assert list(restored_log.values_list("at", "action", "actor_email", "summary")) == log
    assert {e.agency for e in restored_log} == {Agency.objects.get()}


def test_restored_history_and_links_point_at_the_restored_rows(harbor, settings, tmp_path):
    original = Assessment.objects.get(revision=1)
    path = export(tmp_path)

    empty_instance(settings, tmp_path)
    import_(path)

    signed, revision = Assessment.objects.order_by("revision")
    assert signed.pk == original.pk
    assert revision.revision_of == signed
    later = Assessment.objects.create(
        agency=signed.agency, catalog_version=signed.catalog_version, title="2027"
    )
    assert later.pk > revision.pk
    edited = response_for(signed, "LER-01")
    assert [(h.history_type, h.notes) for h in edited.changes.order_by("history_date")] == [
        ("+", ""),
        ("~", "General order drafted"),
    ]
    assert edited.changes.latest("history_date").history_user.email == "editor@harbor.example"
    assert response_for(revision, "LER-01").previous == edited
    membership = Membership.objects.get(user__email="sro@harbor.example")
    assert list(membership.schools.values_list("name", flat=True)) == ["Harbor High School"]
    invitation = Invitation.objects.get()
    assert invitation.is_pending
    assert list(invitation.schools.all()) == [School.objects.get(name="Harbor High School")]


def test_the_archive_lists_and_fingerprints_every_member(harbor, tmp_path):
    path = export(tmp_path)

    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        for name, member in manifest["members"].items():
            assert sha256(archive.read(name)) == member["sha256"]
        names = set(archive.namelist())
    assert manifest["format"] == FORMAT
    assert manifest["agency"] == "harbor"
    assert manifest["counts"]["sign_offs"] == 1
    assert manifest["counts"]["users"] == 3
    # One logo, one evidence file shared by two attachments, two reports: each stored once.
    # the logo, the logo as signed, one evidence file, two signed reports
    assert len([n for n in names if n.startswith("files/")]) == 5
    assert path.stat().st_mode & 0o777 == 0o600


def test_an_archive_with_one_changed_byte_is_refused_and_nothing_is_written(
    lived_in, settings, tmp_path
):
    path = export(tmp_path)
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(tampered, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.startswith("files/evidence/"):
                data = data[:-1] + bytes([data[-1] ^ 1])
            target.writestr(info, data)

    empty_instance(settings, tmp_path)
    before = counts()
    with pytest.raises(CommandError, match="does not match the SHA-256 in the manifest"):
        import_(tampered)

    assert counts() == before
    assert media_files(tmp_path / "fresh-media") == []


def test_a_damaged_zip_or_an_unknown_format_is_refused(lived_in, settings, tmp_path):
    path = export(tmp_path)
    damaged = tmp_path / "damaged.zip"
    data = bytearray(path.read_bytes())
    data[len(data) // 3] ^= 0xFF
    damaged.write_bytes(bytes(data))
    future = tmp_path / "future.zip"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(future, "w") as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "manifest.json":
                content = content.replace(FORMAT.encode(), b"muster-agency-archive/99")
            target.writestr(info, content)

    empty_instance(settings, tmp_path)
    with pytest.raises(CommandError):
        import_(damaged)
    with pytest.raises(CommandError, match="Unknown archive format 'muster-agency-archive/99'"):
        import_(future)
    assert not Agency.objects.exists()


def test_importing_over_an_existing_agency_or_user_is_refused(lived_in, tmp_path):
    path = export(tmp_path)
    before = counts()
    files = media_files(tmp_path / "media")

    with pytest.raises(CommandError) as error:
        import_(path)

    message = str(error.value)
    assert "An agency with the slug harbor already exists here." in message
    assert "lead@harbor.example" in message
    assert "Nothing was imported." in message
    assert counts() == before
    assert media_files(tmp_path / "media") == files


def test_a_user_of_the_archive_already_here_stops_the_import(lived_in, settings, tmp_path):
    path = export(tmp_path)
    empty_instance(settings, tmp_path)
    User.objects.create_user("editor@harbor.example", "x-password-1", full_name="Someone")

    with pytest.raises(CommandError, match="These users already exist here: editor@harbor"):
        import_(path)
    assert not Agency.objects.exists()


def test_a_failure_inside_the_transaction_removes_the_files_already_written(
    lived_in, settings, tmp_path
):
    """A clash the checks cannot see (here a pending invitation's token) rolls everything back."""
    token_hash = Invitation.objects.get().token_hash
    path = export(tmp_path)
    empty_instance(settings, tmp_path)
    elsewhere = Agency.objects.create(name="Lakeside", slug="lakeside")
    Invitation.objects.create(
        agency=elsewhere,
        email="x@lakeside.example",
        token_hash=token_hash,
        expires_at=timezone.now() + timedelta(days=1),
    )
    before = counts()

    with pytest.raises(CommandError, match="does not fit this database"):
        import_(path)

    assert counts() == before
    assert media_files(tmp_path / "fresh-media") == []


def test_check_only_verifies_and_writes_nothing(lived_in, settings, tmp_path):
    path = export(tmp_path)
    empty_instance(settings, tmp_path)
    out = StringIO()

    call_command("import_agency", str(path), "--check", stdout=out)

    assert "Checked, ready to import agency harbor" in out.getvalue()
    assert not Agency.objects.exists()


def test_export_refuses_an_unknown_agency_and_an_existing_file(lived_in, tmp_path):
    path = export(tmp_path)

    with pytest.raises(CommandError, match="No agency with the slug 'nowhere'"):
        call_command("export_agency", "nowhere", stdout=StringIO())
    with pytest.raises(CommandError, match="already exists"):
        call_command("export_agency", "harbor", "-o", str(path), stdout=StringIO())


def test_export_output_names_what_it_wrote_and_warns(lived_in, tmp_path):
    out = StringIO()
    path = tmp_path / "backup.zip"

    call_command("export_agency", "harbor", "-o", str(path), stdout=out)

    assert f"to {path}: 3 users, 2 schools, 1 assessments" in out.getvalue()
    assert "password hashes" in out.getvalue()


def test_a_missing_stored_file_stops_the_export(lived_in, tmp_path):
    default_storage.delete(Attachment.objects.first().file.name)

    with pytest.raises(CommandError, match="Cannot read the stored file evidence/"):
        export(tmp_path)
    assert not (tmp_path / "harbor.zip").exists()
    assert not (tmp_path / "harbor.zip.part").exists()


def test_former_members_named_in_the_records_cannot_sign_in_after_a_restore(
    lived_in, editor, settings, tmp_path
):
    Membership.objects.filter(user=editor).delete()
    path = export(tmp_path)
    empty_instance(settings, tmp_path)

    import_(path)

    restored = User.objects.get(email=editor.email)
    assert not restored.has_usable_password()


def test_a_different_catalog_under_the_same_number_is_refused(lived_in, settings, tmp_path):
    path = export(tmp_path)
    empty_instance(settings, tmp_path, keep_catalog=False)
    edited = tmp_path / "edited.yaml"
    edited.write_text(SHIPPED_CATALOG.read_text().replace("guidance: ", "guidance: Edited. ", 1))
    assert catalog_load(path=edited).version.number == 1

    with pytest.raises(CommandError, match="version #1 here differs from the archived one"):
        import_(path)
    assert not Agency.objects.exists()


def test_an_archive_from_before_an_app_registered_its_rows_imports_without_them(
    lived_in, settings, tmp_path
):
    path = export(tmp_path)
    older = tmp_path / "older.zip"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(older, "w") as target:
        data = json.loads(source.read("data.json"))
        own = {kind: rows for kind, rows in data.items() if not kind.startswith("training_")}
        payload = json.dumps(own).encode()
        manifest = json.loads(source.read("manifest.json"))
        manifest["counts"] = {kind: len(rows) for kind, rows in own.items()}
        manifest["members"]["data.json"] = {"sha256": sha256(payload), "size": len(payload)}
        for info in source.infolist():
            if info.filename not in ("data.json", "manifest.json"):
                target.writestr(info, source.read(info))
        target.writestr("data.json", payload)
        target.writestr("manifest.json", json.dumps(manifest))

    empty_instance(settings, tmp_path)
    import_(older)

    assert Agency.objects.get().slug == "harbor"
