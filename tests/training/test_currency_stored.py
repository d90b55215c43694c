"""The stored currency (`Currency.lapses_on`): every act that writes completions or requirements
leaves it as a recomputation from scratch would, and the status moves with the day by itself."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from tests.helpers import person, requirement
from training import currency, services
from training.currency import Status
from training.models import Completion, Currency, Import, Person, Session, add_months


def _stored() -> set[tuple]:
    return set(Currency.objects.values_list("requirement_id", "person_id", "lapses_on"))


def assert_fresh(agency) -> None:
    """What is stored is what a refresh of the whole agency stores."""
    before = _stored()
    currency.refresh(agency)
    assert _stored() == before


def _status(req, who, today: date) -> Status:
    [(_, [cell])] = currency.rows(Person.objects.filter(pk=who.pk), [req], today)
    return cell.status


@pytest.fixture
def today() -> date:
    return timezone.localdate()


def test_each_service_that_writes_completions_leaves_the_currency_fresh(
    agency, lead, courses, today
):
    hours = requirement(agency, [courses["alerrt-level-1"], courses["active-attack-scenario"]],
                        measure="hours", hours=Decimal(16), name="Hours")  # fmt: skip
    sord = requirement(agency, [courses["sord"]], window_months=36, name="SORD")
    people = [person(agency, str(n)) for n in range(4)]
    assert_fresh(agency)

    session = Session(agency=agency, course=courses["active-attack-scenario"], hours=8,
                      starts_on=today - timedelta(days=9), ends_on=today - timedelta(days=9))  # fmt: skip
    services.session_record(session=session, attendees=people[:2], by=lead)
    assert_fresh(agency)
    assert _status(hours, people[0], today) == Status.EXPIRED  # 8 of the 16 hours
    services.session_attendees_add(session=session, attendees=people[2:3], by=lead)
    assert_fresh(agency)
    services.session_change(session=session, course=courses["alerrt-level-1"], hours=16, by=lead)
    assert_fresh(agency)
    assert _status(hours, people[2], today) == Status.CURRENT  # the 16 hours, in one session
    services.session_change(session=session, course=courses["active-attack-scenario"], hours=8,
                            by=lead)  # fmt: skip
    assert_fresh(agency)

    single = Completion(person=people[0], course=courses["alerrt-level-1"],
                        completed_on=today - timedelta(days=30))  # fmt: skip
    services.completion_add(completion=single, by=lead)
    assert_fresh(agency)
    assert _status(hours, people[0], today) == Status.CURRENT

    upload = Import.objects.create(
        agency=agency, kind="completions", file_name="x.csv", sha256="0",
        content=f"Employee ID,Course Code,Completion Date\n3,sord,{today - timedelta(days=3)}\n",
    )  # fmt: skip
    services.import_apply(upload=upload, by=lead)
    assert_fresh(agency)
    assert _status(sord, people[3], today) == Status.CURRENT


def test_changing_a_requirement_stores_its_currency_again(agency, lead, courses, today):
    req = requirement(agency, [courses["sord"]], window_months=36)
    who = person(agency)
    services.completion_add(
        completion=Completion(person=who, course=courses["is-100"], completed_on=today), by=lead
    )
    assert _status(req, who, today) == Status.NEVER

    req.window_months = 12
    services.requirement_save(requirement=req, courses=[courses["is-100"]], by=lead)

    assert_fresh(agency)
    assert _status(req, who, today) == Status.CURRENT


def test_the_status_moves_with_the_day_without_anything_stored_again(agency, courses, today):
    req = requirement(agency, [courses["sord"]], window_months=36)
    who = person(agency)
    services.completion_add(
        completion=Completion(person=who, course=courses["sord"], completed_on=today),
        by=None,
    )
    lapses = add_months(today, 36)

    assert _status(req, who, today) == Status.CURRENT
    assert _status(req, who, lapses - timedelta(days=90)) == Status.EXPIRING
    assert _status(req, who, lapses - timedelta(days=1)) == Status.EXPIRING
    assert _status(req, who, lapses) == Status.EXPIRED


@pytest.mark.parametrize(
    ("anchor", "months", "lapses"),
    [(date(2026, 1, 31), 1, date(2026, 3, 1)), (date(2024, 2, 29), 12, date(2025, 3, 1)),
     (date(2025, 3, 14), 24, date(2027, 3, 14)), (date(2025, 12, 31), 2, date(2026, 3, 1))],
)  # fmt: skip
def test_a_completion_lapses_the_first_day_it_is_outside_the_window(anchor, months, lapses):
    assert currency.lapse_day(anchor, months) == lapses
    # The window's own rule, for the day before and the day itself.
    assert add_months(lapses - timedelta(days=1), -months) < anchor <= add_months(lapses, -months)


def test_deleting_a_completion_in_the_admin_stores_the_currency_again(
    admin_client, agency, courses, today
):
    req = requirement(agency, [courses["sord"]])
    who = person(agency)
    done = services.completion_add(
        completion=Completion(person=who, course=courses["sord"], completed_on=today), by=None
    )
    assert _status(req, who, today) == Status.CURRENT

    admin_client.post(reverse("admin:training_completion_delete", args=[done.pk]), {"post": "yes"})

    assert not Completion.objects.exists()
    assert _status(req, who, today) == Status.NEVER


def test_an_import_through_the_pages_updates_the_matrix(
    client_for, lead, agency, courses, today, run_tasks, django_capture_on_commit_callbacks
):
    req = requirement(agency, [courses["sord"]], name="SORD")
    who = person(agency, "1001")
    text = f"Employee ID,Course Code,Completion Date\n1001,sord,{today - timedelta(days=2)}\n"
    client = client_for(lead)
    preview = client.post(
        reverse("training_import_create", kwargs={"slug": agency.slug}),
        {"kind": "completions", "file": SimpleUploadedFile("f.csv", text.encode())},
        follow=True,
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(preview.redirect_chain[-1][0])

    assert _status(req, who, today) == Status.CURRENT
