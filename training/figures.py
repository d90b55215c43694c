"""What training records give the checklist: computed evidence answers, the dashboard's currency
summary and the report's training section. Registered with checklists in `TrainingConfig.ready`.

An agency that keeps no personnel in Muster gets none of these, and types its answers as before.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Count, Max, Sum
from django.utils import timezone

from accounts.models import Agency
from checklists.assessments.extensions import ComputedAnswer, Panel
from training import currency
from training.data import FigureSpec, read_courses
from training.models import Completion, Course, Person, Session, add_months

SOURCE = "training records"


def keeps_records(agency: Agency) -> bool:
    return Person.objects.of(agency).exists()


def _courses(agency: Agency, codes) -> list[int]:
    return list(
        Course.objects.available_to(agency).filter(code__in=codes).values_list("pk", flat=True)
    )


def _since(spec: FigureSpec, today: date) -> date | None:
    return add_months(today, -spec.within_months) if spec.within_months else None


def figure_value(agency: Agency, spec: FigureSpec, today: date):
    """One computed answer, as `Response.answers` stores it (numbers and dates as text)."""
    since = _since(spec, today)
    people = Person.objects.of(agency).active()
    if spec.sworn:
        people = people.sworn()
    if spec.measure == "population":
        return str(people.count())
    course_ids = _courses(agency, spec.courses)
    if spec.measure == "people":
        done = Completion.objects.filter(course__in=course_ids, person__in=people)
        if since:
            done = done.filter(completed_on__gt=since)
        return str(done.values("person").distinct().count())
    if spec.measure == "last_date":
        last = (
            Completion.objects.of(agency)
            .filter(course__in=course_ids)
            .aggregate(last=Max("completed_on"))["last"]
        )
        return last.isoformat() if last else None
    sessions = Session.objects.filter(agency=agency, course__in=course_ids)
    if since:
        sessions = sessions.filter(ends_on__gt=since)
    if spec.measure == "sessions":
        return str(sessions.count())
    totals = sessions.aggregate(roster=Count("completions"), others=Sum("community_attendees"))
    return str(totals["roster"] + (totals["others"] or 0))


def computed_answers(agency: Agency, *, today: date, item_code: str | None = None) -> dict:
    """{(item code, prompt key): ComputedAnswer} for every figure the data file declares."""
    if not keeps_records(agency):
        return {}
    _, specs = read_courses()
    return {
        (spec.item, spec.prompt): ComputedAnswer(figure_value(agency, spec, today), today, SOURCE)
        for spec in specs
        if item_code is None or spec.item == item_code
    }


def dashboard_panel(agency: Agency) -> Panel | None:
    requirements = currency.for_agency(agency)
    if not requirements:
        return None
    summaries = currency.summaries(requirements, timezone.localdate())
    return Panel(
        "training/includes/currency_summary.html", {"summaries": summaries, "agency": agency}
    )


def _shares(summary: currency.Summary) -> dict:
    return {
        "requirement": summary.requirement.name,
        "who": summary.requirement.who,
        "people": summary.total,
        "current_percent": summary.current_share,
        "expiring_percent": summary.share(currency.Status.EXPIRING),
        "never_percent": summary.share(currency.Status.NEVER),
    }


def snapshot_section(agency: Agency, *, today: date) -> tuple[dict, dict] | None:
    """The report's training section (counts, never names) and the public one (shares only)."""
    requirements = currency.for_agency(agency)
    if not requirements:
        return None
    summaries = currency.summaries(requirements, today)
    full = {
        "as_of": today.isoformat(),
        "requirements": [
            _shares(s) | {"counts": {str(k): v for k, v in s.counts.items()}} for s in summaries
        ],
        "units": units(agency),
    }
    public = {"as_of": today.isoformat(), "requirements": [_shares(s) for s in summaries]}
    return full, public


def units(agency: Agency) -> list[dict]:
    """Active personnel by unit, sworn and civilian: counts only."""
    rows = Person.objects.of(agency).active().order_by().values("unit", "sworn")
    by_unit: dict[str, dict] = {}
    for row in rows.annotate(n=Count("pk")):
        name = row["unit"] or "No unit"
        entry = by_unit.setdefault(name, {"unit": name, "sworn": 0, "civilian": 0})
        entry["sworn" if row["sworn"] else "civilian"] += row["n"]
    return sorted(by_unit.values(), key=lambda e: e["unit"])
