"""Evidence, logos and signed reports go through the configured storage, never a local path."""

from __future__ import annotations

import io
import stat
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image

from checklists.models import Report, Response
from config.settings import _file_storage
from tests.helpers import PDF_BYTES, required_answers, response_for, response_post, sign, url


@pytest.fixture
def elsewhere(settings, tmp_path):
    """A storage that is not MEDIA_ROOT, as a bucket would be."""
    location = tmp_path / "elsewhere"
    settings.STORAGES = settings.STORAGES | {
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": location},
        }
    }
    return location


def stored_files(folder) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_evidence_is_uploaded_to_and_downloaded_from_the_storage(
    client_for, agency, editor, viewer, assessment, upload, elsewhere, settings
):
    target = response_for(assessment, "LER-01")
    data = response_post(target, status=Response.Status.IN_PLACE, **{
        f"answer_{k}": v for k, v in required_answers(target).items()
    })  # fmt: skip
    file_prompt = next(p for p in target.item.prompts.all() if p.kind == "file")
    data[f"answer_{file_prompt.key}"] = upload("after-action.pdf")

    saved = client_for(editor).post(url("response_detail", agency, target.pk), data)

    assert saved.status_code == 302

    attachment = target.attachments.get()
    assert stored_files(elsewhere) == {attachment.file.name: PDF_BYTES}
    assert not (settings.MEDIA_ROOT / attachment.file.name).exists()
    download = client_for(viewer).get(url("attachment_download", agency, attachment.pk))
    assert b"".join(download.streaming_content) == PDF_BYTES


def test_signed_reports_and_the_logo_they_show_live_in_the_storage(
    client_for,
    agency,
    complete_assessment,
    lead,
    elsewhere,
    render_reports,
    django_capture_on_commit_callbacks,
):
    picture = io.BytesIO()
    Image.new("RGB", (8, 8), "navy").save(picture, "PNG")
    agency.logo.save("harbor.png", ContentFile(picture.getvalue()))

    sign_off = sign(complete_assessment, lead, django_capture_on_commit_callbacks)

    reports = list(sign_off.reports.all())
    assert {r.state for r in reports} == {Report.State.DONE}
    stored = stored_files(elsewhere)
    assert agency.logo.name in stored
    assert {r.file.name for r in reports} <= set(stored)
    for report in reports:
        download = client_for(lead).get(url("report_download", agency, report.pk))
        assert b"".join(download.streaming_content) == stored[report.file.name]
    logo = client_for(lead).get(url("agency_logo", agency))
    assert b"".join(logo.streaming_content) == picture.getvalue()
    assert default_storage.location == str(elsewhere)


def test_storage_backend_s3_configures_a_private_bucket_without_the_network(monkeypatch):
    from storages.backends.s3 import S3Storage

    monkeypatch.setenv("STORAGE_BACKEND", "s3")
    monkeypatch.setenv("AWS_STORAGE_BUCKET_NAME", "muster-evidence")
    monkeypatch.setenv("AWS_S3_ENDPOINT_URL", "https://minio.example.org:9000")
    monkeypatch.setenv("AWS_S3_REGION_NAME", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "muster-test-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "muster-test-secret")

    config = _file_storage()
    storage = S3Storage(**config["OPTIONS"])
    signed = urlsplit(storage.url("evidence/1/plan.pdf"))

    assert config["BACKEND"] == "storages.backends.s3.S3Storage"
    assert config["OPTIONS"]["default_acl"] == "private"
    assert config["OPTIONS"]["file_overwrite"] is False
    assert storage.bucket_name == "muster-evidence"
    assert signed.netloc == "minio.example.org:9000"
    assert signed.path.endswith("evidence/1/plan.pdf")
    query = parse_qs(signed.query)
    assert query["X-Amz-Expires"] == ["300"]
    assert "X-Amz-Signature" in query


def test_the_default_storage_is_the_file_system_under_media_root(monkeypatch):
    monkeypatch.delenv("STORAGE_BACKEND", raising=False)

    assert _file_storage() == {"BACKEND": "django.core.files.storage.FileSystemStorage"}


def test_stored_evidence_and_reports_are_readable_by_owner_and_group_only(
    client_for, agency, editor, assessment, lead, upload, settings
):
    target = response_for(assessment, "LER-01")
    data = response_post(target, status=Response.Status.IN_PLACE, **{
        f"answer_{k}": v for k, v in required_answers(target).items()
    })  # fmt: skip
    file_prompt = next(p for p in target.item.prompts.all() if p.kind == "file")
    data[f"answer_{file_prompt.key}"] = upload("after-action.pdf")
    client_for(editor).post(url("response_detail", agency, target.pk), data)
    evidence = settings.MEDIA_ROOT / target.attachments.get().file.name
    # A report file is written the way the task worker writes it: through the storage.
    report = Report(edition=Report.Edition.FULL)
    report.file.save("full.pdf", ContentFile(PDF_BYTES), save=False)
    rendered = settings.MEDIA_ROOT / report.file.name

    for path in (evidence, rendered):
        assert stat.S_IMODE(path.stat().st_mode) == 0o640
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o750
