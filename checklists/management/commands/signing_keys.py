from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from checklists.signoff.signing import signing_pair_create


class Command(BaseCommand):
    help = (
        "Create a self-signed key and certificate for signing reports, at REPORT_SIGNING_KEY and "
        "REPORT_SIGNING_CERT, unless they exist. For development: production uses a real pair."
    )

    def handle(self, *args, **options) -> None:
        key, cert = Path(settings.REPORT_SIGNING_KEY), Path(settings.REPORT_SIGNING_CERT)
        if key.exists() and cert.exists():
            self.stdout.write(f"Report signing certificate: {cert}")
            return
        signing_pair_create(key, cert, common_name="Muster development report signing")
        self.stdout.write(f"Created a self-signed development signing pair: {key} and {cert}")
