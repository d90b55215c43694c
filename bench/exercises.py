"""Exercises at scale: the improvement plan, the exercise timeline and the checklist with its
corrective-action flags, for an agency with 200 schools, ten years of exercises (about 150) and
600 corrective actions (`bench/exercises_data.py`).

Builds a scratch SQLite database (or the one DATABASE_URL names, which it must be safe to wipe),
then times each page in CPU time (time.process_time: what this process spends, less what other
processes on a shared machine take meanwhile) against the simple signed-in page, the catalog
list, in interleaved rounds of one run. The exercise pages must stay within 4 times that page's
median, with the same number of queries as with a tenth of the data. The checklist is the
checklist room's page, judged by `make bench`; here its flags are judged by what they add: at
most a tenth over the same checklist of an agency without exercises, in as many queries.
Run: `.venv/bin/python bench/exercises.py`.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SCRATCH = Path(tempfile.mkdtemp(prefix="muster-bench-exercises-"))
os.environ.setdefault("DATABASE_URL", f"sqlite:///{SCRATCH / 'bench.sqlite3'}")
os.environ |= {
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "DEBUG": "false",
    "SECRET_KEY": "bench-only",
    "SECURE_SSL_REDIRECT": "false",
    "SESSION_COOKIE_SECURE": "false",
    "CSRF_COOKIE_SECURE": "false",
}
os.environ["MEDIA_ROOT"] = str(SCRATCH / "media")
os.environ["STATIC_ROOT"] = str(SCRATCH / "static")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Agency, Membership, School, User  # noqa: E402
from bench.exercises_data import exercises_create  # noqa: E402
from checklists.assessments.services import assessment_start  # noqa: E402
from checklists.models import CatalogVersion  # noqa: E402
from exercises.models import CorrectiveAction  # noqa: E402
from training.models import Person  # noqa: E402

SCHOOLS, PEOPLE, RUNS, RATIO, FLAGS_RATIO = 200, 300, 30, 4.0, 1.1
FLOOR = "floor: catalog list"
BARE = "checklist, agency without exercises"
SECOND_FLOOR = "password change (make bench's floor)"
CHECKLIST = "checklist with flags"


def build(slug: str, schools: int) -> tuple[Agency, User]:
    rng = random.Random(15)  # noqa: S311 — repeatable bench data
    with transaction.atomic():
        agency = Agency.objects.create(name=f"Metro {slug}", slug=slug)
        lead = User.objects.create_user(f"lead@{slug}.example", "bench-password-1", full_name="L")
        Membership.objects.create(user=lead, agency=agency, access=Membership.Access.LEAD)
        School.objects.bulk_create(
            School(agency=agency, name=f"School {n:03}") for n in range(schools)
        )
        Person.objects.bulk_create(
            Person(agency=agency, employee_number=f"{n:05}", full_name=f"Officer {n:05}",
                   unit=rng.choice(("Patrol", "Traffic", "School Resource Unit")),
                   hired_on=timezone.localdate() - timedelta(days=4000))
            for n in range(PEOPLE)
        )  # fmt: skip
        version = CatalogVersion.objects.latest("number")
        assessment_start(agency=agency, catalog_version=version, title="2026", due_date=None,
                         by=lead)  # fmt: skip
    return agency, lead


def pages(agency: Agency) -> dict[str, str]:
    slug, assessment = agency.slug, agency.assessments.get()
    plan = reverse("improvement_plan", args=[slug])
    # An item the agency's open actions are on, so that both sizes list some.
    code = (
        CorrectiveAction.objects.of(agency).unresolved().order_by("pk")
        .values_list("items__code", flat=True).first()
    )  # fmt: skip
    return {
        FLOOR: reverse("catalog_list"),
        SECOND_FLOOR: reverse("password_change"),
        "improvement plan": plan,
        "improvement plan, overdue": f"{plan}?overdue=on",
        "improvement plan, item": f"{plan}?item={code}&status=unresolved",
        "exercise timeline": reverse("exercise_list", args=[slug]),
        CHECKLIST: reverse("assessment_checklist", args=[slug, assessment.pk]),
    }


def queries(client: Client, address: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        status = client.get(address).status_code
    if status != 200:
        raise RuntimeError(f"{address} answered {status}.")
    return len(captured.captured_queries)


def cpu_ms(client: Client, address: str) -> float:
    start = time.process_time()
    response = client.get(address)
    elapsed = (time.process_time() - start) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"{address} answered {response.status_code}.")
    return elapsed


def main() -> None:
    setup_test_environment()
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    call_command("load_catalog", verbosity=0)
    big, lead = build("metro", SCHOOLS)
    small, small_lead = build("small", SCHOOLS // 10)
    started = time.perf_counter()
    made = exercises_create(big, list(big.schools.all()), list(Person.objects.of(big)), by=lead)
    print(f"Bench data: {made[0]} exercises, {made[1]} corrective actions, "
          f"{CorrectiveAction.objects.of(big).unresolved().count()} unresolved, over "
          f"{SCHOOLS} schools, in {time.perf_counter() - started:.1f} s")  # fmt: skip
    # A tenth of the data beside it, for the query counts: 15 exercises, 60 actions.
    exercises_create(small, list(small.schools.all()), list(Person.objects.of(small)),
                     by=small_lead, exercises=15, actions=60)  # fmt: skip
    bare, bare_lead = build("bare", SCHOOLS)  # the same checklist with no exercise data
    client, small_client, bare_client = Client(), Client(), Client()
    bare_client.force_login(bare_lead)
    bare_checklist = pages(bare)[CHECKLIST]
    client.force_login(lead)
    small_client.force_login(small_lead)
    addresses, small_addresses = pages(big), pages(small)
    counts = {}
    for name in addresses:
        queries(client, addresses[name]), queries(small_client, small_addresses[name])  # warm up
        counts[name] = (
            queries(small_client, small_addresses[name]),
            queries(client, addresses[name]),
        )
    samples = {name: [] for name in [*addresses, BARE]}
    bare_client.get(bare_checklist)
    counts[BARE] = (queries(bare_client, bare_checklist),) * 2
    for _ in range(RUNS):  # interleaved: a busy spell weighs on the floor and the pages alike
        for name, address in addresses.items():
            samples[name].append(cpu_ms(client, address))
        samples[BARE].append(cpu_ms(bare_client, bare_checklist))
    floor, bare = statistics.median(samples[FLOOR]), statistics.median(samples[BARE])
    ok = True
    print(f"\n{'page':<38}{'CPU ms':>8}{'x floor':>9}{'queries (1/10 data → all)':>28}")
    for name, values in samples.items():
        median, (few, many) = statistics.median(values), counts[name]
        if name == CHECKLIST:
            within = median / bare <= FLAGS_RATIO and many == counts[BARE][0]
        else:
            judged = name not in (FLOOR, BARE, SECOND_FLOOR)
            within = not judged or (median / floor <= RATIO and few == many)
        ok &= within
        row = f"{name:<38}{median:>8.1f}{median / floor:>8.1f}x{few:>14} → {many:<10}"
        print(row + ("" if within else "over"))
    print(f"targets: each exercise page at most {RATIO:.0f} times the catalog list's CPU time "
          f"(median of {RUNS} interleaved rounds), its query count independent of the data; the "
          f"checklist's flags {bare and (statistics.median(samples[CHECKLIST]) / bare - 1):+.0%} "
          f"over the same checklist without exercises (at most {FLAGS_RATIO - 1:+.0%})")  # fmt: skip
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
