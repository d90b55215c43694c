"""The demo agency's training records show each feature as a real agency would use it."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command
from django.utils import timezone

from accounts.models import Agency
from checklists.assessments.extensions import computed_answers
from training import currency
from training.currency import Status
from training.models import Completion, Import, Person, Session


def test_the_demo_agency_has_a_roster_three_years_of_training_and_some_lapsing(catalog_version):
    call_command("seed_demo", "--force", stdout=StringIO())
    harbor = Agency.objects.get(slug="harbor-city-pd")

    assert 55 <= Person.objects.of(harbor).count() <= 65
    assert Person.objects.of(harbor).filter(status="separated").exists()
    assert Session.objects.filter(agency=harbor).count() >= 10
    assert Completion.objects.of(harbor).count() > 200
    lms = Import.objects.get(agency=harbor)  # the IS-700 transcripts, from the LMS's CSV
    assert (lms.state, lms.summary["new"]) == (Import.State.APPLIED, lms.lines)
    assert Completion.objects.of(harbor).filter(course__code="is-700").count() == lms.lines
    summaries = currency.summaries(currency.for_agency(harbor), timezone.localdate())
    statuses = {status for s in summaries for status, n in s.counts.items() if n}
    assert {Status.CURRENT, Status.EXPIRING, Status.EXPIRED} <= statuses


def test_the_demo_checklist_shows_computed_training_figures(catalog_version):
    call_command("seed_demo", "--force", stdout=StringIO())
    harbor = Agency.objects.get(slug="harbor-city-pd")

    computed = {
        key: a for key, a in computed_answers(harbor).items() if a.source == "training records"
    }

    assert {code for code, _ in computed} == {"LER-02", "LER-20", "LER-21", "LER-22", "LER-23"}
    assert all(answer.value not in (None, "0") for answer in computed.values())


def test_seeding_again_adds_no_training_records(catalog_version):
    call_command("seed_demo", "--force", stdout=StringIO())
    before = Completion.objects.count()

    call_command("seed_demo", "--force", stdout=StringIO())

    assert Completion.objects.count() == before
