"""Training records at scale: the matrix, the currency summary and a 10,000-row import.

Builds, in a scratch database (SQLite, or with DATABASE_URL a fresh one beside it:
bench/scratch.py), an agency with 1,000 personnel, ten years of completions (about 40,000) and
8 requirements; then times, in one run, each page against the simple signed-in page (the
catalog list) and the import against a bare `bulk_create` of the same rows, all in processor
time and alternating rounds (the machine may be shared), and measures the import's peak memory
for the whole file and for a quarter of it (streamed, the two stay close). Exits non-zero when
a target is missed. Run by `make bench`.
"""

from __future__ import annotations

import csv
import io
import random
import statistics
import sys
import time
import tracemalloc
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
from training import currency  # noqa: E402
from training.models import Completion, Course, Import, Person, Requirement  # noqa: E402
from training.services import courses_load, import_apply  # noqa: E402

PEOPLE, YEARS, IMPORT_ROWS, RUNS = 1000, 10, 10_000, 20
PAGE_RATIO, IMPORT_RATIO, IMPORT_ROUNDS = 4.0, 1 / 3, 3
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
        currency.refresh(agency)  # as the services that write completions and requirements do
    return agency, lead


def cpu_ms(call) -> float:
    """A request's processor time: the test client, the view and SQLite all run in this
    thread, so this is its time less what other processes on the machine take meanwhile."""
    start = time.process_time()
    response = call()
    elapsed = (time.process_time() - start) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"The page answered {response.status_code}.")
    return elapsed


def timed(calls: dict) -> dict[str, float]:
    """Each page's median processor time. The rounds alternate the pages, the simple one among
    them, so that a busy spell of the machine weighs on all alike: the ratios hold."""
    samples = {name: [] for name in calls}
    for call in calls.values():
        call()  # warm up
    for _ in range(RUNS):
        for name, call in calls.items():
            samples[name].append(cpu_ms(call))
    return {name: statistics.median(values) for name, values in samples.items()}


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


def _rolled_back(call) -> float:
    """A call's processor time, its writes rolled back."""
    with transaction.atomic():
        start = time.process_time()
        call()
        elapsed = time.process_time() - start
        transaction.set_rollback(True)
    return elapsed


def _peak_mib(call) -> float:
    """The most memory Python held at once during a call, its writes rolled back."""
    tracemalloc.start()
    try:
        _rolled_back(call)
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def import_bench(agency: Agency, lead: User) -> bool:
    """The import's whole service (checks, writes, the stored currency, the audit event) against
    a bare bulk_create of the same rows, in alternating rounds; and its peak memory for the
    file and for a quarter of it, which a streamed import keeps about the same."""
    text, rows = import_file(agency, random.Random(3))  # noqa: S311
    Completion.objects.filter(
        course__code="is-700", completed_on__gte=rows[-1].completed_on
    ).delete()

    def upload(content: str) -> Import:
        return Import.objects.create(agency=agency, kind="completions", file_name="bench.csv",
                                     content=content, sha256="0")  # fmt: skip

    whole, quarter = upload(text), upload("\n".join(text.splitlines()[: IMPORT_ROWS // 4 + 1]))
    bare, ours = [], []
    for _ in range(IMPORT_ROUNDS):
        bare.append(_rolled_back(lambda: Completion.objects.bulk_create(rows, batch_size=2000)))
        ours.append(_rolled_back(lambda: import_apply(upload=whole, by=lead)))
    bare, ours = statistics.median(bare), statistics.median(ours)
    ratio = bare / ours
    peak, peak_quarter = (
        _peak_mib(lambda: import_apply(upload=whole, by=lead)),
        _peak_mib(lambda: import_apply(upload=quarter, by=lead)),
    )
    print(f"\nimport of {IMPORT_ROWS} rows: {ours:.2f} s of CPU; bare bulk_create {bare:.2f} s; "
          f"speed {ratio:.2f} of bulk_create (target ≥ {IMPORT_RATIO:.2f}; median of {IMPORT_ROUNDS})")  # fmt: skip
    print(f"peak memory: {peak:.1f} MiB for {IMPORT_ROWS} rows, {peak_quarter:.1f} MiB for "
          f"{IMPORT_ROWS // 4} (the file itself is {len(text) / 2**20:.1f} MiB)")  # fmt: skip
    return ratio >= IMPORT_RATIO and peak <= 2 * peak_quarter


def main() -> None:
    setup_test_environment()
    started = time.perf_counter()
    agency, lead = build()
    print(f"Built in {time.perf_counter() - started:.0f} s: {Person.objects.count()} personnel, "
          f"{Completion.objects.count()} completions, {Requirement.objects.count()} requirements")  # fmt: skip
    client = Client()
    client.force_login(lead)
    paths = {
        "simple": reverse("catalog_list"),
        "training matrix, first page": reverse("training_matrix", args=[agency.slug]),
        "currency summary": reverse("training_requirements", args=[agency.slug]),
    }
    medians = timed({name: lambda path=path: client.get(path) for name, path in paths.items()})
    simple = medians.pop("simple")
    print(f"\nsimple signed-in page (catalog list): {simple:.1f} ms of CPU (median of {RUNS})")
    print(f"{'page':<30}{'median ms':>11}{'÷ simple':>10}{'target':>9}{'queries':>9}")
    ok = True
    for name, median in medians.items():
        ratio = median / simple
        ok &= ratio <= PAGE_RATIO
        count = queries(lambda path=paths[name]: client.get(path))
        print(f"{name:<30}{median:>11.1f}{ratio:>9.1f}×{'≤ 4':>9}{count:>9}")  # noqa: RUF001
    ok &= import_bench(agency, lead)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
