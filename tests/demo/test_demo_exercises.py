"""The demo agency's exercises: three years of them, reviewed, with a plan of about a dozen
corrective actions in every state, each exercise's after-action report signed by the chief, and
LER-18 and LER-26 computed from them."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import Agency
from checklists.assessments.extensions import computed_answers
from exercises.models import AfterActionReport, CorrectiveAction, Exercise

pytestmark = pytest.mark.django_db


def test_the_demo_agency_has_reviewed_exercises_and_a_plan_in_every_state(catalog_version):
    call_command("seed_demo", "--force", stdout=StringIO())
    harbor = Agency.objects.get(slug="harbor-city-pd")
    actions = CorrectiveAction.objects.of(harbor)

    kinds = set(Exercise.objects.of(harbor).values_list("kind", flat=True))
    assert kinds == {"tabletop", "full_scale", "drill"}
    assert all(e.review and e.objectives.exists() for e in Exercise.objects.of(harbor))
    assert 10 <= actions.count() <= 14
    assert set(actions.values_list("status", flat=True)) == {
        "open",
        "in_progress",
        "done",
        "verified",
    }
    assert actions.overdue().exists()
    reports = AfterActionReport.objects.filter(exercise__agency=harbor)
    assert reports.count() == 3
    assert {r.signer.email for r in reports} == {"chief@harbor.example"}
    assert all(json.loads(r.snapshot)["objectives"][0]["capability"] for r in reports)
    computed = computed_answers(harbor)
    assert computed[("LER-18", "last_exercise")].value
    assert computed[("LER-26", "last_joint_exercise")].value


def test_seeding_again_adds_no_exercises(catalog_version):
    call_command("seed_demo", "--force", stdout=StringIO())
    before = (Exercise.objects.count(), CorrectiveAction.objects.count())

    call_command("seed_demo", "--force", stdout=StringIO())

    assert (Exercise.objects.count(), CorrectiveAction.objects.count()) == before
