"""Muster under load: 50 people for 60 s against gunicorn and PostgreSQL, as in deployment.

Creates a scratch PostgreSQL database (dropped at the end), builds the large agency of
bench/run.py (200 schools, three signed-off past assessments, a current one) with a dozen
members, starts gunicorn (config/gunicorn.py, DEBUG off) and the task worker, and runs locust
headless with bench/locustfile.py. Prints requests per second, p50/p95/p99 and errors per
endpoint and overall, and exits non-zero on any error. Run with `make loadtest`.

LOADTEST_POSTGRES names the server (default postgres://muster:muster@127.0.0.1:5432/);
LOADTEST_USERS and LOADTEST_SECONDS change the load (default 50 and 60).
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
import urllib.request
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
SERVER = os.environ.get("LOADTEST_POSTGRES", "postgres://muster:muster@127.0.0.1:5432/")
DATABASE = f"muster_loadtest_{os.getpid()}"
USERS = int(os.environ.get("LOADTEST_USERS", "50"))
SECONDS = int(os.environ.get("LOADTEST_SECONDS", "60"))
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


def database_create() -> str:
    with admin_connection() as db:
        db.execute(f'CREATE DATABASE "{DATABASE}"')
    return SERVER.rstrip("/") + "/" + DATABASE


def database_drop() -> None:
    with admin_connection() as db:
        db.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


def plan_build(scratch: Path) -> Path:
    """bench/run.py's agency, plus the members who will sign in and what each may edit."""
    from accounts.models import Membership, User
    from bench import run as data  # sets Django up on DATABASE_URL
    from checklists.models import Response
    from checklists.signoff.signing import signing_pair_create

    signing_pair_create(scratch / "signing.key", scratch / "signing.crt", common_name="Load test")
    agency, assessment, lead, _ = data.build()
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
    }
    print(
        f"Agency: {len(schools)} schools, {Response.objects.count()} responses, "
        f"{len(members)} members signing in"
    )
    path = scratch / "plan.json"
    path.write_text(json.dumps(plan))
    return path


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
        [sys.executable, "manage.py", "db_worker", "--no-reload"],
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


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


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


def exceptions(scratch: Path) -> int:
    """Errors in the locustfile itself count too: a step that never ran is not a pass."""
    rows = list(csv.DictReader((scratch / "locust_exceptions.csv").open()))
    for row in rows:
        print(f"  {row['Count']} x exception in the locustfile: {row['Message']}")
    return sum(int(row["Count"]) for row in rows)


def main() -> int:
    url = database_create()
    scratch = None
    try:
        os.environ["DATABASE_URL"] = url
        sys.path.insert(0, str(ROOT))
        started = time.perf_counter()
        from bench import run as data

        scratch = data.SCRATCH
        plan = plan_build(scratch)
        print(f"Built in {time.perf_counter() - started:.0f} s, database {DATABASE}")
        from django.db import connections

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
            print(f"Locust: {USERS} users for {SECONDS} s against gunicorn on port {port}")
            locust = [BIN / "locust", "-f", "bench/locustfile.py", "--headless", "--only-summary"]
            load = ["--users", str(USERS), "--spawn-rate", "10", "--run-time", f"{SECONDS}s"]
            output = ["--csv", str(scratch / "locust"), "--loglevel", "WARNING"]
            subprocess.run(  # noqa: S603
                [*locust, *load, "--host", f"http://127.0.0.1:{port}", *output],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                check=False,
            )
        errors = summary(scratch / "locust_stats.csv") + exceptions(scratch)
        for row in csv.DictReader((scratch / "locust_failures.csv").open()):
            print(f"  {row['Occurrences']} x {row['Method']} {row['Name']}: {row['Error']}")
        load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
        print(f"\nLoad average of the machine after the run: {load} ({os.cpu_count()} CPUs)")
        print(f"Logs and locust CSVs in {scratch}")
        return 1 if errors else 0
    finally:
        database_drop()


if __name__ == "__main__":
    sys.exit(main())
