from __future__ import annotations

from django.core.management.base import BaseCommand

from training.services import courses_load


class Command(BaseCommand):
    help = "Create or update the courses Muster ships (training/data/courses.yaml)."

    def handle(self, *args, **options) -> None:
        created, updated = courses_load()
        self.stdout.write(f"Courses: {created} created, {updated} updated.")
