from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from checklists.signoff.verify import verify_report


class Command(BaseCommand):
    help = "Check that a PDF is an authentic, unaltered Muster report and name the sign-off it matches."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options) -> None:
        try:
            if file.stat().st_size > settings.VERIFY_MAX_BYTES:
                raise CommandError(f"{file} is larger than any Muster report (VERIFY_MAX_BYTES).")
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error}") from error
        verdict = verify_report(data)
        yes = lambda flag: "yes" if flag else "NO"  # noqa: E731
        self.stdout.write(f"File:                 {file}")
        self.stdout.write(f"Muster report:        {yes(verdict.is_muster_report)}")
        self.stdout.write(f"Signature intact:     {yes(verdict.intact)}")
        self.stdout.write(f"Signed by:            {verdict.signer or '—'}")
        self.stdout.write(f"This Muster's cert:   {yes(verdict.by_this_deployment)}")
        self.stdout.write(f"Snapshot fingerprint: {verdict.snapshot_sha256 or '—'}")
        if verdict.kind:
            self.stdout.write(f"Document:             {verdict.kind_label.capitalize()}")
        if verdict.document:
            self.stdout.write(f"Signed:               {verdict.document_text}")
        if verdict.sign_off:
            s = verdict.sign_off
            agency = s.assessment.agency
            self.stdout.write(
                f"Sign-off:             {agency} ({agency.slug}) — {s.assessment.title}, revision "
                f"{s.assessment.revision}, signed by {s.typed_name}, {s.typed_title} "
                f"(account {s.signer.email}), {s.signed_at:%Y-%m-%d %H:%M %Z}"
            )
            self.stdout.write(f"Edition:              {verdict.edition_label}")
            later = verdict.superseded_by
            self.stdout.write(
                f"Superseded:           by revision {later.assessment.revision}, signed "
                f"{later.signed_at:%Y-%m-%d}"
                if later
                else "Superseded:           no"
            )
        for problem in verdict.problems:
            self.stdout.write(f"Problem:              {problem}")
        if not verdict.authentic:
            raise CommandError("NOT VERIFIED")
        self.stdout.write(self.style.SUCCESS("VERIFIED: authentic and unaltered."))
