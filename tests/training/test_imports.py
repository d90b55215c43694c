"""CSV imports through the pages: a preview line by line, every bad row with its line and
column, nothing written until the file is clean and applied, and the same file twice changes
nothing."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from tests.helpers import person, the_event
from training import importer
from training.models import Completion, Import, Person

SAMPLE = Path(__file__).parent / "data" / "completions-sample.csv"
PERSONNEL = (
    "Employee ID,Name,Rank,Unit,Sworn,Status,Hire Date,Separation Date\n"
    "1001,Dana Whitfield,Sergeant,Patrol,Sworn,Active,2014-06-02,\n"
    "2210,Luis Ortega,Dispatcher,Communications,Civilian,Active,2019-09-16,\n"
)


def _upload(client, agency, kind: str, text: str, name: str = "file.csv"):
    return client.post(
        reverse("training_import_create", kwargs={"slug": agency.slug}),
        {"kind": kind, "file": SimpleUploadedFile(name, text.encode(), "text/csv")},
        follow=True,
    )


@pytest.fixture
def confirm(client, run_tasks, django_capture_on_commit_callbacks):
    """Confirm a preview: the import is queued on commit and the task worker runs it."""

    def post(url: str):
        with django_capture_on_commit_callbacks(execute=True):
            redirect = client.post(url)
        return client.get(redirect.url)

    return post


def _problems(response) -> list[tuple[str, str, str]]:
    preview = response.context["preview"]
    return [(p.line, p.column, p.message) for p in preview.problems]


@pytest.fixture
def roster(agency):
    return [person(agency, n, hired_on=date(2012, 1, 1)) for n in ("1001", "1002", "1003")]


def test_a_personnel_file_is_previewed_then_imported_and_again_changes_nothing(
    client_for, lead, agency, confirm
):
    client = client_for(lead)

    preview = _upload(client, agency, "personnel", PERSONNEL)
    assert preview.context["preview"].counts() == {"new": 2, "updated": 0, "unchanged": 0}
    assert "Dana Whitfield" in preview.content.decode()
    assert not Person.objects.exists()

    applied = confirm(preview.redirect_chain[-1][0])
    assert applied.context["upload"].state == Import.State.APPLIED
    assert "2 new, 0 updated, 0 unchanged" in applied.content.decode()
    ortega = Person.objects.get(employee_number="2210")
    assert (ortega.sworn, ortega.unit, ortega.hired_on) == (
        False,
        "Communications",
        date(2019, 9, 16),
    )
    assert the_event("training_imported").details["new"] == 2

    again = _upload(client, agency, "personnel", PERSONNEL)
    assert again.context["preview"].counts() == {"new": 0, "updated": 0, "unchanged": 2}
    confirm(again.redirect_chain[-1][0])
    assert Person.objects.count() == 2


def test_the_committed_sample_of_an_lms_export_imports_completions(
    client_for, lead, agency, roster, courses, confirm
):
    client = client_for(lead)

    preview = _upload(client, agency, "completions", SAMPLE.read_text(), SAMPLE.name)
    assert preview.context["preview"].ok
    assert "on October 8, 2025</td>" in preview.content.decode()  # in words, not 2025-10-08
    confirm(preview.redirect_chain[-1][0])

    sord = Completion.objects.get(person__employee_number="1003")
    assert sord.course == courses["sord"]
    assert sord.hours == courses["sord"].hours  # empty hours: the course's
    assert Completion.objects.count() == 3
    again = _upload(client, agency, "completions", SAMPLE.read_text(), SAMPLE.name)
    assert again.context["preview"].counts() == {"new": 0, "updated": 0, "unchanged": 3}


def test_the_same_completion_twice_in_a_file_is_refused_on_its_second_line(
    client_for, lead, agency, roster, courses
):
    text = "Employee ID,Course Code,Completion Date\n1001,sord,2025-01-02\n1001,SORD,2025-01-02\n"

    problems = _problems(_upload(client_for(lead), agency, "completions", text))

    assert problems == [(3, "Completion Date", "The same completion is also on line 2.")]


def test_every_bad_row_is_reported_with_its_line_and_column_and_nothing_is_written(
    client_for, lead, agency, roster, courses
):
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    text = (
        "Employee ID,Course Code,Completion Date,Credit Hours\n"
        "1001,alerrt-level-1,2025-10-08,16\n"
        "1002,no-such-course,2025-10-08,16\n"
        "9999,sord,2025-10-08,8\n"
        "1003,sord,08/10/2025,8\n"
        "1001,sord,2025-10-09,-4\n"
        f"1002,sord,{tomorrow},8\n"
        "1003,is-100,2001-01-01,2\n"
    )
    response = _upload(client_for(lead), agency, "completions", text)
    problems = _problems(response)

    assert [(line, column) for line, column, _ in problems] == [
        (3, "Course Code"), (4, "Employee ID"), (5, "Completion Date"), (6, "Credit Hours"),
        (7, "Completion Date"), (8, "Completion Date"),
    ]  # fmt: skip
    messages = " ".join(m for *_, m in problems)
    for words in ("no-such-course", "YYYY-MM-DD", "future", "before", "negative"):
        assert words in messages
    assert "Nothing was imported" in response.content.decode()
    assert not Completion.objects.exists()


def test_confirming_a_file_with_problems_refuses_it_by_line_and_writes_nothing(
    client_for, lead, agency, roster, courses, confirm
):
    upload = Import.objects.create(
        agency=agency, kind="completions", file_name="x.csv", sha256="0",
        content="Employee ID,Course Code,Completion Date\n1001,sord,2025-01-02\n1001,bad,2025-01-02\n",
    )  # fmt: skip
    client_for(lead)

    response = confirm(upload.get_absolute_url())

    assert not Completion.objects.exists()
    upload.refresh_from_db()
    assert (upload.state, upload.applied_at) == (Import.State.REFUSED, None)
    assert (upload.problems[0]["line"], upload.problems[0]["column"]) == (3, "Course Code")
    assert "Nothing was written" in response.content.decode()
    assert 'id="import-problems"' in response.content.decode()


def test_a_confirmed_import_waits_for_the_worker_and_its_page_polls_until_it_is_done(
    client_for, lead, agency, roster, courses, django_capture_on_commit_callbacks
):
    client = client_for(lead)
    preview = _upload(client, agency, "completions", SAMPLE.read_text(), SAMPLE.name)
    url = preview.redirect_chain[-1][0]

    with django_capture_on_commit_callbacks(execute=True):  # the DummyBackend: it stays queued
        waiting = client.post(url, follow=True)
    status = client.get(url, headers={"HX-Request": "true"}).content.decode()
    again = client.post(url, follow=True)

    upload = Import.objects.get()
    assert upload.state == Import.State.QUEUED
    assert upload.lines == 3
    assert upload.task_id
    assert "waiting for the task worker" in waiting.content.decode()
    assert status.strip().startswith('<section id="import-status"')
    assert 'hx-trigger="every 2s"' in status
    assert "already being imported" in again.content.decode()
    assert not Completion.objects.exists()


def test_the_task_worker_applies_a_queued_import_once(agency, lead, roster, courses):
    upload = Import.objects.create(
        agency=agency, kind="completions", file_name="x.csv", sha256="0",
        content="Employee ID,Course Code,Completion Date\n1001,sord,2025-01-02\n",
        state=Import.State.QUEUED, queued_by=lead,
    )  # fmt: skip

    assert importer.run_queued(upload.pk) == Import.State.APPLIED
    assert importer.run_queued(upload.pk) == Import.State.APPLIED  # delivered twice: once
    assert Completion.objects.count() == 1
    assert the_event("training_imported").actor == lead


def test_a_failing_import_is_logged_under_a_reference_its_page_shows(
    client_for, agency, lead, roster, courses, monkeypatch
):
    upload = Import.objects.create(
        agency=agency, kind="completions", file_name="x.csv", sha256="0",
        content="Employee ID,Course Code,Completion Date\n1001,sord,2025-01-02\n",
        state=Import.State.QUEUED, queued_by=lead,
    )  # fmt: skip
    # The database going away mid-import, say: a fault of ours, not of the file.
    monkeypatch.setattr(importer.currency, "refresh", lambda *a, **k: 1 / 0)

    assert importer.run_queued(upload.pk) == Import.State.FAILED

    upload.refresh_from_db()
    page = client_for(lead).get(upload.get_absolute_url()).content.decode()
    assert upload.error_reference in page
    assert not Completion.objects.exists()


def test_a_long_file_is_counted_whole_but_previewed_in_its_first_lines(
    client_for, lead, agency, roster, courses, monkeypatch
):
    monkeypatch.setattr(importer, "CHUNK_ROWS", 7)  # several chunks of a short file
    monkeypatch.setattr(importer, "PREVIEW_LINES", 10)
    day = date(2025, 1, 1)
    lines = [f"100{n % 3 + 1},is-100,{day + timedelta(days=n)}" for n in range(30)]
    text = "Employee ID,Course Code,Completion Date\n" + "\n".join(lines) + "\n1001,is-100,bad\n"

    response = _upload(client_for(lead), agency, "completions", text)

    preview = response.context["preview"]
    assert (preview.new, len(preview.rows), preview.lines_not_shown) == (30, 10, 20)
    assert [(p.line, p.column) for p in preview.problems] == [(32, "Completion Date")]
    assert preview.rows[-1][0] == 11


def test_a_duplicate_employee_number_in_the_file_is_refused_on_its_second_line(
    client_for, lead, agency
):
    text = PERSONNEL + "1001,Someone Else,Officer,Patrol,Sworn,Active,2020-01-01,\n"

    problems = _problems(_upload(client_for(lead), agency, "personnel", text))

    assert problems == [(4, "Employee ID", "Employee ID 1001 is also on line 2.")]


def test_a_missing_column_is_reported_before_any_row(client_for, lead, agency):
    problems = _problems(
        _upload(client_for(lead), agency, "completions", "Employee ID,Course Code\n1,sord\n")
    )

    assert problems == [(1, "Completion Date", "The column 'Completion Date' is missing.")]


def test_a_completions_file_uploaded_as_personnel_says_which_kind_it_is(client_for, lead, agency):
    text = "Employee ID,Course Code,Completion Date\n1001,sord,2025-03-04\n"

    problems = _problems(_upload(client_for(lead), agency, "personnel", text))

    assert problems[0] == (
        1, "", "The file's columns are those of completions: upload it again as “Completions”."
    )  # fmt: skip
    assert (1, "Name", "The column 'Name' is missing.") in problems


def test_a_file_that_is_not_utf8_text_is_refused_beside_the_field(client_for, lead, agency):
    response = client_for(lead).post(
        reverse("training_import_create", kwargs={"slug": agency.slug}),
        {"kind": "personnel", "file": SimpleUploadedFile("x.csv", b"\xff\xfe\x00bad")},
    )

    assert response.status_code == 200
    assert "not UTF-8" in str(response.context["form"].errors["file"])
    assert not Import.objects.exists()


def test_another_agencys_people_are_unknown_to_an_import(
    client_for, lead, agency, other_agency, courses
):
    person(other_agency, "1001")
    text = "Employee ID,Course Code,Completion Date\n1001,sord,2025-01-02\n"

    problems = _problems(_upload(client_for(lead), agency, "completions", text))

    assert problems[0][:2] == (2, "Employee ID")


def test_the_templates_are_documented_csv_files(client_for, editor, agency):
    response = client_for(editor).get(
        reverse("training_import_template", kwargs={"slug": agency.slug, "kind": "personnel"})
    )

    assert response["Content-Type"].startswith("text/csv")
    assert response.content.decode().splitlines()[0].startswith("Employee ID,Name,Rank,Unit,Sworn")


def test_an_import_that_lost_its_worker_or_failed_can_be_confirmed_again(
    client_for, lead, agency, roster, courses, confirm
):
    content = "Employee ID,Course Code,Completion Date\n1001,sord,2025-01-02\n"
    long_ago = timezone.now() - timedelta(minutes=31)
    stuck, failed, running = (
        Import.objects.create(agency=agency, kind="completions", file_name=f"{n}.csv",
                              content=content, sha256="0", queued_by=lead, **state)
        for n, state in enumerate([
            {"state": Import.State.RUNNING, "started_at": long_ago},
            {"state": Import.State.FAILED, "error_reference": "abc123"},
            {"state": Import.State.RUNNING, "started_at": timezone.now()},
        ])
    )  # fmt: skip
    client = client_for(lead)

    assert "Import it again" in client.get(stuck.get_absolute_url()).content.decode()
    assert "Import it again" not in client.get(running.get_absolute_url()).content.decode()
    assert confirm(stuck.get_absolute_url()).context["upload"].state == Import.State.APPLIED
    retried = confirm(failed.get_absolute_url()).context["upload"]
    refused = confirm(running.get_absolute_url())

    assert retried.state == Import.State.APPLIED  # the same completion: unchanged the second time
    assert retried.summary == {"new": 0, "updated": 0, "unchanged": 1}
    assert refused.context["upload"].state == Import.State.RUNNING
    assert Completion.objects.count() == 1
