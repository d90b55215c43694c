"""Hand-made PDFs for the verify page's hostile-input tests, and a signer with another key.

Small and explicit on purpose: each file is a few objects written byte by byte, so a test (or
`hostile/make_hostile.py`, which writes the committed set) can break exactly one thing.
"""

from __future__ import annotations

import io
import json
import zlib
from collections.abc import Sequence
from pathlib import Path

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter

from checklists.signoff.pdf import SNAPSHOT_NAME
from checklists.signoff.signing import FIELD_NAME
from checklists.signoff.snapshot import FORMAT

HEADER = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"


def pdf(objects: Sequence[bytes], *, header: bytes = HEADER) -> bytes:
    """A PDF of these object bodies, numbered from 1 (the catalog), with a classic xref table."""
    out = bytearray(header)
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objects) + 1)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def stream(dictionary: bytes, raw: bytes) -> bytes:
    return b"<< %s /Length %d >>\nstream\n%s\nendstream" % (dictionary, len(raw), raw)


PAGES = [
    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
]


def plain_pdf() -> bytes:
    """A one-page PDF with nothing attached and no signature."""
    return pdf([b"<< /Type /Catalog /Pages 2 0 R >>", *PAGES])


def attachment_pdf(
    raw: bytes, *, filters: bytes = b"/Filter /FlateDecode", name: bytes = SNAPSHOT_NAME.encode()
) -> bytes:
    """A one-page PDF with one embedded file: `raw` as its stream data, under those filters."""
    catalog = (
        b"<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles << /Names [(%s) 4 0 R] >> >> >>"
    )
    return pdf(
        [
            catalog % name,
            *PAGES,
            b"<< /Type /Filespec /F (%s) /UF (%s) /EF << /F 5 0 R >> >>" % (name, name),
            stream(b"/Type /EmbeddedFile /Subtype /application#2Fjson " + filters, raw),
        ]
    )


def snapshot_pdf(content: bytes) -> bytes:
    """A PDF carrying `content` as its snapshot, compressed as Muster compresses it."""
    return attachment_pdf(zlib.compress(content, 9))


def muster_like_snapshot() -> bytes:
    """JSON in Muster's snapshot format that no sign-off of any Muster ever recorded."""
    return json.dumps({"format": FORMAT, "assessment": {"title": "Forged"}}).encode()


def sign_with(data: bytes, key: Path, cert: Path) -> bytes:
    """Sign as Muster signs (same field, PAdES), but with this key and certificate."""
    signer = signers.SimpleSigner.load(str(key), str(cert))
    meta = signers.PdfSignatureMetadata(field_name=FIELD_NAME, subfilter=SigSeedSubFilter.PADES)
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    return signers.PdfSigner(meta, signer=signer).sign_pdf(writer).getvalue()
