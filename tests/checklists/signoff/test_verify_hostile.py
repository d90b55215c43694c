"""The public verify page holds against anything: every upload gets a verdict, never a 500.

The committed files in `hostile/` (written by `hostile/make_hostile.py`) each break one thing;
the genuine report and its alterations are made here, signed with the session's test key.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import tracemalloc
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import InMemoryUploadedFile, SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import reverse
from pyhanko.pdf_utils.reader import PdfFileReader

from checklists.signoff import verify
from checklists.signoff.signing import signing_pair_create
from checklists.signoff.verify import SnapshotRefused, bounded_data, verify_report
from tests.checklists.signoff.hostile_files import attachment_pdf, sign_with, snapshot_pdf
from tests.helpers import signed_report

HOSTILE = Path(__file__).parent / "hostile"
MiB = 1024 * 1024
VERIFIED = "Verified: authentic and unaltered"

# Each committed file, the status of its page and a problem the verdict names.
EXPECTED = {
    "not-a-pdf.txt": (200, verify.NOT_A_PDF),
    "image.pdf": (200, verify.NOT_A_PDF),
    "empty.pdf": (400, "The submitted file is empty."),
    "header-only.pdf": (200, verify.DAMAGED),
    "garbage-after-header.pdf": (200, verify.DAMAGED),
    "truncated.pdf": (200, verify.DAMAGED),
    "xref-points-nowhere.pdf": (200, verify.DAMAGED),
    "deep-nesting.pdf": (200, verify.DAMAGED),
    "names-point-nowhere.pdf": (200, verify.DAMAGED),
    "encrypted.pdf": (200, verify.DAMAGED),
    "object-stream-bomb.pdf": (200, verify.TOO_MUCH_DATA),
    "unsigned.pdf": (200, verify.NO_SNAPSHOT),
    "unsigned-snapshot.pdf": (200, verify.NO_SIGNATURE),
    "unsigned-snapshot-uncompressed.pdf": (200, verify.NO_SIGN_OFF),
    "signed-other-key.pdf": (200, verify.OTHER_CERTIFICATE),
    "snapshot-not-json.pdf": (200, verify.SNAPSHOT_NOT_JSON),
    "snapshot-deep-json.pdf": (200, verify.SNAPSHOT_NOT_JSON),
    "snapshot-other-json.pdf": (200, verify.SNAPSHOT_NOT_OURS),
    "snapshot-json-list.pdf": (200, verify.SNAPSHOT_NOT_OURS),
    "snapshot-bomb.pdf": (200, verify.SNAPSHOT_TOO_LARGE),
    "snapshot-double-flate.pdf": (200, verify.SNAPSHOT_ENCODING),
    "snapshot-hex.pdf": (200, verify.SNAPSHOT_ENCODING),
    "snapshot-predictor.pdf": (200, verify.SNAPSHOT_ENCODING),
    "snapshot-bad-flate.pdf": (200, verify.SNAPSHOT_DAMAGED),
    "snapshot-cut-flate.pdf": (200, verify.SNAPSHOT_DAMAGED),
}


def post(client, data: bytes, name: str = "report.pdf", **extra):
    return client.post(reverse("verify"), {"file": SimpleUploadedFile(name, data)}, **extra)


def page_text(response) -> str:
    return response.content.decode().replace("&#x27;", "'")


@pytest.fixture
def sign_off(complete_assessment, lead):
    """A real sign-off, its full report rendered and signed with the session's test key (the
    public edition, which no test here reads, is left queued)."""
    return signed_report(complete_assessment, lead, "full").sign_off


@pytest.fixture
def report(sign_off) -> bytes:
    return sign_off.reports.get(edition="full").file.read()


@pytest.fixture
def rate_limited(db, settings):
    """Rate limits on, at 10 a day, so that the count's window (a minute by default, where it ends
    set by the address) does not end in the middle of a test. Counts are in the database cache."""
    settings.RATELIMIT_ENABLE = True
    settings.VERIFY_RATE = "10/d"


def test_every_committed_hostile_file_is_in_the_table():
    files = {path.name for path in HOSTILE.iterdir() if path.suffix != ".py"}
    assert files == set(EXPECTED)


@pytest.mark.parametrize(("name", "status", "problem"), [(n, *e) for n, e in EXPECTED.items()])
def test_each_hostile_file_gets_a_verdict_page(client, db, name, status, problem):
    data = (HOSTILE / name).read_bytes()

    response = post(client, data, name=name)

    assert response.status_code == status
    assert "checklists/verify.html" in [t.name for t in response.templates]
    assert problem in page_text(response)
    if status == 200:
        assert "Not verified" in page_text(response)
        verdict = verify_report(data)
        assert not verdict.authentic
        assert problem in verdict.problems


def test_only_this_musters_key_makes_a_genuine_report_authentic(client, sign_off, report, tmp_path):
    verdict = verify_report(report)
    assert verdict.authentic, verdict.problems
    assert (verdict.is_muster_report, verdict.sign_off) == (True, sign_off)
    page = page_text(post(client, report))
    assert VERIFIED in page
    assert "Dana Whitfield" in page

    # The same genuine snapshot, signed by a key made here in Muster's signature field.
    key, cert = tmp_path / "other.key", tmp_path / "other.crt"
    signing_pair_create(key, cert, common_name="Forger")
    forged = sign_with(snapshot_pdf(sign_off.snapshot.encode()), key, cert)
    verdict = verify_report(forged)
    assert (verdict.is_muster_report, verdict.sign_off) == (True, sign_off)
    assert (verdict.signed, verdict.intact, verdict.by_this_deployment) == (True, True, False)
    assert "Forger" in verdict.signer
    assert not verdict.authentic
    assert verdict.problems == [verify.OTHER_CERTIFICATE]
    page = page_text(post(client, forged))
    assert "another certificate" in page
    assert verify.OTHER_CERTIFICATE in page


def _signed_ranges(data: bytes) -> list[range]:
    a, b, c, d = map(int, re.search(rb"/ByteRange\s*\[\s*(\d+) (\d+) (\d+) (\d+)", data).groups())
    return [range(a, a + b), range(c, c + d)]


ALTERATIONS = {
    "cut in half": lambda data: data[: len(data) // 2],
    "last byte cut": lambda data: data[:-1],
    "bytes appended": lambda data: data + b"\n% appended\n",
    "a name edited": lambda data: data.replace(b"Dana Whitfield", b"Dana Whitfielt"),
}


def test_an_altered_report_gets_a_verdict_and_is_never_authentic(client, report):
    signed = _signed_ranges(report)
    # One changed byte, spread over the whole file and so over every region of it: the
    # snapshot's stream, the object and cross-reference streams, the signature itself (where a
    # flipped bit in the padding after the signature's DER changes nothing: there only a
    # verdict is sure, not its value).
    for position in range(7, len(report), len(report) // 53):
        altered = bytearray(report)
        altered[position] ^= 0x01
        verdict = verify_report(bytes(altered))
        if any(position in r for r in signed):
            assert verdict.problems, position
            assert not verdict.authentic, position
    middle = bytearray(report)
    middle[len(report) // 2] ^= 0x01
    response = post(client, bytes(middle))
    assert response.status_code == 200
    assert "Not verified" in page_text(response)

    for name, alter in ALTERATIONS.items():
        response = post(client, alter(report))
        assert response.status_code == 200, name
        assert "Not verified" in page_text(response), name
        assert not verify_report(alter(report)).authentic, name


def test_the_limits_default_to_20_mb_a_file_5_mb_a_snapshot_and_10_a_minute(settings):
    limits = (settings.VERIFY_MAX_BYTES, settings.VERIFY_ATTACHMENT_MAX_BYTES, settings.VERIFY_RATE)
    assert limits == (20 * MiB, 5 * MiB, "10/m")


def test_a_file_over_verify_max_bytes_is_refused_unread_with_413(client, settings, monkeypatch):
    settings.VERIFY_MAX_BYTES = 1000
    body = encode_multipart(
        BOUNDARY, {"file": SimpleUploadedFile("big.pdf", b"%PDF-" + bytes(996))}
    )
    # What the server receives is only ever measured: reading it would fail the test.
    monkeypatch.setattr(InMemoryUploadedFile, "read", lambda *args: pytest.fail("read"))

    response = client.generic("POST", reverse("verify"), body, content_type=MULTIPART_CONTENT)

    assert response.status_code == 413
    assert "A Muster report is far smaller than 1000" in page_text(response)


def test_a_file_at_verify_max_bytes_is_checked(client, settings):
    settings.VERIFY_MAX_BYTES = 1000

    response = post(client, b"%PDF-" + bytes(995))

    assert response.status_code == 200
    assert verify.DAMAGED in page_text(response)


@pytest.mark.parametrize(
    ("name", "bound"),
    [
        ("snapshot-bomb.pdf", 2 * 5 * MiB),  # twice VERIFY_ATTACHMENT_MAX_BYTES
        ("object-stream-bomb.pdf", 2 * verify.DECODE_LIMITS.per_stream.max_output_size),
    ],
)
def test_a_decompression_bomb_is_refused_within_bounded_memory(db, name, bound):
    data = (HOSTILE / name).read_bytes()  # ~250 KB and ~100 KB, inflating to 250 MB and 100 MB
    tracemalloc.start()
    try:
        verdict = verify_report(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert EXPECTED[name][1] in verdict.problems
    assert peak < bound, f"{peak / MiB:.1f} MiB"


def _embedded_stream(data: bytes):
    reader = PdfFileReader(io.BytesIO(data), strict=False)
    return reader.root["/Names"]["/EmbeddedFiles"]["/Names"][1]["/EF"]["/F"]


@pytest.mark.parametrize("compressed", [True, False])
def test_a_snapshot_of_exactly_the_limit_is_read_and_one_byte_more_refused(compressed):
    content = b'{"format": "x", "pad": "' + b"a" * 5000 + b'"}'
    data = snapshot_pdf(content) if compressed else attachment_pdf(content, filters=b"")

    assert bounded_data(_embedded_stream(data), limit=len(content)) == content
    with pytest.raises(SnapshotRefused, match="larger than any Muster snapshot"):
        bounded_data(_embedded_stream(data), limit=len(content) - 1)


def test_past_the_rate_an_address_gets_429_and_another_address_still_200(client, rate_limited):
    for _ in range(10):
        assert post(client, b"not a pdf", REMOTE_ADDR="203.0.113.5").status_code == 200

    refused = post(client, b"not a pdf", REMOTE_ADDR="203.0.113.5")
    assert refused.status_code == 429
    assert "Too many requests" in page_text(refused)
    assert "429.html" in [t.name for t in refused.templates]
    assert post(client, b"not a pdf", REMOTE_ADDR="203.0.113.6").status_code == 200
    # Reading the page is not counted.
    assert client.get(reverse("verify"), REMOTE_ADDR="203.0.113.5").status_code == 200


def test_the_rate_counts_the_address_our_proxy_saw_not_what_the_client_wrote(
    client, rate_limited, settings
):
    settings.TRUSTED_PROXIES = ["10.0.0.2"]

    def through_proxy(client_address: str, claimed: str):
        forwarded = f"{claimed}, {client_address}"
        return post(client, b"x", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)

    for n in range(10):
        assert through_proxy("198.51.100.7", f"192.0.2.{n}").status_code == 200
    assert through_proxy("198.51.100.7", "192.0.2.99").status_code == 429
    assert through_proxy("198.51.100.8", "192.0.2.99").status_code == 200


def test_an_ipv6_client_is_counted_by_its_64(client, rate_limited, settings):
    settings.VERIFY_RATE = "2/d"
    assert post(client, b"x", REMOTE_ADDR="2001:db8:1:2::1").status_code == 200
    assert post(client, b"x", REMOTE_ADDR="2001:db8:1:2:ffff::9").status_code == 200
    assert post(client, b"x", REMOTE_ADDR="2001:db8:1:2::3").status_code == 429
    assert post(client, b"x", REMOTE_ADDR="2001:db8:1:3::1").status_code == 200


def test_the_command_gives_a_verdict_for_a_bomb(db):
    out = StringIO()
    with pytest.raises(CommandError, match="NOT VERIFIED"):
        call_command("verify_report", str(HOSTILE / "snapshot-bomb.pdf"), stdout=out)
    assert verify.SNAPSHOT_TOO_LARGE in out.getvalue()


def test_the_command_refuses_a_file_over_verify_max_bytes_unread(settings, tmp_path):
    settings.VERIFY_MAX_BYTES = 100
    big = tmp_path / "big.pdf"
    big.write_bytes(bytes(101))

    with pytest.raises(CommandError, match="larger than any Muster report"):
        call_command("verify_report", str(big), stdout=StringIO())


def test_the_counts_are_kept_where_every_worker_and_server_sees_them(settings):
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"


def test_a_malformed_verify_rate_stops_the_app_from_starting():
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=os.environ | {"DJANGO_SETTINGS_MODULE": "config.settings", "VERIFY_RATE": "ten"},
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode != 0
    assert "VERIFY_RATE is a count per s, m, h or d" in result.stderr
