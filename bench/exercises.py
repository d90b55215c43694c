"""Exercises at scale: the improvement plan and the exercise timeline, and what the exercise
data adds to the checklist (its corrective-action flags) and the dashboard (its exercise panel),
for an agency with 200 schools, ten years of exercises (about 150) and 600 corrective actions
(`bench/exercises_data.py`).

Builds a scratch database (SQLite, or with DATABASE_URL a fresh one beside it: bench/scratch.py),
then times each page in CPU time (time.process_time: what this process spends, less what other
processes on a shared machine take meanwhile) in interleaved rounds of one run. The exercise
pages must stay within 4 times the CPU time of the simple signed-in page, the catalog list, with
the same number of queries as with a tenth of the data. The checklist and the dashboard are the
checklist room's pages, judged by `make bench`; here the exercise data may add at most a tenth
to them (against the same pages of an agency without exercises), in as many queries at a tenth
of the data. Run: `.venv/bin/python bench/exercises.py`.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from datetime import timedelta

import scratch

SCRATCH = scratch.setup("exercises")

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

SCHOOLS, PEOPLE, RUNS, RATIO, ADDED = 200, 300, 30, 4.0, 0.10
FLOOR = "floor: catalog list"
SECOND_FLOOR = "password change (make bench's floor)"
CHECKLIST, DASHBOARD = "checklist with flags", "dashboard with exercises panel"
# The checklist room's pages, judged by `make bench`: here by what exercise data adds to them,
# against the same page of an agency without exercises.
BESIDE = (CHECKLIST, DASHBOARD)


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
        DASHBOARD: reverse("agency_detail", args=[slug]),
    }


def queries(client: Client, address: str) -> int:
    """The page's queries when asked again: the first after another page may save the session."""
    client.get(address)
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
    big, small, bare = (
        build(slug, n) for slug, n in (("metro", SCHOOLS), ("small", 20), ("bare", SCHOOLS))
    )
    started = time.perf_counter()
    made = exercises_create(big[0], list(big[0].schools.all()), list(Person.objects.of(big[0])),
                            by=big[1])  # fmt: skip
    print(f"Bench data: {made[0]} exercises, {made[1]} corrective actions, "
          f"{CorrectiveAction.objects.of(big[0]).unresolved().count()} unresolved, over "
          f"{SCHOOLS} schools, in {time.perf_counter() - started:.1f} s")  # fmt: skip
    # A tenth of the data beside it, for the query counts: 15 exercises, 60 actions.
    exercises_create(small[0], list(small[0].schools.all()), list(Person.objects.of(small[0])),
                     by=small[1], exercises=15, actions=60)  # fmt: skip
    clients = {}
    for name, (agency, lead) in (("big", big), ("small", small), ("bare", bare)):
        clients[name] = (Client(), pages(agency))
        clients[name][0].force_login(lead)
    counts = {
        name: [queries(c, p[name]) for c, p in clients.values()] for name in clients["big"][1]
    }
    samples = _samples(clients)
    sys.exit(0 if _judged(samples, counts) else 1)


def _samples(clients: dict) -> dict[str, list[float]]:
    """Interleaved rounds: a busy spell of the machine weighs on the floor and the pages alike."""
    (client, addresses), (bare_client, bare_addresses) = clients["big"], clients["bare"]
    samples = {name: [] for name in [*addresses, *(f"{n}, no exercises" for n in BESIDE)]}
    for _ in range(RUNS):
        for name, address in addresses.items():
            samples[name].append(cpu_ms(client, address))
        for name in BESIDE:
            samples[f"{name}, no exercises"].append(cpu_ms(bare_client, bare_addresses[name]))
    return samples


def _judged(samples: dict[str, list[float]], counts: dict[str, list[int]]) -> bool:
    medians = {name: statistics.median(values) for name, values in samples.items()}
    floor, ok = medians[FLOOR], True
    print(f"\n{'page':<42}{'CPU ms':>8}{'x floor':>9}{'queries (1/10 data → all)':>28}")
    for name, median in medians.items():
        big, small, _ = counts.get(name, (0, 0, 0))
        if name in BESIDE:
            within = median / medians[f"{name}, no exercises"] <= 1 + ADDED and small == big
        else:
            judged = name not in (FLOOR, SECOND_FLOOR) and name in counts
            within = not judged or (median / floor <= RATIO and small == big)
        ok &= within
        queried = f"{small:>14} → {big:<10}" if name in counts else " " * 27
        print(
            f"{name:<42}{median:>8.1f}{median / floor:>8.1f}x{queried}" + ("" if within else "over")
        )
    added = ", ".join(f"{n} {medians[n] / medians[f'{n}, no exercises'] - 1:+.0%}" for n in BESIDE)
    print(f"targets: each exercise page at most {RATIO:.0f} times the catalog list's CPU time "
          f"(median of {RUNS} interleaved rounds) and its query count independent of the data; "
          f"what the exercise data adds to the checklist room's pages at most {ADDED:+.0%} "
          f"({added})")  # fmt: skip
    return ok


if __name__ == "__main__":
    main()
