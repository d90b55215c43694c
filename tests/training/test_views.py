"""The training pages: the matrix, a person's record, sessions with rosters, completions with
certificates, and the dashboard's currency summary."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from tests.helpers import PDF_BYTES, completion, person, requirement, the_event
from training.models import Completion, Person, Session


def url(name: str, agency, **kwargs) -> str:
    return reverse(name, kwargs={"slug": agency.slug} | kwargs)


@pytest.fixture
def today() -> date:
    return timezone.localdate()


@pytest.fixture
def sord(agency, courses):
    return requirement(agency, [courses["sord"]], name="SORD within 36 months", window_months=36)


def _staff(agency, courses, today, count: int, start: int = 0) -> None:
    for n in range(start, start + count):
        who = person(agency, f"{n:04}", full_name=f"Officer {n:04}")
        completion(who, courses["sord"], today - timedelta(days=30 + n))
        completion(who, courses["is-100"], today - timedelta(days=400 + n))


def test_the_matrix_gives_each_status_in_words(client_for, editor, agency, courses, sord, today):
    completion(person(agency, "1", full_name="Avery Current"), courses["sord"], today)
    person(agency, "2", full_name="Blair Never")
    person(agency, "3", full_name="Casey Civilian", sworn=False)

    response = client_for(editor).get(url("training_matrix", agency))
    page = response.content.decode()

    assert "Avery Current" in page
    assert "✓ Current" in page
    assert "— Never trained" in page
    assert "Not required" in page
    summary = client_for(editor).get(url("training_requirements", agency)).content.decode()
    assert "50% (1 of 2)" in summary


def test_the_matrix_filters_by_unit_and_status(client_for, editor, agency, courses, sord, today):
    completion(person(agency, "1", full_name="Avery Patrol"), courses["sord"], today)
    person(agency, "2", full_name="Blair Patrol")
    person(agency, "3", full_name="Casey Traffic", unit="Traffic")

    client = client_for(editor)
    never = client.get(url("training_matrix", agency), {"requirement": sord.pk, "status": "never"})
    traffic = client.get(url("training_matrix", agency), {"unit": "Traffic"})

    assert [p.full_name for p, _ in never.context["rows"]] == ["Blair Patrol", "Casey Traffic"]
    assert [p.full_name for p, _ in traffic.context["rows"]] == ["Casey Traffic"]


def test_a_status_filter_without_its_requirement_is_an_error_beside_the_field(
    client_for, editor, agency, sord
):
    response = client_for(editor).get(url("training_matrix", agency), {"status": "never"})

    assert response.status_code == 200
    assert "Choose the requirement" in response.content.decode()


def test_the_matrix_filtered_or_not_the_summary_and_the_dashboard_query_as_much_for_many_as_few(
    client_for, lead, agency, courses, sord, today, count_queries, catalog_version
):
    requirement(agency, [courses["is-100"], courses["is-700"]], name="NIMS", measure="all")
    client = client_for(lead)
    _staff(agency, courses, today, 5)
    client.get(url("agency_detail", agency))  # the first request notes the agency in the session
    pages = [
        (url(n, agency), {}) for n in ("training_matrix", "training_requirements", "agency_detail")
    ]
    pages.append((url("training_matrix", agency), {"requirement": sord.pk, "status": "current"}))
    few = [count_queries(lambda u=u, q=q: client.get(u, q)) for u, q in pages]
    _staff(agency, courses, today, 120, start=5)
    many = [count_queries(lambda u=u, q=q: client.get(u, q)) for u, q in pages]

    assert many == few
    assert client.get(url("training_matrix", agency)).context["page"].paginator.num_pages == 3


def test_a_persons_page_lists_each_completion_and_what_it_counts_toward(
    client_for, sro, agency, courses, sord, today
):
    who = person(agency, full_name="Avery Hill")
    completion(who, courses["sord"], today - timedelta(days=3))
    completion(who, courses["is-100"], today - timedelta(days=9))

    response = client_for(sro).get(who.get_absolute_url())

    counts = response.context["counts_toward"]
    assert [r.name for r in counts[who.completions.get(course=courses["sord"]).pk]] == [sord.name]
    assert counts[who.completions.get(course=courses["is-100"]).pk] == []


def test_a_session_gives_each_attendee_on_its_roster_a_completion(
    client_for, coordinator, agency, courses, today
):
    class_ = [person(agency, str(n)) for n in range(24)]
    response = client_for(coordinator).post(url("training_session_create", agency), {
        "course": courses["alerrt-level-1"].pk, "starts_on": today - timedelta(days=2),
        "ends_on": today - timedelta(days=1), "hours": "16", "instructor": "ALERRT",
        "attendees": [p.pk for p in class_],
    })  # fmt: skip

    session = Session.objects.get()
    assert response.status_code == 302
    assert session.completions.count() == 24
    assert {c.completed_on for c in session.completions.all()} == {today - timedelta(days=1)}
    assert the_event("training_recorded", target_id=str(session.pk)).summary.endswith(
        "24 attendees"
    )


def test_a_session_with_an_attendee_hired_after_it_saves_nobody(
    client_for, lead, agency, courses, today
):
    veteran = person(agency, "1")
    recruit = person(agency, "2", full_name="New Recruit", hired_on=today)
    response = client_for(lead).post(url("training_session_create", agency), {
        "course": courses["sord"].pk, "starts_on": today - timedelta(days=5),
        "ends_on": today - timedelta(days=5), "hours": "8",
        "attendees": [veteran.pk, recruit.pk],
    })  # fmt: skip

    assert response.status_code == 200
    assert "New Recruit" in str(response.context["form"].errors["attendees"])
    assert not Session.objects.exists()
    assert not Completion.objects.exists()


def test_every_bad_field_of_a_session_is_reported_at_once(client_for, lead, agency, courses, today):
    response = client_for(lead).post(url("training_session_create", agency), {
        "course": courses["sord"].pk, "starts_on": today, "ends_on": today - timedelta(days=1),
        "hours": "-3",
    })  # fmt: skip

    assert set(response.context["form"].errors) >= {"ends_on", "hours", "attendees"}


def test_a_completion_with_a_certificate_is_stored_hashed_and_downloaded_by_readers(
    client_for, lead, editor, agency, courses
):
    who = person(agency)
    client_for(lead).post(url("training_completion_create", agency), {
        "person": who.pk, "course": courses["crase-instructor"].pk, "completed_on": "2025-06-01",
        "certificate": SimpleUploadedFile("crase.pdf", PDF_BYTES),
    })  # fmt: skip

    done = Completion.objects.get()
    assert done.hours == courses["crase-instructor"].hours
    assert len(done.certificate_sha256) == 64
    download = client_for(editor).get(url("training_certificate", agency, pk=done.pk))
    assert b"".join(download.streaming_content) == PDF_BYTES
    assert the_event("certificate_downloaded").actor == editor


def test_a_certificate_that_is_not_a_document_is_refused_beside_its_field(
    client_for, lead, agency, courses
):
    who = person(agency)
    response = client_for(lead).post(url("training_completion_create", agency), {
        "person": who.pk, "course": courses["sord"].pk, "completed_on": "2025-06-01",
        "certificate": SimpleUploadedFile("certificate.pdf", b"MZ\x90\x00 not a pdf"),
    })  # fmt: skip

    assert "certificate" in response.context["form"].errors
    assert not Completion.objects.exists()


def test_a_completion_before_hire_or_in_the_future_is_refused_beside_its_date(
    client_for, lead, agency, courses, today
):
    who = person(agency, hired_on=date(2020, 1, 1))
    for day in (date(2019, 12, 31), today + timedelta(days=1)):
        response = client_for(lead).post(url("training_completion_create", agency), {
            "person": who.pk, "course": courses["sord"].pk, "completed_on": day,
        })  # fmt: skip
        assert "completed_on" in response.context["form"].errors
    assert not Completion.objects.exists()


def test_a_duplicate_employee_number_is_refused_beside_its_field(client_for, lead, agency):
    person(agency, "1042")
    response = client_for(lead).post(url("training_person_create", agency), {
        "full_name": "Someone", "employee_number": "1042", "status": "active", "sworn": "on",
    })  # fmt: skip

    assert "employee_number" in response.context["form"].errors
    assert Person.objects.count() == 1


def test_the_dashboard_shows_viewers_the_shares_but_no_names(
    client_for, viewer, agency, courses, sord, today
):
    completion(person(agency, "1", full_name="Avery Current"), courses["sord"], today)
    person(agency, "2", full_name="Blair Never")

    page = client_for(viewer).get(url("agency_detail", agency)).content.decode()

    assert "Training currency" in page
    assert "50%" in page
    assert "Avery Current" not in page
    assert "Blair Never" not in page
    assert url("training_matrix", agency) not in page  # no link to the names they cannot read


def test_the_matrix_export_gives_each_persons_status(
    client_for, editor, agency, courses, sord, today
):
    completion(person(agency, "1", full_name="=HYPERLINK(1)"), courses["sord"], today)

    response = client_for(editor).get(url("training_matrix_export", agency))
    lines = b"".join(response.streaming_content).decode().splitlines()

    assert lines[0].endswith("SORD within 36 months")
    assert lines[1].startswith("1,'=HYPERLINK(1),")
    assert lines[1].endswith(",Current")


def test_a_person_links_only_to_an_account_of_the_agency(
    client_for, lead, editor, outsider, agency
):
    form = {"full_name": "Jordan Lee", "employee_number": "77", "status": "active", "sworn": "on"}
    client = client_for(lead)

    refused = client.post(url("training_person_create", agency), form | {"user": outsider.pk})
    client.post(url("training_person_create", agency), form | {"user": editor.pk})

    assert "user" in refused.context["form"].errors
    assert Person.objects.get().user == editor


def test_a_roster_is_ticked_by_unit_or_pasted_as_employee_numbers_without_javascript(
    client_for, coordinator, agency, courses, today
):
    patrol = [person(agency, f"P{n}", full_name=f"Patrol {n}") for n in range(3)]
    traffic = person(agency, "T1", full_name="Traffic One", unit="Traffic")
    client = client_for(coordinator)

    form = client.get(url("training_session_create", agency)).content.decode()
    response = client.post(url("training_session_create", agency), {
        "course": courses["sord"].pk, "starts_on": today, "ends_on": today, "hours": "8",
        "attendees": [patrol[0].pk], "attendee_numbers": "P1, P2\nT1\n",
    })  # fmt: skip

    assert '<legend class="h6 mt-2 mb-1">Traffic</legend>' in form
    assert f'<label class="form-check-label" for="id_attendees_{traffic.pk}">Traffic One' in form
    assert response.status_code == 302
    roster = Session.objects.get().completions.values_list("person__employee_number", flat=True)
    assert sorted(roster) == ["P0", "P1", "P2", "T1"]


def test_an_unknown_pasted_number_and_an_empty_roster_are_errors_beside_their_fields(
    client_for, coordinator, agency, courses, today
):
    person(agency, "1", full_name="Known")
    gone = person(agency, "2", status="separated", separated_on=today - timedelta(days=3))
    session = {"course": courses["sord"].pk, "starts_on": today, "ends_on": today, "hours": "8"}
    client = client_for(coordinator)

    unknown = client.post(url("training_session_create", agency),
                          session | {"attendee_numbers": f"1 404 {gone.employee_number}"})  # fmt: skip
    empty = client.post(url("training_session_create", agency), session)

    assert "employee number 2, 404." in str(unknown.context["form"].errors["attendee_numbers"])
    assert "Tick at least one" in str(empty.context["form"].errors["attendees"])
    assert not Session.objects.exists()


def test_the_session_form_makes_as_many_queries_for_a_thousand_people_as_for_ten(
    client_for, coordinator, agency, count_queries
):
    client = client_for(coordinator)
    Person.objects.bulk_create(
        Person(agency=agency, employee_number=str(n), full_name=f"Officer {n}") for n in range(10)
    )
    client.get(url("agency_detail", agency))  # the first request notes the agency in the session
    few = count_queries(lambda: client.get(url("training_session_create", agency)))
    Person.objects.bulk_create(
        Person(agency=agency, employee_number=str(n), full_name=f"Officer {n}")
        for n in range(10, 1000)
    )

    assert count_queries(lambda: client.get(url("training_session_create", agency))) == few
