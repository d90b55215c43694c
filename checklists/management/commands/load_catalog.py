from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from checklists.catalog.reader import CatalogError
from checklists.catalog.services import catalog_load


class Command(BaseCommand):
    help = (
        "Load catalog YAML files (by default every file in checklists/catalogs/). A file is "
        "checked as a whole first; a bad file changes nothing, an unchanged one is skipped, "
        "and a changed one becomes a new version."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("paths", nargs="*", type=Path, help="catalog files to load")

    def handle(self, *args, paths: list[Path], **options) -> None:
        paths = paths or sorted(Path(settings.CATALOG_DIR).glob("*.yaml"))
        if not paths:
            raise CommandError(f"No catalog files in {settings.CATALOG_DIR}.")
        failed = False
        for path in paths:
            try:
                result = catalog_load(path=path)
            except CatalogError as error:
                self.stderr.write(str(error))
                failed = True
                continue
            version = result.version
            state = "loaded as" if result.created else "unchanged:"
            if options["verbosity"] < 1:
                continue
            self.stdout.write(
                f"{path.name}: {state} {version.catalog.slug} version {version.version} "
                f"(#{version.number}), {version.items.count()} items in "
                f"{version.sections.count()} sections"
            )
        if failed:
            raise CommandError(
                "Some catalog files were not loaded; the database was left as it was for them."
            )
