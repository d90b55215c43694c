"""Training records at scale: the matrix, the currency summary and a 10,000-row import.

Builds, in a scratch database (SQLite, or with DATABASE_URL a fresh one beside it:
bench/scratch.py), an agency with 1,000 personnel, ten years of completions (about 40,000) and
8 requirements; then times, in one run, each page against the simple signed-in page (the
catalog list) and the import against a bare `bulk_create` of the same rows. Run by `make bench`.
"""

from __future__ import annotations

import csv
import io
import random
import statistics
import sys
import time
from datetime import timedelta

import scratch

SCRATCH = scratch.setup("training")

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Agency, Membership, User  # noqa: E402
from training import importer  # noqa: E402
from training.models import Completion, Course, Import, Person, Requirement  # noqa: E402
from training.services import courses_load  # noqa: E402

PEOPLE, YEARS, IMPORT_ROWS, RUNS = 1000, 10, 10_000, 15
PAGE_RATIO, IMPORT_RATIO = 4.0, 1 / 3
UNITS = ("Patrol", "Patrol", "Patrol", "Investigations", "Traffic", "School Resource Unit")


def build() -> tuple[Agency, User]:
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # production's hashed names
    call_command("load_catalog", verbosity=0)
    courses_load()
    rng = random.Random(14)  # noqa: S311 — repeatable bench data
    today = timezone.localdate()
    courses = list(Course.objects.filter(agency=None))
    with transaction.atomic():
        agency = Agency.objects.create(name="Metro County Sheriff's Office", slug="metro")
        lead = User.objects.create_user("lead@metro.example", "bench-password-1", full_name="Lead")
        Membership.objects.create(user=lead, agency=agency, access=Membership.Access.LEAD)
        Person.objects.bulk_create(
            Person(agency=agency, employee_number=f"{n:05}", full_name=f"Officer {n:05}",
                   unit=rng.choice(UNITS), sworn=rng.random() < 0.85,
                   hired_on=today - timedelta(days=365 * YEARS + rng.randint(0, 4000)))
            for n in range(PEOPLE)
        )  # fmt: skip
        people = list(Person.objects.of(agency))
        seen = set()
        rows = []
        for _ in range(PEOPLE * 4 * YEARS):  # four a year each
            who, course = rng.choice(people), rng.choice(courses)
            on = today - timedelta(days=rng.randint(1, 365 * YEARS))
            if (who.pk, course.pk, on) not in seen:
                seen.add((who.pk, course.pk, on))
                rows.append(
                    Completion(person=who, course=course, completed_on=on, hours=course.hours)
                )
        Completion.objects.bulk_create(rows, batch_size=2000)
        for n in range(8):
            requirement = Requirement.objects.create(
                agency=agency, name=f"Requirement {n}", window_months=12 * (1 + n % 3),
                measure=("any", "hours", "all")[n % 3], hours=16 if n % 3 == 1 else None,
                sworn_only=n % 2 == 0,
            )  # fmt: skip
            requirement.courses.set(rng.sample(courses, 2))
    return agency, lead


def timed(call) -> float:
    call()
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        response = call()
        samples.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"The page answered {response.status_code}.")
    return statistics.median(samples)


def queries(call) -> int:
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured.captured_queries)


def import_file(agency: Agency, rng: random.Random) -> tuple[str, list[Completion]]:
    people = list(Person.objects.of(agency))
    course = Course.objects.get(agency=None, code="is-700")
    buffer, rows, day = io.StringIO(), [], timezone.localdate() - timedelta(days=5)
    writer = csv.writer(buffer)
    writer.writerow(["Employee ID", "Course Code", "Completion Date", "Credit Hours"])
    for n in range(IMPORT_ROWS):
        who, on = people[n % len(people)], day - timedelta(days=n // len(people))
        writer.writerow([who.employee_number, course.code, on.isoformat(), "3.5"])
        rows.append(Completion(person=who, course=course, completed_on=on, hours=3.5))
    return buffer.getvalue(), rows


def import_bench(agency: Agency) -> bool:
    text, rows = import_file(agency, random.Random(3))  # noqa: S311
    Completion.objects.filter(
        course__code="is-700", completed_on__gte=rows[-1].completed_on
    ).delete()
    upload = Import.objects.create(agency=agency, kind="completions", file_name="bench.csv",
                                   content=text, sha256="0")  # fmt: skip
    start = time.perf_counter()
    with transaction.atomic():
        Completion.objects.bulk_create(rows, batch_size=2000)
        transaction.set_rollback(True)
    bare = time.perf_counter() - start
    start = time.perf_counter()
    with transaction.atomic():
        preview = importer.run(upload, dry_run=False)
        transaction.set_rollback(True)
    ours = time.perf_counter() - start
    if not preview.ok or preview.new != IMPORT_ROWS:
        raise RuntimeError(f"The import went wrong: {preview.problems[:3]}")
    ratio = bare / ours
    print(f"\nimport of {IMPORT_ROWS} rows: {ours:.1f} s; bare bulk_create {bare:.2f} s; "
          f"speed {ratio:.2f} of bulk_create (target ≥ {IMPORT_RATIO:.2f})")  # fmt: skip
    return ratio >= IMPORT_RATIO


def main() -> None:
    setup_test_environment()
    started = time.perf_counter()
    agency, lead = build()
    print(f"Built in {time.perf_counter() - started:.0f} s: {Person.objects.count()} personnel, "
          f"{Completion.objects.count()} completions, {Requirement.objects.count()} requirements")  # fmt: skip
    client = Client()
    client.force_login(lead)
    simple = timed(lambda: client.get(reverse("catalog_list")))
    pages = {
        "training matrix, first page": reverse("training_matrix", args=[agency.slug]),
        "currency summary": reverse("training_requirements", args=[agency.slug]),
    }
    print(f"\nsimple signed-in page (catalog list): {simple:.1f} ms (median of {RUNS})")
    print(f"{'page':<30}{'median ms':>11}{'÷ simple':>10}{'target':>9}{'queries':>9}")
    ok = True
    for name, path in pages.items():
        median = timed(lambda path=path: client.get(path))
        ratio = median / simple
        ok &= ratio <= PAGE_RATIO
        count = queries(lambda path=path: client.get(path))
        print(f"{name:<30}{median:>11.1f}{ratio:>9.1f}×{'≤ 4':>9}{count:>9}")  # noqa: RUF001
    ok &= import_bench(agency)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
