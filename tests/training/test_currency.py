"""Currency: who is current, expiring, expired or never trained on each kind of requirement."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Role
from tests.helpers import completion, person, requirement
from training import currency
from training.currency import Status
from training.models import Person, Requirement, add_months


def _status(req: Requirement, who: Person, today: date) -> Status:
    [(_, [cell])] = currency.rows(Person.objects.filter(pk=who.pk), [req], today)
    assert cell.status == currency.statuses(req, today).get(who.pk, cell.status)
    return cell.status


@pytest.fixture
def today() -> date:
    return timezone.localdate()


def test_a_completion_inside_the_window_is_current_and_one_outside_it_expired(
    agency, courses, today
):
    req = requirement(agency, [courses["sord"]], window_months=36)
    recent, lapsed = person(agency, "1"), person(agency, "2")
    completion(recent, courses["sord"], today - timedelta(days=200))
    completion(lapsed, courses["sord"], add_months(today, -37))

    assert _status(req, recent, today) == Status.CURRENT
    assert _status(req, lapsed, today) == Status.EXPIRED


def test_a_completion_that_lapses_within_90_days_is_expiring(agency, courses, today):
    req = requirement(agency, [courses["sord"]], window_months=36)
    who = person(agency)
    completion(who, courses["sord"], add_months(today, -36) + timedelta(days=30))

    assert _status(req, who, today) == Status.EXPIRING


def test_someone_without_any_completion_of_the_courses_was_never_trained(agency, courses, today):
    req = requirement(agency, [courses["sord"]])
    who = person(agency)
    completion(who, courses["is-100"], today - timedelta(days=10))

    assert _status(req, who, today) == Status.NEVER


def test_an_hours_requirement_counts_only_the_hours_inside_the_rolling_window(
    agency, courses, today
):
    level1, scenario = courses["alerrt-level-1"], courses["active-attack-scenario"]
    req = requirement(
        agency, [level1, scenario], measure=Requirement.Measure.HOURS, hours=Decimal(16)
    )
    enough, short, tipping = person(agency, "1"), person(agency, "2"), person(agency, "3")
    completion(enough, scenario, today - timedelta(days=20))
    completion(enough, scenario, today - timedelta(days=300))
    completion(short, scenario, today - timedelta(days=20))
    completion(short, level1, add_months(today, -25))  # outside the window: does not count
    completion(tipping, level1, add_months(today, -24) + timedelta(days=10))

    assert _status(req, enough, today) == Status.CURRENT
    assert _status(req, short, today) == Status.EXPIRED
    assert _status(req, tipping, today) == Status.EXPIRING


def test_an_all_courses_requirement_needs_every_course(agency, courses, today):
    req = requirement(
        agency, [courses["ics-300"], courses["ics-400"]], measure="all", window_months=120
    )
    both, one = person(agency, "1"), person(agency, "2")
    for who in (both, one):
        completion(who, courses["ics-300"], today - timedelta(days=100))
    completion(both, courses["ics-400"], today - timedelta(days=50))

    assert _status(req, both, today) == Status.CURRENT
    assert _status(req, one, today) == Status.EXPIRED


def test_a_requirement_covers_only_its_unit_role_and_sworn_active_people(agency, courses, today):
    command = Role.objects.get_or_create(slug="incident-command", defaults={"name": "IC"})[0]
    req = requirement(agency, [courses["ics-300"]], unit="Patrol", role=command)
    covered = person(agency, "1")
    covered.roles.add(command)
    person(agency, "2")  # no role
    person(agency, "3", unit="Traffic").roles.add(command)
    person(agency, "4", sworn=False).roles.add(command)
    gone = person(agency, "5", status="separated", separated_on=today - timedelta(days=5))
    gone.roles.add(command)

    assert list(req.people()) == [covered]
    summary = currency.summaries([req], today)[0]
    assert summary.total == 1
    assert summary.counts[Status.NEVER] == 1


def test_the_summary_counts_and_shares_people_by_status(agency, courses, today):
    req = requirement(agency, [courses["sord"]], window_months=36)
    for number in "123":
        completion(person(agency, number), courses["sord"], today - timedelta(days=10))
    person(agency, "4")

    summary = currency.summaries([req], today)[0]

    assert (summary.current, summary.total, summary.current_share) == (3, 4, 75)
    assert summary.share(Status.NEVER) == 25


def test_filtering_by_status_finds_the_same_people_as_the_cells(agency, courses, today):
    req = requirement(agency, [courses["sord"]], window_months=36)
    completion(person(agency, "1"), courses["sord"], today - timedelta(days=10))
    completion(person(agency, "2"), courses["sord"], add_months(today, -40))
    person(agency, "3")
    people = Person.objects.of(agency)

    for status in (Status.CURRENT, Status.EXPIRED, Status.NEVER, Status.EXPIRING):
        found = currency.with_status(people, req, status, today)
        assert all(cells[0].status == status for _, cells in currency.rows(found, [req], today))
        assert len(found) == (0 if status == Status.EXPIRING else 1)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [(date(2026, 1, 31), 1, date(2026, 2, 28)), (date(2024, 2, 29), -24, date(2022, 2, 28)),
     (date(2026, 12, 2), -24, date(2024, 12, 2)), (date(2026, 11, 15), 3, date(2027, 2, 15))],
)  # fmt: skip
def test_adding_months_keeps_the_day_or_the_months_last(day, months, expected):
    assert add_months(day, months) == expected


@pytest.mark.parametrize(
    ("measure", "hours"), [("any", None), ("hours", Decimal(16)), ("all", None)]
)
def test_the_summary_agrees_with_each_persons_status(agency, courses, today, measure, hours):
    level1, scenario = courses["alerrt-level-1"], courses["active-attack-scenario"]
    req = requirement(agency, [level1, scenario], measure=measure, hours=hours)
    ages = [10, 300, 700, 720, 800, 2000]
    for n, days in enumerate(ages):
        who = person(agency, str(n))
        completion(who, level1, today - timedelta(days=days))
        if n % 2:
            completion(who, scenario, today - timedelta(days=days // 2))
    person(agency, "never")

    counted = currency.summaries([req], today)[0].counts
    expected = dict.fromkeys(currency.COUNTED, 0)
    for status in currency.statuses(req, today).values():
        expected[status] += 1

    assert counted == expected
