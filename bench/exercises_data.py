"""Bench data for exercises: ten years of exercises (about 150) with 600 corrective actions over
an agency's schools, in a few bulk inserts. `bench/run.py` calls `exercises_create` after it has
built its agency, schools and personnel; `bench/exercises.py` times the pages on it.

Rows are written with `bulk_create`, as the rest of the bench data is, not through the services:
the bench measures the pages that read them, and 600 audited saves would only slow the set-up.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import Agency, School, User
from checklists.catalog.models import CatalogVersion, Item
from exercises.models import (
    ActionEvent,
    CorrectiveAction,
    Exercise,
    Objective,
    Observation,
    Organization,
    Review,
)
from training.models import Person

YEARS, EXERCISES, ACTIONS = 10, 150, 600
KINDS = ("tabletop", "drill", "drill", "drill", "functional", "full_scale", "workshop", "seminar")
ORGANIZATIONS = (("Patrol division", "own_unit"), ("County Schools", "school"),
                 ("County Fire and EMS", "fire_ems"), ("Regional Medical Center", "hospital"),
                 ("State Police", "partner"))  # fmt: skip
# open, in progress, done, verified: about a third of the plan still unresolved
STATUSES = ("open", "open", "in_progress", "done", "done", "verified", "verified", "verified")


@transaction.atomic
def exercises_create(
    agency: Agency,
    schools: list[School],
    people: list[Person],
    *,
    by: User,
    verifier: User | None = None,
    version: CatalogVersion | None = None,
    exercises: int = EXERCISES,
    actions: int = ACTIONS,
    seed: int = 15,
) -> tuple[int, int]:
    """About 150 exercises over ten years, each with two objectives, three findings and a
    review, and 600 corrective actions on checklist items and the schools; the numbers made.

    `people` (the roster) own two actions in three; `verifier` (another account, made here if
    not given) verifies the verified ones, as the plan's rule wants someone other than the doer.
    """
    rng = random.Random(seed)  # noqa: S311 — repeatable bench data
    version = version or CatalogVersion.objects.latest("number")
    verifier = verifier or User.objects.create_user(
        f"verifier@{agency.slug}.example", None, full_name="Bench Verifier"
    )
    organizations = Organization.objects.bulk_create(
        Organization(agency=agency, name=name, kind=kind) for name, kind in ORGANIZATIONS
    )
    items = list(Item.objects.filter(catalog_version=version).order_by("order"))
    made = _exercises(agency, schools, version, by, rng, exercises)
    _links(made, organizations, items, rng)
    findings = _findings(made, by)
    plan = _actions(findings, schools, people, organizations, items, by, verifier, rng, actions)
    return len(made), len(plan)


def _exercises(agency, schools, version, by, rng, count: int) -> list[Exercise]:
    today = timezone.localdate()
    made = []
    for n in range(count):
        held = today - timedelta(days=rng.randint(20, 365 * YEARS))
        school = rng.choice(schools) if schools and rng.random() < 0.6 else None
        made.append(Exercise(
            agency=agency, title=f"Exercise {n:03}", kind=rng.choice(KINDS), starts_on=held,
            ends_on=held + timedelta(days=rng.choice((0, 0, 0, 1))), school=school,
            site="" if school else "Training center", catalog_version=version, created_by=by,
            scenario="An active attacker at a school during arrival.",
        ))  # fmt: skip
    exercises = Exercise.objects.bulk_create(made)
    Review.objects.bulk_create(
        Review(exercise=e, evaluator="Bench evaluator", reviewed_on=e.ends_on + timedelta(days=7))
        for e in exercises
    )
    return exercises


def _links(exercises, organizations, items, rng) -> None:
    through_orgs, through_items = Exercise.organizations.through, Exercise.items.through
    through_orgs.objects.bulk_create(
        through_orgs(exercise=e, organization=o)
        for e in exercises
        for o in rng.sample(organizations, k=rng.randint(1, 3))
    )
    through_items.objects.bulk_create(
        through_items(exercise=e, item=i) for e in exercises for i in rng.sample(items, k=3)
    )


def _findings(exercises, by) -> list[Observation]:
    objectives = Objective.objects.bulk_create(
        Objective(exercise=e, text=text, capability=capability, order=order)
        for e in exercises
        for order, (text, capability) in enumerate((
            ("Contain the threat", "On-scene Security, Protection, and Law Enforcement"),
            ("Reunify students with families", "Mass Care Services"),
        ))
    )  # fmt: skip
    return Observation.objects.bulk_create(
        Observation(
            objective=o, kind=kind, text=text, analysis="Seen by two evaluators.", recorded_by=by
        )
        for o in objectives
        for kind, text in (
            ("strength", "Units arrived within minutes."),
            ("improvement", "Radios could not reach the school."),
        )
    )


def _actions(findings, schools, people, organizations, items, by, verifier, rng, count) -> list:
    gaps = [f for f in findings if f.kind == "improvement"]
    exercise_of = {o.pk: o.exercise for o in Objective.objects.filter(
        pk__in={f.objective_id for f in gaps}).select_related("exercise")}  # fmt: skip
    made = []
    for n in range(count):
        gap = gaps[n % len(gaps)]
        exercise = exercise_of[gap.objective_id]
        status = rng.choice(STATUSES)
        owner = rng.choice(people) if people and n % 3 else None
        due = exercise.ends_on + timedelta(days=rng.randint(30, 540))
        made.append(CorrectiveAction(
            exercise=exercise, observation=gap, description=f"Corrective action {n:03}",
            owner=owner, organization=None if owner else rng.choice(organizations),
            starts_on=exercise.ends_on, due_on=due, status=status,
            done_by=by if status in ("done", "verified") else None,
            verified_by=verifier if status == "verified" else None,
        ))  # fmt: skip
    actions = CorrectiveAction.objects.bulk_create(made)
    _action_links(actions, schools, items, rng)
    ActionEvent.objects.bulk_create(_events(actions, by, verifier))
    return actions


def _action_links(actions, schools, items, rng) -> None:
    """Each action on one to two items; nine in ten at one school, spread over all of them."""
    through_items, through_schools = (
        CorrectiveAction.items.through,
        CorrectiveAction.schools.through,
    )
    through_items.objects.bulk_create(
        through_items(correctiveaction=a, item=i)
        for a in actions
        for i in rng.sample(items, k=rng.randint(1, 2))
    )
    if schools:
        through_schools.objects.bulk_create(
            through_schools(correctiveaction=a, school=schools[n % len(schools)])
            for n, a in enumerate(actions)
            if n % 10
        )


def _events(actions, by, verifier):
    steps = {"open": (), "in_progress": ("in_progress",), "done": ("in_progress", "done"),
             "verified": ("in_progress", "done", "verified")}  # fmt: skip
    for action in actions:
        yield ActionEvent(action=action, status="open", note="Added", by=by)
        for step in steps[action.status]:
            yield ActionEvent(
                action=action, status=step, note="Bench step",
                by=verifier if step == "verified" else by,
            )  # fmt: skip
