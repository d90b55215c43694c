"""What a working day looks like to Muster, for locust: run by `make loadtest` (bench/loadtest.py).

Each simulated person works as one of the agency's members (lead, editors, school resource
officers, viewers) and then reads the dashboard, the checklist (whole and filtered), school
pages and saves items in place the way the page does (an htmx POST carrying the version the form
was opened at). In the second phase, as many page users again and a few more who read reports
(ReportReader): they ask for draft reports and download signed ones. A version conflict is an answer the page is
built to give when two people save one item, so it counts as a success; anything else that is
not the page's normal answer is an error.

The plan (agency, assessment, members, the rows each may edit) is the JSON file named by
LOADTEST_PLAN, written by bench/loadtest.py.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import time
from pathlib import Path

from locust import HttpUser, between, events, task

PLAN = json.loads(Path(os.environ["LOADTEST_PLAN"]).read_text())
MEMBERS = itertools.cycle(PLAN["members"])
VERSION = re.compile(r'name="version" value="(\d+)"')
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
PAGE_TIMES: list[float] = []  # ms, of every page request that did not fail


class Member(HttpUser):
    wait_time = between(1, 5)  # reading, thinking, typing

    def on_start(self) -> None:
        # Signed in once per member before the run (bench/loadtest.py): several people may
        # share a member, as one person has several tabs open.
        self.member = next(MEMBERS)
        for cookie in self.member["cookies"]:
            self.client.cookies.set(**cookie)
        self.base = f"/agencies/{PLAN['agency']}"
        self.checklist = f"{self.base}/assessments/{PLAN['assessment']}/"

    @task(20)
    def dashboard(self) -> None:
        self.client.get(f"{self.base}/", name="dashboard")

    @task(20)
    def checklist_page(self) -> None:
        self.client.get(self.checklist, name="checklist")

    @task(15)
    def checklist_filtered(self) -> None:
        query = {"status": random.choice(["in_progress", "not_started", "in_place"])}  # noqa: S311
        if self.member["schools"]:
            query["school"] = random.choice(self.member["schools"])  # noqa: S311
        self.client.get(self.checklist, params=query, name="checklist, filtered")

    @task(15)
    def school_page(self) -> None:
        school = random.choice(self.member["schools"] or PLAN["schools"])  # noqa: S311
        self.client.get(f"{self.base}/schools/{school}/checklist/", name="school page")

    @task(30)
    def save_in_place(self) -> None:
        if not self.member["responses"]:
            return self.dashboard()  # a viewer only reads
        url = f"{self.base}/responses/{random.choice(self.member['responses'])}/"  # noqa: S311
        htmx = {"HX-Request": "true"}
        form = self.client.get(url, headers=htmx, name="edit form")
        version, token = VERSION.search(form.text), CSRF.search(form.text)
        if version is None or token is None:
            return None  # not the form: locust has recorded the failed request
        time.sleep(random.uniform(1, 4))  # noqa: S311 - typing (locust makes sleep cooperative)
        data = {  # what htmx sends from the form
            "csrfmiddlewaretoken": token.group(1),
            "version": version.group(1),
            "status": random.choice(["in_progress", "not_started"]),  # noqa: S311
            "notes": f"Checked by {self.member['email']} ({random.randrange(10**6)})",  # noqa: S311
        }
        with self.client.post(url, data, headers=htmx, name="save", catch_response=True) as answer:
            if answer.status_code != 200:
                return None  # locust has recorded the failure
            if "after you opened it" in answer.text:
                # Someone saved the item first and the page says so: counted on its own line.
                answer.request_meta["name"] = "save (conflict shown)"
                answer.success()
            elif 'class="card response-row' not in answer.text or (
                answer.headers.get("HX-Trigger") != "figures-changed"
            ):
                # The saved row, and the signal on which the page's figures fetch themselves.
                answer.failure("the save answered neither the saved row nor the conflict")
        return None


class ReportReader(HttpUser):
    """Report traffic, in the second phase only (named on locust's command line): members asking for
    draft reports (prepared in the worker; the page polled until the download) and downloading
    the signed ones. Its requests are named "report: …", apart from the pages'."""

    wait_time = between(2, 6)
    # On top of the page users: bench/loadtest.py asks for this many more users in that phase.
    fixed_count = int(os.environ.get("LOADTEST_REPORT_USERS", "10"))

    def on_start(self) -> None:
        self.member = next(MEMBERS)
        for cookie in self.member["cookies"]:
            self.client.cookies.set(**cookie)
        self.base = f"/agencies/{PLAN['agency']}"

    @task(3)
    def signed_report(self) -> None:
        report = random.choice(PLAN["signed_reports"])  # noqa: S311
        with self.client.get(
            f"{self.base}/reports/{report}/", name="report: signed PDF", catch_response=True
        ) as answer:
            if answer.status_code == 200 and not answer.content.startswith(b"%PDF"):
                answer.failure("not a PDF")

    @task(2)
    def draft(self) -> None:
        edition = random.choice(["public", "public", "full"])  # noqa: S311
        listing = self.client.get(f"{self.base}/reports/", name="report: reports page")
        token = CSRF.search(listing.text)
        if token is None:
            return None
        asked = self.client.post(
            f"{self.base}/assessments/{PLAN['assessment']}/drafts/{edition}/",
            {"csrfmiddlewaretoken": token.group(1)},
            name=f"report: prepare draft ({edition})",
        )
        if "/drafts/" not in asked.url:
            return None  # past the member's limit: the reports page says so
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            status = self.client.get(
                asked.url, headers={"HX-Request": "true"}, name="report: draft progress"
            )
            if "/download/" in status.text:
                return self._draft_download(asked.url, edition)
            if "Could not be prepared" in status.text:
                raise RuntimeError(f"The draft at {asked.url} failed to render.")
            time.sleep(2)  # as the page's htmx polls
        return None

    def _draft_download(self, page: str, edition: str) -> None:
        name = f"report: draft PDF ({edition})"
        with self.client.get(page + "download/", name=name, catch_response=True) as answer:
            if answer.status_code == 200 and not answer.content.startswith(b"%PDF"):
                answer.failure("not a PDF")


@events.request.add_listener
def _page_time(name: str, response_time: float, exception=None, **kwargs) -> None:
    if not name.startswith("report:") and exception is None:
        PAGE_TIMES.append(response_time)


@events.quitting.add_listener
def _page_times_written(**kwargs) -> None:
    if path := os.environ.get("LOADTEST_PAGE_TIMES"):
        Path(path).write_text(json.dumps(PAGE_TIMES))
