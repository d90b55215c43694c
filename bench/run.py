"""Server time of Muster's busiest pages for a large agency.

Builds, in a scratch SQLite database (or the one DATABASE_URL names, which it must be safe to
wipe), an agency with 200 schools, three signed-off past assessments and a current one with
realistic answers; then times each page through Django's test client, in-process, so the
figures are server time without a network. Run with `make bench`.
"""

from __future__ import annotations

import gc
import os
import random
import statistics
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SCRATCH = Path(tempfile.mkdtemp(prefix="muster-bench-"))
os.environ.setdefault("DATABASE_URL", f"sqlite:///{SCRATCH / 'bench.sqlite3'}")
os.environ |= {
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "DEBUG": "false",
    "SECRET_KEY": "bench-only",
    # The test client speaks plain http: no https redirect, no secure-only cookies.
    "SECURE_SSL_REDIRECT": "false",
    "SESSION_COOKIE_SECURE": "false",
    "CSRF_COOKIE_SECURE": "false",
}
os.environ["MEDIA_ROOT"] = str(SCRATCH / "media")
os.environ["STATIC_ROOT"] = str(SCRATCH / "static")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402

from accounts.models import Agency, Membership, School, User  # noqa: E402
from checklists.assessments.services import assessment_start, assessment_start_next  # noqa: E402
from checklists.models import Assessment, CatalogVersion, Response  # noqa: E402
from demo.assessments import sample_answer  # noqa: E402

SCHOOLS, PAST, RUNS = 200, 3, 30
S = Response.Status


def build() -> tuple[Agency, Assessment, User, School]:
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # production's hashed names
    call_command("load_catalog", verbosity=0)
    rng = random.Random(7)  # noqa: S311 — repeatable bench data
    with transaction.atomic():
        agency = Agency.objects.create(name="Metro County Sheriff's Office", slug="metro")
        lead = User.objects.create_user(
            "lead@metro.example", "bench-password-1", full_name="Bench Lead"
        )
        Membership.objects.create(user=lead, agency=agency, access=Membership.Access.LEAD)
        School.objects.bulk_create(
            School(agency=agency, name=f"School {n:03}") for n in range(SCHOOLS)
        )
        version = CatalogVersion.objects.latest("number")
        assessment = assessment_start(
            agency=agency, catalog_version=version, title="2022", due_date=None, by=lead
        )
        _answer(assessment, rng, lead)
        for year in range(2023, 2023 + PAST):
            Assessment.objects.filter(pk=assessment.pk).update(state=Assessment.State.SIGNED_OFF)
            assessment = assessment_start_next(
                previous=assessment, title=str(year), due_date=None, by=lead
            )
            _answer(assessment, rng, lead)
    return agency, assessment, lead, agency.schools.first()


def _answer(assessment: Assessment, rng: random.Random, lead: User) -> None:
    responses = list(assessment.responses.select_related("item").prefetch_related("item__prompts"))
    for response in responses:
        response.status = rng.choice(
            [S.IN_PLACE, S.IN_PLACE, S.IN_PROGRESS, S.NOT_STARTED, S.NOT_APPLICABLE]
        )
        response.answers = {
            p.key: v
            for p in response.item.prompts.all()
            if (v := sample_answer(p, rng)) is not None
        }
        response.justification = "Not relevant here" if response.status == S.NOT_APPLICABLE else ""
        response.carried_over = False
        response.owner = lead if rng.random() < 0.2 else None
    Response.objects.bulk_update(
        responses, ["status", "answers", "justification", "carried_over", "owner"], batch_size=500
    )


def timed(call, runs: int = RUNS) -> tuple[float, float]:
    call()  # warm up
    gc.collect()
    gc.freeze()  # as config/gunicorn.py does for a worker: startup objects leave the collector
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        response = call()
        samples.append((time.perf_counter() - start) * 1000)
        if response.status_code not in (200, 302):
            raise RuntimeError(f"The page answered {response.status_code}.")
    samples.sort()
    return statistics.median(samples), samples[int(0.95 * (len(samples) - 1))]


def report_bench(lead: User) -> bool:
    """Report render time at two sizes, beside WeasyPrint alone on the same finished HTML."""
    from checklists.signoff.pdf import html_to_pdf, report_html
    from checklists.signoff.snapshot import assessment_snapshot, canonical

    rng = random.Random(11)  # noqa: S311 — repeatable bench data
    version = CatalogVersion.objects.latest("number")
    agency_items = version.items.filter(scope="agency").count()
    school_items = version.items.filter(scope="school").count()
    print(
        f"\n{'report (full edition)':<30}{'total s':>9}{'WeasyPrint s':>14}{'ours':>7}{'target':>10}"
    )
    ok = True
    for wanted, target in ((115, 1.5), (1000, 6.0)):
        schools = max(1, round((wanted - agency_items) / school_items))
        with transaction.atomic():
            agency = Agency.objects.create(name=f"Report bench {wanted}", slug=f"report-{wanted}")
            Membership.objects.create(user=lead, agency=agency, access=Membership.Access.LEAD)
            School.objects.bulk_create(
                School(agency=agency, name=f"School {n:03}") for n in range(schools)
            )
            assessment = assessment_start(
                agency=agency, catalog_version=version, title="Bench", due_date=None, by=lead
            )
            _answer(assessment, rng, lead)
        snapshot = canonical(assessment_snapshot(assessment, signer={}))
        count = assessment.responses.count()

        html = report_html(assessment, edition="full")
        total_s = statistics.median(
            _seconds(partial(_render, assessment, snapshot)) for _ in range(3)
        )
        weasy_s = statistics.median(
            _seconds(partial(html_to_pdf, html, snapshot=snapshot)) for _ in range(3)
        )
        ours = (total_s - weasy_s) / weasy_s
        ok &= total_s <= target and ours <= 0.20
        label = f"{count} responses ({schools} schools)"
        print(
            f"{label:<30}{total_s:>9.2f}{weasy_s:>14.2f}{ours:>7.0%}{'≤ ' + str(target) + ' s':>10}"
        )
    print("ours = what our data and templating add to WeasyPrint's own time (target ≤ 20%)")
    return ok


def _render(assessment: Assessment, snapshot: str) -> bytes:
    """The whole path: our data and templating, then WeasyPrint."""
    from checklists.signoff.pdf import html_to_pdf, report_html

    return html_to_pdf(report_html(assessment, edition="full"), snapshot=snapshot)


def _seconds(call) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def main() -> None:
    setup_test_environment()
    started = time.perf_counter()
    agency, assessment, lead, school = build()
    print(
        f"Built in {time.perf_counter() - started:.0f} s: {SCHOOLS} schools, {PAST} past assessments, "
        f"{Response.objects.count()} responses, database {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}"
    )
    client = Client()
    client.force_login(lead)
    checklist = reverse("assessment_checklist", args=[agency.slug, assessment.pk])
    target = assessment.responses.filter(school=school).select_related("item").first()
    edit = reverse("response_detail", args=[agency.slug, target.pk])

    def save():
        target.refresh_from_db()
        data = {
            "version": target.version,
            "status": "in_progress",
            "notes": f"Bench {time.perf_counter()}",
        }
        return client.post(edit, data, HTTP_HX_REQUEST="true")

    pages = {
        "dashboard": (lambda: client.get(reverse("agency_detail", args=[agency.slug])), 150),
        "checklist, first page": (lambda: client.get(checklist), 150),
        "checklist, filtered": (
            lambda: client.get(checklist, {"status": "in_progress", "school": school.pk}),
            150,
        ),
        "school page": (
            lambda: client.get(reverse("school_checklist", args=[agency.slug, school.pk])),
            150,
        ),
        "in-place save": (save, 50),
    }
    print(f"\n{'page':<24}{'median ms':>11}{'p95 ms':>9}{'target':>9}")
    failed = False
    for name, (call, target_ms) in pages.items():
        median, p95 = timed(call)
        failed |= p95 > target_ms
        print(
            f"{name:<24}{median:>11.1f}{p95:>9.1f}{'≤ ' + str(target_ms):>9}{'' if p95 <= target_ms else '  over'}"
        )
    print(f"\n{RUNS} runs each after a warm-up; scratch data in {SCRATCH}")
    gc.unfreeze()
    failed |= not report_bench(lead)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
