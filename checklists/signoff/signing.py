"""The deployment's signing key and certificate: PAdES signatures on signed reports.

Settings name the key and certificate files (REPORT_SIGNING_KEY, REPORT_SIGNING_CERT). In
development `manage.py signing_keys` creates a self-signed pair; production uses the agency's
or vendor's certificate. Keys are never committed.
"""

from __future__ import annotations

import datetime
import io
from functools import cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter

FIELD_NAME = "MusterSignOff"


def signing_pair_create(key_path: Path, cert_path: Path, common_name: str) -> None:
    """Write a new RSA key and a ten-year self-signed certificate for signing reports."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Muster"),
        ]
    )
    now = datetime.datetime.now(datetime.UTC)
    usage = x509.KeyUsage(
        digital_signature=True, content_commitment=True, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=False,
        encipher_only=False, decipher_only=False,
    )  # fmt: skip
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .sign(key, hashes.SHA256())
    )
    key_path.parent.mkdir(parents=True, exist_ok=True)
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _paths() -> tuple[Path, Path]:
    key, cert = Path(settings.REPORT_SIGNING_KEY), Path(settings.REPORT_SIGNING_CERT)
    if not key.exists() or not cert.exists():
        raise ImproperlyConfigured(
            f"No report signing key at {key} and certificate at {cert}: run `manage.py signing_keys` "
            "in development, or point REPORT_SIGNING_KEY and REPORT_SIGNING_CERT at your pair."
        )
    return key, cert


@cache
def _signer(key: Path, cert: Path, mtime: float) -> signers.SimpleSigner:
    return signers.SimpleSigner.load(str(key), str(cert))


def deployment_certificate():
    """The certificate this deployment signs with, as pyHanko's x509 object."""
    return load_cert_from_pemder(str(_paths()[1]))


def sign_pdf(pdf: bytes, *, reason: str, location: str) -> bytes:
    """Add a PAdES (baseline B) signature by the deployment's key, covering the whole file."""
    key, cert = _paths()
    signer = _signer(key, cert, key.stat().st_mtime)
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME, subfilter=SigSeedSubFilter.PADES, reason=reason, location=location
    )
    output = signers.PdfSigner(meta, signer=signer).sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(pdf))
    )
    return output.getvalue()
