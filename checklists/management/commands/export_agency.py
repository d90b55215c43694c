from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from accounts.models import Agency
from checklists.archive.export import agency_export
from checklists.archive.format import ArchiveError


class Command(BaseCommand):
    help = (
        "Write one agency's data and files to a zip archive, to back it up or move it to another "
        "Muster (restore with import_agency). The archive is SENSITIVE: it holds the members' "
        "password hashes and the agency's Law Enforcement Sensitive evidence and reports. Keep "
        "it as safe as the database; it is created readable by its owner only."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug", help="the agency's slug, as in its address /agencies/<slug>/")
        parser.add_argument(
            "-o",
            "--output",
            type=Path,
            help="the file to write (default: muster-<slug>-<date>.zip)",
        )

    def handle(self, *args, slug: str, output: Path | None, **options) -> None:
        agency = Agency.objects.filter(slug=slug).first()
        if agency is None:
            raise CommandError(f"No agency with the slug {slug!r}.")
        path = output or Path(f"muster-{slug}-{timezone.localdate():%Y-%m-%d}.zip")
        try:
            summary = agency_export(agency=agency, path=path)
        except ArchiveError as error:
            raise CommandError(str(error)) from error
        counts = summary.counts
        self.stdout.write(
            f"Exported {agency} to {path}: {counts['users']} users, {counts['schools']} schools, "
            f"{counts['assessments']} assessments, {counts['responses']} responses, "
            f"{counts['sign_offs']} sign-offs, {summary.files} files "
            f"({filesizeformat(summary.bytes)})."
        )
        self.stdout.write(
            self.style.WARNING(
                "The archive holds password hashes and sensitive evidence: store it encrypted."
            )
        )
