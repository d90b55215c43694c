from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from checklists.archive.format import ArchiveError
from checklists.archive.restore import agency_import


class Command(BaseCommand):
    help = (
        "Restore an agency from an export_agency archive into this Muster. Every file is checked "
        "against the archive's manifest first; the agency's slug, its users' email addresses "
        "and its assessment ids must be free here. All or nothing: on any problem nothing is "
        "written. Restored members sign in with their old passwords (the archive is sensitive); "
        "nobody is made staff or superuser."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("archive", type=Path, help="the .zip written by export_agency")
        parser.add_argument(
            "--check",
            action="store_true",
            help="only check the archive and whether it fits here; write nothing",
        )

    def handle(self, *args, archive: Path, check: bool, **options) -> None:
        try:
            summary = agency_import(path=archive, dry_run=check)
        except ArchiveError as error:
            raise CommandError(str(error)) from error
        counts = summary.counts
        verb = "Checked, ready to import" if check else "Imported"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} agency {summary.agency}: {counts['users']} users, "
                f"{counts['schools']} schools, {counts['assessments']} assessments, "
                f"{counts['responses']} responses, {counts['sign_offs']} sign-offs, "
                f"{summary.files} files."
            )
        )
