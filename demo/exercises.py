"""The demo agency's exercises over three years: a tabletop with the high school, a full-scale
exercise with fire/EMS and a drill, each reviewed, with an improvement plan of about a dozen
corrective actions (some overdue, some verified), and each exercise's after-action report
signed by the chief (the task worker renders them)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from accounts.models import Agency, School, User
from checklists.catalog.models import Item
from exercises.models import CorrectiveAction, Exercise, Observation, Organization, Review
from exercises.services import (
    aar_sign,
    action_advance,
    action_save,
    default_version,
    exercise_save,
    observation_add,
    organization_save,
    review_save,
)
from training.models import Course, Person

ORGANIZATIONS = (
    ("Patrol division", "own_unit"),
    ("Harbor City Schools", "school"),
    ("Harbor City Fire Department", "fire_ems"),
    ("Mercy General Hospital", "hospital"),
    ("Lakeside County Sheriff's Office", "partner"),
)
# title, kind, days ago, school or None, organizations, items, scenario, objectives with
# (kind, finding, analysis), and the actions: (finding index, description, items, days due from
# today (negative: past), final status)
EXERCISES = (
    ("High school arrival tabletop", "tabletop", 900, "Harbor City High School",
     ("Harbor City Schools", "Patrol division"), ("LER-18", "LER-19"),
     "An active attacker at the main entrance during morning arrival.",
     (("Share a common operating picture with school leadership | Operational Communications",
       (("strength", "The principal and the SRO agreed on lockdown authority at once.", ""),
        ("improvement", "The school's radios cannot reach the patrol channel.",
         "Staff relayed information by phone, delaying the first officers' picture."))),
      ("Decide on reunification | Mass Care Services",
       (("improvement", "Nobody knew who opens the reunification site.",
         "The plan names a role that no longer exists at the district."),)),),
     ((0, "Give the school office a radio on the agency's interoperable channel.", ("LER-19",), -400, "verified"),
      (0, "Train front-office staff on radio use.", ("LER-19",), -300, "verified"),
      (1, "Name the district's reunification lead in the plan.", ("LER-18",), -200, "done"),
      (1, "Run a reunification walkthrough with district staff.", ("LER-18",), 60, "open"))),
    ("Full-scale exercise with fire/EMS", "full_scale", 420, None,
     ("Harbor City Fire Department", "Mercy General Hospital", "Patrol division",
      "Lakeside County Sheriff's Office"), ("LER-26", "LER-19"),
     "Two attackers at the county fairgrounds; a rescue task force enters a warm zone.",
     (("Form rescue task forces within 10 minutes | Mass Search and Rescue Operations",
       (("strength", "The first task force formed in 7 minutes.", ""),
        ("improvement", "Fire and police used different names for the same zones.",
         "Two task forces waited for a zone that had already been cleared."))),
      ("Establish unified command | Operational Coordination",
       (("improvement", "The command post was set up inside the hot zone's sight line.",
         "No one checked the post's position against the threat."),
        ("improvement", "Hospital notification came 25 minutes after the first casualty.",
         "Dispatch had no hospital contact sheet."))),),
     ((0, "Adopt one set of zone names with the fire department.", ("LER-26",), -90, "verified"),
      (0, "Joint warm-zone training for all shifts.", ("LER-26",), -30, "in_progress"),
      (1, "Add command-post placement to the incident command checklist.", ("LER-19",), -10, "open"),
      (2, "Give dispatch a hospital notification sheet.", ("LER-26",), -60, "done"),
      (2, "Test hospital notification in the next drill.", ("LER-26",), 120, "open"))),
    ("Lincoln Middle School lockdown drill", "drill", 75, "Lincoln Middle School",
     ("Harbor City Schools",), ("LER-18",),
     "A lockdown called during lunch, with officers arriving from two directions.",
     (("Clear the building and account for every room | On-scene Security, Protection, and Law Enforcement",
       (("strength", "Every classroom locked within 90 seconds.", ""),
        ("improvement", "The cafeteria doors cannot be locked from inside.",
         "Students sheltered in the kitchen instead."),
        ("improvement", "Officers lacked a current floor plan.", "The plan predates the new wing."))),),
     ((0, "Fit the cafeteria doors with interior locks.", ("LER-18",), 45, "in_progress"),
      (1, "Give patrol cars the current floor plans of every school.", ("LER-18",), -5, "open"),
      (1, "Review floor plans each summer with the district.", ("LER-18",), 200, "open"))),
)  # fmt: skip


def _organizations(agency: Agency, by: User) -> dict[str, Organization]:
    found = {}
    for name, kind in ORGANIZATIONS:
        org = Organization.objects.filter(agency=agency, name=name).first()
        found[name] = org or organization_save(
            organization=Organization(agency=agency, name=name, kind=kind), by=by
        )
    return found


SUMMARIES = {
    "tabletop": "School leadership and patrol supervisors walked through an attack at morning "
    "arrival. Lockdown authority was clear; communications and reunification were not.",
    "full_scale": "Police, fire/EMS, the hospital and the sheriff's office formed rescue task "
    "forces under unified command. Task forces formed fast; shared zone names and hospital "
    "notification lagged.",
    "drill": "A lockdown drill at lunch with officers arriving from two directions. Classrooms "
    "locked quickly; the cafeteria and the floor plans need work.",
}
CONTACTS = (
    "Lt. Chris Novak, exercise director and evaluation lead, Harbor City Police Department, "
    "(555) 010-4417"
)


def demo_exercises(agency: Agency, *, by: User, verifier: User, password: str) -> int:
    """Record the demo exercises once, each with its after-action report signed by `verifier`
    (the chief, whose password is `password`); the number recorded (0 when they exist)."""
    version = default_version(agency)
    if version is None or Exercise.objects.of(agency).exists():
        return 0
    today = timezone.localdate()
    orgs = _organizations(agency, by)
    items = {i.code: i for i in Item.objects.filter(catalog_version=version)}
    people = list(Person.objects.of(agency).active().order_by("employee_number"))
    scenario_course = Course.objects.filter(agency=None, code="active-attack-scenario").first()
    for n, spec in enumerate(EXERCISES):
        exercise = _exercise(agency, spec, version, orgs, items, people[n * 15 : n * 15 + 15],
                             scenario_course, today, by, verifier)  # fmt: skip
        aar_sign(exercise=exercise, by=verifier, typed_name=verifier.full_name,
                 typed_title=verifier.job_title, attest=True, password=password)  # fmt: skip
    return len(EXERCISES)


def _exercise(agency, spec, version, orgs, items, attendees, course, today, by, verifier):
    title, kind, ago, school, org_names, codes, scenario, objectives, actions = spec
    held = today - timedelta(days=ago)
    exercise = exercise_save(
        exercise=Exercise(
            agency=agency, title=title, kind=kind, starts_on=held, ends_on=held, scenario=scenario,
            school=School.objects.filter(agency=agency, name=school).first() if school else None,
            site="" if school else "Lakeside County Fairgrounds", catalog_version=version,
            course=course, hours=4, contacts=CONTACTS,
        ),
        objectives=[tuple(part.strip() for part in text.partition("|")[::2])
                    for text, _ in objectives], items=[items[c] for c in codes],
        organizations=[orgs[o] for o in org_names], attendees=attendees, by=by,
    )  # fmt: skip
    review_save(review=Review(exercise=exercise, evaluator="Lt. Chris Novak (exercise evaluator)",
                              reviewed_on=held + timedelta(days=14), summary=SUMMARIES[kind]),
                by=by)  # fmt: skip
    findings = []
    for objective, (_, observations) in zip(exercise.objectives.all(), objectives, strict=True):
        for obs_kind, text, analysis in observations:
            observation = observation_add(observation=Observation(
                objective=objective, kind=obs_kind, text=text, analysis=analysis), by=by)  # fmt: skip
            if obs_kind == "improvement":
                findings.append(observation)
    for index, (finding, description, action_codes, due, status) in enumerate(actions):
        owner = attendees[index % len(attendees)] if attendees and index % 3 else None
        action = action_save(action=CorrectiveAction(
            exercise=exercise, observation=findings[finding], description=description,
            owner=owner, organization=None if owner else orgs["Patrol division"],
            starts_on=held + timedelta(days=14), due_on=max(today + timedelta(days=due), held + timedelta(days=30)),
        ), items=[items[c] for c in action_codes], schools=[exercise.school] if exercise.school else [], by=by)  # fmt: skip
        _advance(action, status, by, verifier)
    return exercise


def _advance(action: CorrectiveAction, status: str, by: User, verifier: User) -> None:
    steps = {"open": [], "in_progress": ["in_progress"], "done": ["in_progress", "done"],
             "verified": ["in_progress", "done", "verified"]}[status]  # fmt: skip
    for step in steps:
        note = {"done": "Completed.", "verified": "Checked in person."}.get(step, "Started.")
        action_advance(action=action, status=step, note=note,
                       by=verifier if step == "verified" else by)  # fmt: skip
