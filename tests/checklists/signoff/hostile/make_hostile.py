"""Writes the hostile files beside this script: uploads /verify/ must answer with a verdict.

Run once from the repository root, and commit what it writes (the files are what the tests
read; this script is how they came to be):

    DEBUG=true .venv/bin/python -m tests.checklists.signoff.hostile.make_hostile

Each file breaks one thing. The two bombs are small on disk and inflate to hundreds of
megabytes; the signing key of `signed-other-key.pdf` is made here and thrown away.
"""

from __future__ import annotations

import io
import os
import struct
import tempfile
import zlib
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from pyhanko.pdf_utils import generic  # noqa: E402 — after django.setup(), as the next ones
from pyhanko.pdf_utils.writer import PdfFileWriter  # noqa: E402

from checklists.signoff.signing import signing_pair_create  # noqa: E402
from tests.checklists.signoff.hostile_files import (  # noqa: E402
    HEADER,
    PAGES,
    attachment_pdf,
    muster_like_snapshot,
    pdf,
    plain_pdf,
    sign_with,
    snapshot_pdf,
    stream,
)

HERE = Path(__file__).parent
MiB = 1024 * 1024
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"


def deflated_zeros(size: int, prefix: bytes = b"") -> bytes:
    """`prefix` and then `size` zero bytes, deflated a megabyte at a time (never all in memory)."""
    compressor = zlib.compressobj(9)
    out = [compressor.compress(prefix)]
    for _ in range(size // MiB):
        out.append(compressor.compress(bytes(MiB)))
    return b"".join([*out, compressor.flush()])


def signed_other_key() -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        key, cert = Path(folder) / "other.key", Path(folder) / "other.crt"
        signing_pair_create(key, cert, common_name="Not Muster")
        return sign_with(snapshot_pdf(muster_like_snapshot()), key, cert)


def object_stream_bomb(size: int) -> bytes:
    """The catalog inside an object stream that inflates to `size` bytes, found through an xref
    stream (object streams are only reachable so)."""
    catalog = b"<< /Type /Catalog /Pages 2 0 R >>"
    header = b"1 0 "
    packed = deflated_zeros(size, header.ljust(16) + catalog + b" ")
    objects = [
        *PAGES,
        stream(b"/Type /ObjStm /N 1 /First 16 /Filter /FlateDecode", packed),
    ]
    out = bytearray(HEADER)
    offsets = []
    for number, body in enumerate(objects, start=2):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref_offset = len(out)
    rows = [struct.pack(">BIH", 0, 0, 65535), struct.pack(">BIH", 2, 4, 0)]
    rows += [struct.pack(">BIH", 1, offset, 0) for offset in [*offsets, xref_offset]]
    xref = stream(b"/Type /XRef /Size 6 /W [1 4 2] /Root 1 0 R", b"".join(rows))
    out += b"5 0 obj\n%s\nendobj\nstartxref\n%d\n%%%%EOF\n" % (xref, xref_offset)
    return bytes(out)


def encrypted() -> bytes:
    """A snapshot-carrying PDF encrypted with a password (Muster never encrypts its reports)."""
    writer = PdfFileWriter()
    writer.encrypt("owner-password", "user-password")
    embedded = writer.add_object(
        generic.StreamObject({generic.pdf_name("/Type"): generic.pdf_name("/EmbeddedFile")},
                             stream_data=muster_like_snapshot())
    )  # fmt: skip
    spec = generic.DictionaryObject(
        {
            generic.pdf_name("/Type"): generic.pdf_name("/Filespec"),
            generic.pdf_name("/F"): generic.pdf_string("muster-snapshot.json"),
            generic.pdf_name("/EF"): generic.DictionaryObject({generic.pdf_name("/F"): embedded}),
        }
    )
    names = generic.ArrayObject(
        [generic.pdf_string("muster-snapshot.json"), writer.add_object(spec)]
    )
    writer.root["/Names"] = generic.DictionaryObject(
        {
            generic.pdf_name("/EmbeddedFiles"): generic.DictionaryObject(
                {generic.pdf_name("/Names"): names}
            )
        }
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def files() -> dict[str, bytes]:
    other_key = signed_other_key()
    catalog = b"<< /Type /Catalog /Pages 2 0 R /Names %s >>"
    return {
        "not-a-pdf.txt": b"This is a letter, not a report.\n",
        "image.pdf": PNG,
        "empty.pdf": b"",
        "header-only.pdf": HEADER,
        "garbage-after-header.pdf": HEADER + bytes(range(256)) * 16,
        "unsigned.pdf": plain_pdf(),
        "unsigned-snapshot.pdf": snapshot_pdf(muster_like_snapshot()),
        "unsigned-snapshot-uncompressed.pdf": attachment_pdf(muster_like_snapshot(), filters=b""),
        "signed-other-key.pdf": other_key,
        "truncated.pdf": other_key[: len(other_key) // 2],
        "snapshot-not-json.pdf": snapshot_pdf(b"\x00\xff not json at all \xfe"),
        "snapshot-other-json.pdf": snapshot_pdf(b'{"format": "someone-else/3", "items": [1, 2]}'),
        "snapshot-json-list.pdf": snapshot_pdf(b"[1, 2, 3]"),
        "snapshot-deep-json.pdf": snapshot_pdf(b"[" * 200_000),
        "snapshot-bomb.pdf": attachment_pdf(deflated_zeros(250 * MiB)),
        "snapshot-double-flate.pdf": attachment_pdf(
            zlib.compress(deflated_zeros(250 * MiB), 9),
            filters=b"/Filter [/FlateDecode /FlateDecode]",
        ),
        "snapshot-hex.pdf": attachment_pdf(
            muster_like_snapshot().hex().encode() + b">", filters=b"/Filter /ASCIIHexDecode"
        ),
        "snapshot-predictor.pdf": attachment_pdf(
            zlib.compress(muster_like_snapshot()),
            filters=b"/Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 4 >>",
        ),
        "snapshot-bad-flate.pdf": attachment_pdf(b"x\x9c" + bytes(range(200))),
        "snapshot-cut-flate.pdf": attachment_pdf(zlib.compress(muster_like_snapshot())[:-12]),
        "object-stream-bomb.pdf": object_stream_bomb(100 * MiB),
        "deep-nesting.pdf": pdf([catalog % (b"[" * 50_000 + b"]" * 50_000), *PAGES]),
        "names-point-nowhere.pdf": pdf(
            [catalog % b"<< /EmbeddedFiles << /Names [(muster-snapshot.json) 99 0 R] >> >>", *PAGES]
        ),
        "xref-points-nowhere.pdf": plain_pdf().replace(b"startxref\n", b"startxref\n9999999"),
        "encrypted.pdf": encrypted(),
    }


def main() -> None:
    for old in HERE.iterdir():
        if old.suffix in (".pdf", ".txt"):
            old.unlink()
    for name, data in files().items():
        (HERE / name).write_bytes(data)
        print(f"{len(data):>8}  {name}")


if __name__ == "__main__":
    main()
