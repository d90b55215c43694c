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


def _problems(response) -> list[tuple[str, str, str]]:
    preview = response.context["preview"]
    return [(p.line, p.column, p.message) for p in preview.problems]


@pytest.fixture
def roster(agency):
    return [person(agency, n, hired_on=date(2012, 1, 1)) for n in ("1001", "1002", "1003")]


def test_a_personnel_file_is_previewed_then_imported_and_again_changes_nothing(
    client_for, lead, agency
):
    client = client_for(lead)

    preview = _upload(client, agency, "personnel", PERSONNEL)
    assert preview.context["preview"].counts() == {"new": 2, "updated": 0, "unchanged": 0}
    assert "Dana Whitfield" in preview.content.decode()
    assert not Person.objects.exists()

    applied = client.post(preview.redirect_chain[-1][0], follow=True)
    assert applied.redirect_chain[-1][0] == reverse("training_matrix", kwargs={"slug": agency.slug})
    ortega = Person.objects.get(employee_number="2210")
    assert (ortega.sworn, ortega.unit, ortega.hired_on) == (
        False,
        "Communications",
        date(2019, 9, 16),
    )
    assert the_event("training_imported").details["new"] == 2

    again = _upload(client, agency, "personnel", PERSONNEL)
    assert again.context["preview"].counts() == {"new": 0, "updated": 0, "unchanged": 2}
    client.post(again.redirect_chain[-1][0])
    assert Person.objects.count() == 2


def test_the_committed_sample_of_an_lms_export_imports_completions(
    client_for, lead, agency, roster, courses
):
    client = client_for(lead)

    preview = _upload(client, agency, "completions", SAMPLE.read_text(), SAMPLE.name)
    assert preview.context["preview"].ok
    client.post(preview.redirect_chain[-1][0])

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


def test_applying_a_file_with_problems_refuses_and_writes_nothing(
    client_for, lead, agency, roster, courses
):
    upload = Import.objects.create(
        agency=agency, kind="completions", file_name="x.csv", sha256="0",
        content="Employee ID,Course Code,Completion Date\n1001,sord,2025-01-02\n1001,bad,2025-01-02\n",
    )  # fmt: skip

    response = client_for(lead).post(upload.get_absolute_url())

    assert response.status_code == 400
    assert not Completion.objects.exists()
    upload.refresh_from_db()
    assert upload.applied_at is None


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
