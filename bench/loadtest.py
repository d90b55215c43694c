"""Muster under load: 50 people against gunicorn and PostgreSQL, as in deployment, in two
phases that take turns after 20 s of page traffic to warm the server up: pages only, then the
same pages with report traffic beside them, three times each, 30 s a turn.

Builds, in a scratch PostgreSQL database of its own (bench/scratch.py; dropped at the end), the
large agency of bench/run.py (200 schools, three past assessments, one of them signed off with
its two signed reports, a current one) with a dozen members, starts gunicorn
(config/gunicorn.py, DEBUG off) and the task worker (`manage.py task_worker`), and runs locust
headless with bench/locustfile.py: 50 page users; then 50 page users and 10 report users
(drafts asked for, rendered in the worker, polled and downloaded; signed reports downloaded).
Prints requests per second, p50/p95/p99 and errors per endpoint for each turn, and the pages'
p95 over all turns of each phase. Exits non-zero on any error, or when report traffic makes the
pages' p95 more than 1.5 times what it was without. Run with `make loadtest`.

LOADTEST_POSTGRES names the server (default postgres://muster:muster@127.0.0.1:5432/);
LOADTEST_USERS, LOADTEST_REPORT_USERS, LOADTEST_SECONDS and LOADTEST_ROUNDS change the load
(default 50, 10, 30 and 3).
"""

from __future__ import annotations

import csv
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
SERVER = os.environ.get("LOADTEST_POSTGRES", "postgres://muster:muster@127.0.0.1:5432/")
DATABASE = f"muster_loadtest_{os.getpid()}"
USERS = int(os.environ.get("LOADTEST_USERS", "50"))
SECONDS = int(os.environ.get("LOADTEST_SECONDS", "30"))  # each turn of a phase
ROUNDS = int(os.environ.get("LOADTEST_ROUNDS", "3"))  # turns of each phase, alternating
WARM_UP = 20  # seconds of page traffic before the first phase, not counted
REPORT_USERS = int(os.environ.get("LOADTEST_REPORT_USERS", "10"))
SLOWDOWN_LIMIT = 1.5  # the pages' p95 with report traffic over their p95 without
PASSWORD = "bench-password-1"  # noqa: S105 - bench/run.py's lead has it; every member here does
BIN = Path(sys.executable).parent


def admin_connection() -> psycopg.Connection:
    parts = urlsplit(SERVER)
    return psycopg.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username,
        password=parts.password,
        dbname="postgres",
        autocommit=True,
    )


def server_url(database: str) -> str:
    return SERVER.rstrip("/") + "/" + database


def database_drop() -> None:
    """The database the run built in (bench/scratch.py names it), gone after the run."""
    from django.db import connection

    with admin_connection() as db:
        db.execute(f'DROP DATABASE IF EXISTS "{connection.settings_dict["NAME"]}" WITH (FORCE)')


def plan_build(scratch: Path) -> Path:
    """bench/run.py's agency, plus the members who will sign in and what each may edit."""
    from accounts.models import Membership, User
    from bench import run as data  # sets Django up on DATABASE_URL
    from checklists.models import Response
    from checklists.signoff.signing import signing_pair_create

    signing_pair_create(scratch / "signing.key", scratch / "signing.crt", common_name="Load test")
    agency, assessment, lead, _ = data.build()
    signed_reports = signed_reports_build(agency, lead, scratch)
    schools = list(agency.schools.order_by("pk").values_list("pk", flat=True))
    responses = assessment.responses.order_by("pk")
    agency_rows = list(responses.filter(school=None).values_list("pk", flat=True))
    members = [{"email": lead.email, "schools": [], "responses": agency_rows[:20]}]
    for n in range(1, 5):
        user = User.objects.create_user(
            f"editor{n}@metro.example", PASSWORD, full_name=f"Editor {n}"
        )
        Membership.objects.create(user=user, agency=agency, access=Membership.Access.EDITOR)
        members.append({"email": user.email, "schools": [], "responses": agency_rows[:20]})
    for n in range(1, 5):
        user = User.objects.create_user(f"sro{n}@metro.example", PASSWORD, full_name=f"SRO {n}")
        mine = schools[(n - 1) * 5 : n * 5]
        membership = Membership.objects.create(
            user=user, agency=agency, access=Membership.Access.SRO
        )
        membership.schools.set(mine)
        rows = responses.filter(school__in=mine).values_list("pk", flat=True)
        members.append({"email": user.email, "schools": mine, "responses": list(rows[:20])})
    for n in range(1, 3):
        user = User.objects.create_user(
            f"viewer{n}@metro.example", PASSWORD, full_name=f"Viewer {n}"
        )
        Membership.objects.create(user=user, agency=agency, access=Membership.Access.VIEWER)
        members.append({"email": user.email, "schools": [], "responses": []})
    plan = {
        "agency": agency.slug,
        "assessment": assessment.pk,
        "schools": schools,
        "members": members,
        "password": PASSWORD,
        "signed_reports": signed_reports,
    }
    print(
        f"Agency: {len(schools)} schools, {Response.objects.count()} responses, "
        f"{len(members)} members signing in"
    )
    path = scratch / "plan.json"
    path.write_text(json.dumps(plan))
    return path


def signed_reports_build(agency, lead, scratch: Path) -> list[int]:
    """The last past assessment signed off for real, its two reports rendered and stored now
    (before the run), for the report users to download."""
    from django.conf import settings
    from django.utils import timezone

    from checklists.models import Assessment, Report, SignOff
    from checklists.signoff.rendering import report_render
    from checklists.signoff.services import signer_record
    from checklists.signoff.snapshot import (
        assessment_snapshot,
        canonical,
        fingerprint,
        public_snapshot,
    )

    settings.MEDIA_ROOT = str(scratch / "media")
    settings.REPORT_SIGNING_KEY = scratch / "signing.key"
    settings.REPORT_SIGNING_CERT = scratch / "signing.crt"
    past = Assessment.objects.filter(agency=agency, state="signed_off").order_by("-pk").first()
    now = timezone.now()
    signer = signer_record(by=lead, typed_name="Bench Lead", typed_title="Sheriff", at=now)
    full = assessment_snapshot(past, signer=signer, as_of=timezone.localdate(now))
    text, public = canonical(full), canonical(public_snapshot(full))
    sign_off = SignOff.objects.create(
        assessment=past, signer=lead, typed_name="Bench Lead", typed_title="Sheriff",
        statement=signer["statement"], signed_at=now, snapshot=text,
        snapshot_sha256=fingerprint(text), public_snapshot=public,
        public_snapshot_sha256=fingerprint(public),
    )  # fmt: skip
    started = time.perf_counter()
    reports = [
        report_render(report=Report.objects.create(sign_off=sign_off, edition=edition))
        for edition in Report.Edition.values
    ]
    print(f"Signed reports rendered in {time.perf_counter() - started:.0f} s")
    return [report.pk for report in reports]


def sign_in(base: str, plan_path: Path) -> list[float]:
    """Each member signs in through the login page; their cookies go into the plan for locust.

    Signing in costs a deliberately slow password hash, so it is done once per member before
    the run rather than by every simulated person at once; its time is reported on its own.
    """
    import requests

    plan, seconds = json.loads(plan_path.read_text()), []
    for member in plan["members"]:
        session = requests.Session()
        session.get(f"{base}/accounts/login/", timeout=60).raise_for_status()
        started = time.perf_counter()
        answer = session.post(
            f"{base}/accounts/login/",
            {"username": member["email"], "password": PASSWORD},
            headers={"X-CSRFToken": session.cookies["csrftoken"]},
            timeout=60,
        )
        seconds.append(time.perf_counter() - started)
        if answer.status_code != 200 or "sessionid" not in session.cookies:
            raise SystemExit(f"{member['email']} could not sign in ({answer.status_code})")
        member["cookies"] = [
            {"name": c.name, "value": c.value, "domain": c.domain, "path": c.path}
            for c in session.cookies
        ]
    plan_path.write_text(json.dumps(plan))
    return seconds


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(stack: ExitStack, env: dict, scratch: Path, port: int) -> None:
    """gunicorn and the task worker, stopped when the stack closes."""
    log = stack.enter_context((scratch / "server.log").open("w"))
    for command in (
        [BIN / "gunicorn", "-c", "config/gunicorn.py", "config.wsgi"],
        [sys.executable, "manage.py", "task_worker", "--no-reload"],
    ):
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)  # noqa: S603
        stack.callback(stop, process)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/"):
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"gunicorn did not answer; see {scratch / 'server.log'}")


def health(port: int) -> str:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz") as answer:
            return answer.read().decode()
    except urllib.error.HTTPError as error:
        return f"{error.code} {error.read().decode()}"


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


def percentile(times: list[float], share: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def phase_run(
    name: str,
    classes: list[str],
    users: int,
    env: dict,
    port: int,
    scratch: Path,
    seconds: int = SECONDS,
):
    """One locust run; returns its errors and the pages' response times (ms)."""
    print(f"\n== Phase: {name}: {users} users for {seconds} s against gunicorn on port {port}")
    prefix, times = scratch / f"locust-{name}", scratch / f"page-times-{name}.json"
    locust = [BIN / "locust", "-f", "bench/locustfile.py", "--headless", "--only-summary"]
    load = ["--users", str(users), "--spawn-rate", "10", "--run-time", f"{seconds}s"]
    output = ["--csv", str(prefix), "--loglevel", "WARNING"]
    subprocess.run(  # noqa: S603
        [*locust, *load, "--host", f"http://127.0.0.1:{port}", *output, *classes],
        cwd=ROOT,
        env=env | {"LOADTEST_PAGE_TIMES": str(times), "LOADTEST_REPORT_USERS": str(REPORT_USERS)},
        stdout=subprocess.DEVNULL,
        check=False,
    )
    errors = summary(Path(f"{prefix}_stats.csv")) + exceptions(Path(f"{prefix}_exceptions.csv"))
    with Path(f"{prefix}_failures.csv").open() as failures:
        for row in csv.DictReader(failures):
            print(f"  {row['Occurrences']} x {row['Method']} {row['Name']}: {row['Error']}")
    return errors, json.loads(times.read_text()) if times.exists() else []


def summary(stats: Path) -> int:
    """Print the table; returns the number of errors."""
    rows = list(csv.DictReader(stats.open()))
    print(
        f"\n{'endpoint':<22}{'requests':>9}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'errors':>8}"
    )
    for row in rows:
        name = "overall" if row["Name"] == "Aggregated" else row["Name"]
        print(
            f"{name:<22}{row['Request Count']:>9}{float(row['Requests/s']):>8.1f}"
            f"{row['50%']:>8}{row['95%']:>8}{row['99%']:>8}{row['Failure Count']:>8}"
        )
    return int(next(r for r in rows if r["Name"] == "Aggregated")["Failure Count"])


def exceptions(path: Path) -> int:
    """Errors in the locustfile itself count too: a step that never ran is not a pass."""
    rows = list(csv.DictReader(path.open()))
    for row in rows:
        print(f"  {row['Count']} x exception in the locustfile: {row['Message']}")
    return sum(int(row["Count"]) for row in rows)


def main() -> int:
    scratch = None
    try:
        # bench/scratch.py builds in a database of its own beside the one named here, made
        # afresh; gunicorn and the worker are pointed at that one.
        os.environ["DATABASE_URL"] = server_url(DATABASE)
        sys.path.insert(0, str(ROOT))
        started = time.perf_counter()
        from django.db import connection, connections

        from bench import run as data

        scratch = data.SCRATCH
        plan = plan_build(scratch)
        built = connection.settings_dict["NAME"]
        url = server_url(built)
        print(f"Built in {time.perf_counter() - started:.0f} s, database {built}")

        connections.close_all()
        port = free_port()
        env = os.environ | {
            "DATABASE_URL": url,
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            # Plain http on the loopback: production's HTTPS redirect and secure cookies off.
            "SECURE_SSL_REDIRECT": "false",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "MEDIA_ROOT": str(scratch / "media"),
            "REPORT_SIGNING_KEY": str(scratch / "signing.key"),
            "REPORT_SIGNING_CERT": str(scratch / "signing.crt"),
            "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
            "LOADTEST_PLAN": str(plan),
            "LOG_LEVEL": "WARNING",
        }
        with ExitStack() as stack:
            serve(stack, env, scratch, port)
            logins = sorted(sign_in(f"http://127.0.0.1:{port}", plan))
            print(
                f"Signed in {len(logins)} members one after another: median "
                f"{logins[len(logins) // 2] * 1000:.0f} ms, slowest {logins[-1] * 1000:.0f} ms"
            )
            # Not counted: the workers' first requests (templates compiled, caches and
            # PostgreSQL's buffers filled) would otherwise weigh on the first phase alone.
            warm_errors, _ = phase_run("warm-up", ["Member"], USERS, env, port, scratch, WARM_UP)
            # The two phases take turns, so that a slow spell of the machine, or the rows the
            # saves add, weigh on both sides of the ratio.
            pages, beside, pages_errors, reports_errors = [], [], 0, 0
            both, users = ["Member", "ReportReader"], USERS + REPORT_USERS
            for n in range(1, ROUNDS + 1):
                errors, times = phase_run(f"pages-{n}", ["Member"], USERS, env, port, scratch)
                pages_errors, pages = pages_errors + errors, pages + times
                errors, times = phase_run(f"reports-{n}", both, users, env, port, scratch)
                reports_errors, beside = reports_errors + errors, beside + times
            queued = health(port)
        errors = warm_errors + pages_errors + reports_errors
        alone, with_reports = percentile(pages, 0.95), percentile(beside, 0.95)
        ratio = with_reports / alone if alone else float("inf")
        print(
            f"\nPages' p95: {alone:.0f} ms alone ({len(pages)} requests), {with_reports:.0f} ms "
            f"beside report traffic ({len(beside)} requests): {ratio:.2f} x "
            f"(goal at most {SLOWDOWN_LIMIT} x); errors {pages_errors} and {reports_errors}"
        )
        print(f"/healthz at the end of the report phase: {queued}")
        load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
        print(f"\nLoad average of the machine after the run: {load} ({os.cpu_count()} CPUs)")
        print(f"Logs and locust CSVs in {scratch}")
        return 1 if errors or ratio > SLOWDOWN_LIMIT else 0
    finally:
        database_drop()


if __name__ == "__main__":
    sys.exit(main())
