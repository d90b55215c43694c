"""The demo agency's training records: a roster of about 60, three years of sessions and
completions (some lapsing), and the requirements it holds itself to."""

from __future__ import annotations

import hashlib
import random
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.models import Agency, Role, School, User
from training.models import Completion, Course, Import, Person, Requirement, Session
from training.services import (
    courses_load,
    import_apply,
    requirement_save,
    session_record,
)

FIRST = ["Alex", "Jordan", "Casey", "Riley", "Morgan", "Taylor", "Jamie", "Avery", "Quinn", "Drew", "Parker", "Reese", "Rowan", "Emery", "Hayden", "Kendall", "Logan", "Micah", "Noel", "Sawyer", "Skyler", "Tatum", "Blair", "Carmen", "Dario", "Elena", "Farah", "Gus", "Hana", "Ivan", "Jada", "Kofi", "Lena", "Mateo", "Nadia", "Omar", "Priya", "Rafael", "Sofia", "Tomas"]  # fmt: skip
LAST = ["Alvarez", "Brooks", "Chen", "Diaz", "Ellis", "Foster", "Garcia", "Hughes", "Ibarra", "Jensen", "Kim", "Lopez", "Mendez", "Novak", "Okafor", "Patel", "Quinlan", "Russo", "Santos", "Turner", "Underwood", "Vargas", "Walsh", "Young", "Zimmerman", "Adams", "Baker", "Coleman", "Dunn", "Evans"]  # fmt: skip
# (unit, rank, sworn, how many)
UNITS = (
    ("Command staff", "Lieutenant", True, 4),
    ("Patrol", "Officer", True, 32),
    ("Patrol", "Sergeant", True, 5),
    ("School Resource Unit", "Officer", True, 4),
    ("Investigations", "Detective", True, 6),
    ("Traffic", "Officer", True, 3),
    ("Communications", "Dispatcher", False, 6),
)


def _ago(today: date, days: int) -> date:
    return today - timedelta(days=days)


def _roster(agency: Agency, rng: random.Random, today: date) -> list[Person]:
    people, number = [], 1001
    for unit, rank, sworn, count in UNITS:
        for _ in range(count):
            hired = _ago(today, rng.randint(400, 9000))
            people.append(Person(
                agency=agency, employee_number=str(number), unit=unit, rank=rank, sworn=sworn,
                full_name=f"{rng.choice(FIRST)} {rng.choice(LAST)}", hired_on=hired,
            ))  # fmt: skip
            number += 1
    for person in rng.sample(people, 3):  # three who left, whose records stay
        person.status = Person.Status.SEPARATED
        person.separated_on = _ago(today, rng.randint(30, 300))
    Person.objects.bulk_create(people)
    return list(Person.objects.of(agency).order_by("employee_number"))


def _session(agency, course, ends, people, by, rng, **extra) -> None:
    attendees = [
        p for p in people if p.hired_on < ends and not (p.separated_on and p.separated_on < ends)
    ]
    session = Session(
        agency=agency, course=course, starts_on=ends - timedelta(days=int(course.hours // 8) - 1 if course.hours >= 8 else 0),
        ends_on=ends, hours=course.hours, instructor=extra.pop("instructor", "Harbor City PD Training Unit"),
        location=extra.pop("location", "Harbor City Police Training Center"), **extra,
    )  # fmt: skip
    session_record(session=session, attendees=attendees, by=by)


def _sessions(agency, people, courses, by, rng, today, schools) -> None:
    sworn = [p for p in people if p.sworn]
    patrol = [p for p in sworn if p.unit in ("Patrol", "School Resource Unit", "Traffic")]
    # ALERRT Level I, a class of 24 to 30 every year or so: the oldest class is lapsing.
    for days in (1000, 680, 240):
        class_ = rng.sample(sworn, min(len(sworn), rng.randint(24, 30)))
        _session(agency, courses["alerrt-level-1"], _ago(today, days), class_, by, rng,
                 instructor="ALERRT regional instructors", partner="Harbor City Fire Department")  # fmt: skip
    # The annual active-attack in-service day: most of the sworn officers each year.
    for days in (760, 420, 45):
        class_ = rng.sample(sworn, int(len(sworn) * rng.uniform(0.5, 0.7)))
        _session(agency, courses["active-attack-scenario"], _ago(today, days), class_, by, rng,
                 school=schools[0] if schools else None)  # fmt: skip
    sros = [p for p in sworn if p.unit == "School Resource Unit"]
    _session(agency, courses["sord"], _ago(today, 500), sros[:3] + rng.sample(patrol, 8), by, rng,
             instructor="ALERRT")  # fmt: skip
    instructors = rng.sample(patrol, 2)
    for person in instructors:
        _single(person, courses["alerrt-level-1-ttt"], _ago(today, 700), "ALERRT (San Marcos, TX)")
        _single(person, courses["crase-instructor"], _ago(today, 650), "ALERRT")
    for days, school in zip((300, 200, 120, 60, 500), schools * 2, strict=False):
        _session(agency, courses["crase"], _ago(today, days), instructors, by, rng, school=school,
                 location=school.name, community_attendees=rng.randint(25, 70))  # fmt: skip


def _single(person: Person, course: Course, on: date, provider: str) -> None:
    if on >= person.hired_on:
        Completion.objects.create(person=person, course=course, completed_on=on,
                                  hours=course.hours, provider=provider)  # fmt: skip


def _nims(people, courses, rng, today, by) -> None:
    """IS-100 and IS-700 online for most, ICS-300 and -400 for command staff and sergeants.
    The IS-700 transcripts came in as the LMS's CSV export, imported (and confirmed) once."""
    lms = ["Employee ID,Course Code,Completion Date,Credit Hours,Provider"]
    for person in people:
        days_employed = (today - person.hired_on).days
        for code in ("is-100", "is-700", "is-200"):
            if rng.random() < 0.85:
                on = _ago(today, rng.randint(5, min(days_employed, 4200)))
                if code == "is-700" and on >= person.hired_on:
                    lms.append(f"{person.employee_number},is-700,{on},3.5,FEMA EMI (online)")
                elif code != "is-700":
                    _single(person, courses[code], on, "FEMA Emergency Management Institute")
        if person.rank in ("Lieutenant", "Sergeant"):
            for code in ("ics-300", "ics-400"):
                if rng.random() < 0.8:
                    _single(person, courses[code], _ago(today, rng.randint(30, days_employed)),
                            "Ohio Emergency Management Agency")  # fmt: skip
    text = "\n".join(lms) + "\n"
    upload = Import.objects.create(
        agency=people[0].agency, kind=Import.Kind.COMPLETIONS, file_name="fema-emi-transcripts.csv",
        content=text, sha256=hashlib.sha256(text.encode()).hexdigest(), uploaded_by=by,
    )  # fmt: skip
    import_apply(upload=upload, by=by)  # at once: the demo has no task worker to wait for


REQUIREMENTS = (
    ("Active-attack training: 16 hours every 24 months", True, "", None, "hours", 16, 24,
     ("alerrt-level-1", "sord", "active-attack-scenario")),
    ("ALERRT Level I within 36 months", True, "Patrol", None, "any", None, 36, ("alerrt-level-1",)),
    ("SROs: SORD within 36 months", True, "School Resource Unit", None, "any", None, 36, ("sord",)),
    ("Incident commanders: ICS-300 and ICS-400", True, "", "incident-command", "all", None, 120,
     ("ics-300", "ics-400")),
    ("Everyone: IS-100 and IS-700", False, "", None, "all", None, 120, ("is-100", "is-700")),
)  # fmt: skip


def _requirements(agency, courses, by) -> None:
    for order, (name, sworn, unit, role, measure, hours, window, codes) in enumerate(REQUIREMENTS):
        requirement = Requirement(
            agency=agency, name=name, sworn_only=sworn, unit=unit, measure=measure, order=order,
            role=Role.objects.filter(slug=role).first() if role else None,
            hours=Decimal(hours) if hours else None, window_months=window,
        )  # fmt: skip
        requirement_save(requirement=requirement, courses=[courses[c] for c in codes], by=by)


def demo_training(agency: Agency, *, by: User, seed: int = 14) -> int:
    """The agency's training records, unless it has some already; the number of people added."""
    if Person.objects.of(agency).exists():
        return 0
    courses_load()
    rng = random.Random(seed)  # noqa: S311 — repeatable demo data, not security
    today = timezone.localdate()
    courses = {c.code: c for c in Course.objects.filter(agency=None)}
    people = _roster(agency, rng, today)
    command = Role.objects.filter(slug="incident-command").first()
    if command:
        for person in people:
            if person.rank in ("Lieutenant", "Sergeant"):
                person.roles.add(command)
    schools = list(School.objects.filter(agency=agency).order_by("name"))
    _sessions(agency, people, courses, by, rng, today, schools)
    _nims(people, courses, rng, today, by)
    _requirements(agency, courses, by)
    return len(people)
