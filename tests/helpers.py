"""Helpers and constants shared by the test modules; fixtures live in conftest.py.

No test module imports from another test module or from a conftest: what two of them share is
here. Hostile input for the property-based tests, and the checks every answer to it must pass,
are at the end: the strategies mix random text with values known to break things (markup that
would run if a page or the PDF printed it raw, NUL, SQL, template syntax, huge numbers,
impossible dates, very long strings), and a form field may arrive twice or not at all.
"""

from __future__ import annotations

import hashlib
import io
import os
import socket
import subprocess
import sys
import threading
from binascii import unhexlify
from collections.abc import Callable
from contextlib import contextmanager
from datetime import date
from html.parser import HTMLParser
from importlib import import_module
from pathlib import Path
from textwrap import dedent
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.urls import resolve, reverse
from django.utils.html import escape
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import strategies as st
from pypdf import PdfReader

from accounts.models import AuditEvent, Role
from checklists.catalog.models import (
    Catalog,
    CatalogVersion,
    EvidencePrompt,
    Figure,
    FigureValue,
    Item,
    Section,
    Source,
)
from checklists.catalog.reader import CatalogError, read_catalog
from checklists.models import DraftReport, Report, Response, SignOff
from checklists.signoff.rendering import draft_render, report_render
from checklists.signoff.services import assessment_sign_off, assessment_submit
from exercises import services as exercise_services
from exercises.models import (
    AfterActionReport,
    CorrectiveAction,
    Exercise,
    Observation,
    Organization,
    Review,
)
from training import currency
from training.models import Completion, Course, Import, Person, Requirement, Session
from training.services import courses_load

PASSWORD = "correct-horse-battery"  # every factory-made user's
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
SHIPPED_CATALOG = Path(settings.CATALOG_DIR) / "rand-law-enforcement-response.yaml"


def url(name: str, agency, *args) -> str:
    """An agency's URL: `url("response_detail", agency, response.pk)`."""
    return reverse(name, args=[agency.slug, *args])


def invitation_opened(client, token: str) -> str:
    """Open an emailed invitation link as a browser does; returns the clean page it leads to."""
    return client.get(reverse("invitation_link", args=[token])).url


def assert_error_page(response, status: int, heading: str) -> None:
    """An error page in the site's layout, saying what happened, never a stack trace."""
    assert response.status_code == status
    page = response.content.decode()
    assert heading in page
    assert 'class="navbar' in page  # the site's layout, not a bare error
    assert "Traceback" not in page


def the_event(action, **filters) -> AuditEvent:
    """The audit event of `action` (and `filters`): there must be exactly one."""
    found = list(AuditEvent.objects.filter(action=action, **filters))
    assert len(found) == 1, found
    return found[0]


def empty_audit_log() -> None:
    """Delete every audit event, the append-only triggers lifted for that moment only: for tests
    that empty the whole database (a flush), which the triggers would refuse."""
    migration = import_module("accounts.migrations.0004_audit_event")
    with connection.cursor() as cursor:
        for sql in migration.statements(connection.vendor, "drop"):
            cursor.execute(sql)
        cursor.execute(f"DELETE FROM {migration.TABLE}")  # noqa: S608 — a constant
        for sql in migration.statements(connection.vendor, "create"):
            cursor.execute(sql)


# Catalogs ------------------------------------------------------------------------------------

# The smallest valid catalog file: one role, source, section, item and prompt.
MINIMAL = dedent(
    """\
    slug: test-catalog
    title: Test catalog
    publisher: Test Publisher
    source_url: https://example.org/page
    version: "1.0"
    published: 2022
    roles:
      - slug: patrol
        name: Patrol
    sources:
      - key: page
        citation: Test Publisher, the page, 2022.
    sections:
      - code: first
        title: First section
        items:
          - code: TST-01
            title: Write the policy
            guidance: A written policy exists.
            why: Because it matters.
            basis: Introduction
            roles: [patrol]
            sources: [page]
            prompts:
              - key: officers
                kind: number
                label: Officers trained
                min: 0
                max: 500
    """
)
CATALOG_MODELS = [
    Catalog, CatalogVersion, Source, Section, Item, EvidencePrompt, Figure, FigureValue, Role,
]  # fmt: skip


def write(tmp_path: Path, text: str) -> Path:
    """`text` as the catalog file catalog.yaml in `tmp_path`."""
    path = tmp_path / "catalog.yaml"
    path.write_text(text)
    return path


def problems_of(tmp_path: Path, text: str) -> list[tuple[int, str, str]]:
    """(line, field, message) of each problem the reader finds in `text`."""
    with pytest.raises(CatalogError) as caught:
        read_catalog(write(tmp_path, text))
    assert str(tmp_path / "catalog.yaml") in str(caught.value)
    return [(p.line, p.field, p.message) for p in caught.value.problems]


def catalog_row_counts() -> dict[str, int]:
    """How many rows each table a catalog load writes to holds."""
    return {model.__name__: model.objects.count() for model in CATALOG_MODELS}


# Assessments ---------------------------------------------------------------------------------


def response_for(assessment, code: str, school=None) -> Response:
    return assessment.responses.select_related("item", "assessment__agency").get(
        item__code=code, school=school
    )


def required_answers(response: Response) -> dict:
    """Answers to every required prompt of the response's item but files."""
    values = {"text": "General Order 4.12", "number": "12", "date": "2026-01-15", "boolean": True}
    return {
        p.key: values.get(p.kind, p.choices[0] if p.choices else None)
        for p in response.item.prompts.all()
        if p.required and p.kind != "file"
    }


def response_post(response: Response, **changes) -> dict:
    """The response form as it opens for `response`, with `changes`: what a browser posts."""
    data = {
        "version": response.version,
        "status": response.status,
        "notes": "",
        "justification": "",
    }
    data |= {f"answer_{k}": ("yes" if v is True else v) for k, v in response.answers.items()}
    return data | changes


# Sign-off and reports ------------------------------------------------------------------------


def sign(assessment, lead, capture=None) -> SignOff:
    """Submit and sign off as `lead`. With `capture` (django_capture_on_commit_callbacks) the
    reports are queued as on commit; the `render_reports` fixture makes that render them."""
    assessment_submit(assessment=assessment, by=lead)

    def signing() -> SignOff:
        return assessment_sign_off(
            assessment=assessment, by=lead, typed_name="Dana Whitfield",
            typed_title="Chief of Police", attest=True, password=PASSWORD,
        )  # fmt: skip

    if capture is None:  # queued on the real commit, if any
        return signing()
    with capture(execute=True):
        return signing()


def signed_report(assessment, lead, edition: str) -> Report:
    """Sign off, then render and sign one edition for real (WeasyPrint and pyHanko), as the task
    worker would: for a test that reads one signed PDF, at half the cost of `render_reports`."""
    return report_render(report=sign(assessment, lead).reports.get(edition=edition))


def report_stored(report: Report, content: bytes = PDF_BYTES) -> Report:
    """A report marked rendered, with `content` stored as its file, without rendering it: for
    tests of the rows and pages around a signed report rather than of the PDF."""
    report.file.save(f"{report.edition}.pdf", ContentFile(content), save=False)
    report.state, report.size = Report.State.DONE, len(content)
    report.sha256 = hashlib.sha256(content).hexdigest()
    report.save()
    return report


def pdf_text(data: bytes) -> list[str]:
    """The text of each page of a PDF."""
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


# Threads -------------------------------------------------------------------------------------


def together[T](count: int, work: Callable[[int], T]) -> list[T | BaseException]:
    """Run `work(0)` … `work(count - 1)` in threads released at the same instant, each with its
    own database connection; what each returned or raised, in order."""
    start = threading.Barrier(count)
    outcomes: list[T | BaseException] = [RuntimeError("did not finish")] * count

    def run(index: int) -> None:
        try:
            start.wait(timeout=30)
            outcomes[index] = work(index)
        except BaseException as error:  # handed to the test, which reports it
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def draft_through_pages(client, agency, assessment, edition: str):
    """A draft report as a member gets one: "Prepare draft", the worker's render (run here), then
    the download from the draft's page. The download's response, its PDF in `.pdf`."""
    prepared = client.post(reverse("draft_prepare", args=[agency.slug, assessment.pk, edition]))
    assert prepared.status_code == 302, prepared
    draft = DraftReport.objects.get(pk=resolve(prepared.url).kwargs["pk"])
    draft_render(draft=draft)  # what the task worker does
    response = client.get(reverse("draft_download", args=[agency.slug, draft.pk]))
    response.pdf = b"".join(response.streaming_content) if response.status_code == 200 else b""
    return response


def database_url() -> str:
    """This test's database, as another process is to reach it: under pytest-xdist each worker
    has its own (test_muster_gw0 on PostgreSQL, its own file on SQLite), and
    `connection.settings_dict` names the one of this worker."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    credentials = f"{quote(db['USER'], safe='')}:{quote(db['PASSWORD'], safe='')}"
    return f"postgres://{credentials}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def task_worker(*arguments: str, stdout=subprocess.DEVNULL, **env: str) -> subprocess.Popen:
    """The deployment's task worker (`manage.py task_worker`) in its own process, on the test
    database and files; `env` over the process's environment (e.g. TASK_WORKER_HEARTBEAT)."""
    env = (
        os.environ
        | {
            "DATABASE_URL": database_url(),
            "DEBUG": "false",
            "SECRET_KEY": "tests-only-not-a-secret",
            "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "REPORT_SIGNING_KEY": str(settings.REPORT_SIGNING_KEY),
            "REPORT_SIGNING_CERT": str(settings.REPORT_SIGNING_CERT),
        }
        | env
    )
    command = [sys.executable, "manage.py", "task_worker", "--no-reload", "--no-startup-delay"]
    return subprocess.Popen(  # noqa: S603 - our own manage.py, fixed arguments
        [*command, "--interval", "0.1", *arguments],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=stdout,
        stderr=subprocess.PIPE,
    )


def no_errors(outcomes: list) -> list:
    errors = [o for o in outcomes if isinstance(o, BaseException)]
    assert not errors, errors
    return outcomes


# A real SMTP server (aiosmtpd) -----------------------------------------------------------


class Inbox:
    """An aiosmtpd handler: accepts, refuses the address, or says "try later"."""

    def __init__(self, rcpt: str = "250 OK", data: str = "250 OK") -> None:
        self.rcpt, self.data, self.received = rcpt, data, []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt.startswith("250"):
            envelope.rcpt_tos.append(address)
        return self.rcpt

    async def handle_DATA(self, server, session, envelope):
        if self.data.startswith("250"):
            self.received.append(envelope)
        return self.data


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def point_mail_at(settings, port: int) -> None:
    backend = "django.core.mail.backends.smtp.EmailBackend"
    settings.MAILERS = {
        "default": {
            "BACKEND": backend,
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
        }
    }


# Hostile input -------------------------------------------------------------------------------

# Every markup payload names "fuzz": a tag, a script or an attribute that would run it.
MARKUP = [
    "<fuzz>bold</fuzz>",
    "<script>fuzz()</script>",
    "<img src=x onerror=fuzz()>",
    '"><fuzz onclick="fuzz()">',
    "'><fuzz>",
    "</textarea><fuzz>",
    "</title><script>fuzz()</script>",
    "<svg><script>fuzz()</script></svg>",
    "<!-- <fuzz> -->",
    "<style>*{}</style><fuzz>",
]
SPECIAL = [
    "\x00",
    "before\x00after",
    "\x1b[31m\x07\x08",
    "line\r\nbreak\rand\nmore",
    "\u202eevil\u200b\ufeff",
    "'; DROP TABLE accounts_user; --",
    "1' OR '1'='1",
    "{{ request.user.password }}{% debug %}",
    "${7*7}%s%n%x",
    "../../etc/passwd",
    "javascript:fuzz()",
    "x" * 20_000,
    "é" * 300,
    "😀" * 100,
    "",
    "   ",
]
NUMBERS = [
    "-1",
    "0",
    "1e309",
    "-1e309",
    "NaN",
    "Infinity",
    "1E+2",
    "99999999999999999999999999999999",
    "-99999999999999999999999999999999",
    "0x10",
    "1,000",
    "١٢٣",
    "12.345",
    "2147483648",
]
DATES = [
    "2026-02-30",
    "2025-13-01",
    "0000-00-00",
    "0001-01-01",
    "9999-12-31",
    "99999-01-01",
    "-2020-01-01",
    "2020-1-1",
    "yesterday",
    "2020-01-01T00:00:00",
]

hostile_text = st.one_of(
    st.sampled_from(MARKUP + SPECIAL + NUMBERS + DATES),
    st.text(max_size=80),
    st.builds(lambda a, b: a + b, st.sampled_from(MARKUP), st.text(max_size=20)),
)


# Uploaded files: hostile names, and contents of every kind the evidence check must judge.
hostile_file_names = st.one_of(
    st.sampled_from(
        [
            "<fuzz>.pdf",
            "<img src=x onerror=fuzz()>.pdf",
            "../../../etc/passwd.pdf",
            "..\\..\\boot.ini.pdf",
            "a\x00b.pdf",
            "\x1b[31m.pdf",
            "x" * 300 + ".pdf",
            ".pdf",
            "CON.pdf",
            "résumé 😀.PDF",
            "evidence.html",
            "evidence.pdf.exe",
        ]
    ),
    st.text(max_size=40).map(lambda name: name + ".pdf"),  # (a nameless file is no file)
)
file_contents = st.sampled_from(
    [PDF_BYTES, PNG_BYTES, b"<html><script>fuzz()</script></html>", b"", b"\x00" * 100]
)


def field(valid: st.SearchStrategy | None = None) -> st.SearchStrategy:
    """One POSTed field: hostile or valid text, sent once, twice (a list) or not at all."""
    value = hostile_text if valid is None else st.one_of(valid, hostile_text)
    return st.one_of(value, st.lists(value, min_size=2, max_size=3), st.just(None))


def form_data(**fields: st.SearchStrategy) -> st.SearchStrategy[dict]:
    """POST data from one `field()` strategy per name; a None value leaves the field out."""
    return st.fixed_dictionaries(fields).map(
        lambda data: {k: v for k, v in data.items() if v is not None}
    )


def mostly_valid(**valid: st.SearchStrategy) -> st.SearchStrategy[dict]:
    """POST data that is valid but for up to two fields, each sent as hostile text, twice or
    not at all: so that saves happen as well as refusals."""

    @st.composite
    def build(draw) -> dict:
        data = draw(st.fixed_dictionaries(valid))
        for name in draw(st.lists(st.sampled_from(sorted(valid)), max_size=2, unique=True)):
            data[name] = draw(field())
        return {k: v for k, v in data.items() if v is not None}

    return build()


def last(value):
    """What a form reads of a field sent more than once: the last value."""
    return value[-1] if isinstance(value, list) else value


@contextmanager
def rolled_back():
    """Run one example in a savepoint that is always rolled back, so examples never meet."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


class _Markup(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs) -> None:
        self._in_script = tag == "script"
        if "fuzz" in tag:
            self.found.append(f"element <{tag}>")
        for name, _ in attrs:
            if name.startswith("on") or "fuzz" in name:
                self.found.append(f"attribute {name} on <{tag}>")

    def handle_endtag(self, tag) -> None:
        self._in_script = False

    def handle_data(self, data) -> None:
        if self._in_script:
            self.found.append(f"script {data[:40]!r}")


def assert_no_markup_runs(response) -> None:
    """The page has no element, script or event handler that came from user input.

    Our templates have no inline script and no on* attribute (the CSP forbids both), so any
    found here was injected.
    """
    content = response.content.decode(response.charset or "utf-8", errors="replace")
    parser = _Markup()
    parser.feed(content)
    assert not parser.found, parser.found


def assert_fine(response) -> None:
    """No server error, and nothing injected."""
    assert response.status_code < 500, response.status_code
    if response.get("Content-Type", "").startswith("text/html"):
        assert_no_markup_runs(response)


def escaped(text: str) -> str:
    """`text` as Django's autoescape writes it into a page."""
    return str(escape(text))


# Training records (issue 14).


def shipped_courses() -> dict[str, Course]:
    if not Course.objects.filter(agency=None).exists():
        courses_load()
    return {c.code: c for c in Course.objects.filter(agency=None)}


def person(agency, number: str = "1001", **fields) -> Person:
    defaults = {"full_name": f"Officer {number}", "unit": "Patrol", "sworn": True,
                "hired_on": date(2010, 1, 4)}  # fmt: skip
    return Person.objects.create(agency=agency, employee_number=number, **defaults | fields)


def completion(who: Person, course: Course, on: date, hours=None, **fields) -> Completion:
    """A completion written directly, its person's stored currency refreshed as the services do."""
    made = Completion.objects.create(
        person=who, course=course, completed_on=on, hours=course.hours if hours is None else hours,
        **fields,
    )  # fmt: skip
    currency.refresh(who.agency, people=[who], courses=[course])
    return made


def requirement(agency, courses: list[Course], **fields) -> Requirement:
    defaults = {"name": "Active-attack training", "window_months": 24, "sworn_only": True}
    made = Requirement.objects.create(agency=agency, **defaults | fields)
    made.courses.set(courses)
    currency.refresh(agency, requirements=[made])
    return made


def training_objects(agency, lead) -> dict:
    """One of each training record, for the access table: a certificate with a stored file."""
    courses = shipped_courses()
    someone = person(agency)
    session = Session.objects.create(
        agency=agency, course=courses["sord"], starts_on=date(2025, 3, 1), ends_on=date(2025, 3, 1),
        hours=8,
    )  # fmt: skip
    done = completion(someone, courses["alerrt-level-1"], date(2025, 5, 1), session=session)
    done.certificate.save("certificate.pdf", ContentFile(PDF_BYTES), save=False)
    done.certificate_name = "certificate.pdf"
    done.save()
    own = Course.objects.create(agency=agency, code="range-day", name="Range day", hours=4)
    header = "Employee ID,Course Code,Completion Date\n"
    return {
        "person": someone,
        "session": session,
        "completion": done,
        "course": own,
        "requirement": requirement(agency, [courses["alerrt-level-1"]]),
        "import": Import.objects.create(
            agency=agency, kind="completions", file_name="empty.csv", content=header, sha256="0"
        ),
    }


def exercise(agency, by, *, items=(), attendees=(), objectives=("Contain the threat",), **fields):
    """An exercise recorded through its service: a drill held last month unless told otherwise."""
    fields = {
        "title": "Arrival drill", "kind": Exercise.Kind.DRILL,
        "starts_on": date(2026, 3, 2), "ends_on": date(2026, 3, 2),
        "catalog_version": CatalogVersion.objects.order_by("-pk").first(),
    } | fields  # fmt: skip
    return exercise_services.exercise_save(
        exercise=Exercise(agency=agency, **fields), objectives=list(objectives), items=items,
        attendees=attendees, by=by,
    )  # fmt: skip


def finding(exercise_: Exercise, by, text: str = "Radio traffic overlapped", kind="improvement"):
    return exercise_services.observation_add(
        observation=Observation(objective=exercise_.objectives.first(), kind=kind, text=text), by=by
    )


def corrective_action(exercise_: Exercise, by, *, items=(), schools=(), **fields):
    fields = {
        "description": "Give the school a radio on the agency's channel",
        "starts_on": exercise_.ends_on, "due_on": date(2026, 9, 1),
    } | fields  # fmt: skip
    if "owner" not in fields and "organization" not in fields:
        fields["organization"] = Organization.objects.get_or_create(
            agency=exercise_.agency, name="Patrol division", defaults={"kind": "own_unit"}
        )[0]
    return exercise_services.action_save(
        action=CorrectiveAction(exercise=exercise_, **fields), items=items, schools=schools, by=by
    )


def exercise_objects(agency, lead, school) -> dict:
    """One of each exercise record, for the access table: an exercise at the SRO's school."""
    served = agency.schools.filter(memberships__access="sro").first()
    drill = exercise(agency, lead, school=served or school)
    finding(drill, lead)
    attachment = exercise_services.attachment_add(
        exercise=drill, upload=SimpleUploadedFile("sign-in.pdf", PDF_BYTES), by=lead
    )
    aar = AfterActionReport(
        exercise=drill, signer=lead, typed_name="L", typed_title="Chief", snapshot="{}",
        snapshot_sha256=f"{agency.pk:063d}a", state="done",
    )  # fmt: skip
    aar.file.save("aar.pdf", ContentFile(PDF_BYTES))
    return {
        "exercise": drill,
        "exercise_finding": finding(drill, lead, text="Doors propped open"),
        "exercise_attachment": attachment,
        "exercise_aar": aar,
        "organization": Organization.objects.get_or_create(agency=agency, name="Bayview Fire")[0],
        "corrective_action": corrective_action(drill, lead),
    }


def reviewed(exercise_: Exercise, by, **fields) -> Review:
    """The exercise's after-action review, recorded through its service."""
    fields = {"evaluator": "Lt. Chris Novak", "reviewed_on": exercise_.ends_on} | fields
    return exercise_services.review_save(review=Review(exercise=exercise_, **fields), by=by)


def aar_signed(exercise_: Exercise, lead, capture=None) -> AfterActionReport:
    """A lead signs the exercise's after-action report. With `capture`
    (django_capture_on_commit_callbacks) its render is queued as on commit; the
    `render_reports` fixture makes that render it, WeasyPrint and pyHanko for real."""

    def signing() -> AfterActionReport:
        return exercise_services.aar_sign(
            exercise=exercise_, by=lead, typed_name="Dana Whitfield",
            typed_title="Chief of Police", attest=True, password=PASSWORD,
        )  # fmt: skip

    if capture is None:
        return signing()
    with capture(execute=True):
        report = signing()
    report.refresh_from_db()
    return report


def next_totp_code(user) -> str:
    """The code of the first time step the user's authenticator device still accepts: the one
    after the step it last took (enrolment used the current one). Computed from the device, not
    from the clock, so a 30-second boundary crossed during the test, or the drift the device
    stored when the enrolment code was one step old, cannot put it outside the window."""
    device = TOTPDevice.objects.get(user=user)
    totp = TOTP(unhexlify(device.key), device.step, device.t0, device.digits)
    totp.time = device.t0 + (device.last_t + 1) * device.step
    return f"{totp.token():0{device.digits}d}"
