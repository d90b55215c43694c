"""Verifying a signed report: by command and on the public page; one changed byte fails it."""

from __future__ import annotations

import io
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from checklists.signoff.verify import verify_report
from tests.helpers import signed_report


def test_one_changed_byte_fails_verification(client, complete_assessment, lead, tmp_path):
    data = signed_report(complete_assessment, lead, "full").file.read()
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
    page = client.post(
        reverse("verify"), {"file": SimpleUploadedFile("report.pdf", data)}
    ).content.decode()
    assert "Verified: authentic and unaltered" in page
    assert "Dana Whitfield" in page


def test_verify_page_handles_files_that_are_not_reports(client, db):
    page = client.post(
        reverse("verify"), {"file": SimpleUploadedFile("x.pdf", b"not a pdf at all")}
    )

    assert page.status_code == 200
    assert "not a readable PDF" in page.content.decode()
