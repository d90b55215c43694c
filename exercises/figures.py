"""What exercises give the checklist: LER-18's and LER-26's computed answers, the dashboard's
exercise panel, the report's section (counts only), the item page's panel, the checklist rows'
flags and the review page's list of items in place while corrective actions on them are open.
Registered in `ExercisesConfig.ready`.

An agency that records no exercises gets none of these, and types its answers as before.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from django.db.models import Count, Q
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone

from accounts.models import Agency
from checklists.assessments.extensions import ComputedAnswer, Flag, Panel
from exercises.models import CorrectiveAction, Exercise
from training.models import add_months

SOURCE = "exercise records"
# (item code, date prompt, type prompt) -> which exercises count
FIGURES = {
    ("LER-18", "last_exercise", "exercise_type"): "with_schools",
    ("LER-26", "last_joint_exercise", "exercise_type"): "with_fire_ems",
}


def _held(agency: Agency, today: date):
    return (
        Exercise.objects.of(agency).exclude(kind=Exercise.Kind.INCIDENT).filter(ends_on__lte=today)
    )


def computed_answers(agency: Agency, *, today: date, item_code: str | None = None) -> dict:
    """{(item code, prompt key): ComputedAnswer}: the last such exercise's date and type."""
    answers = {}
    for (code, date_key, type_key), subset in FIGURES.items():
        if item_code is not None and item_code != code:
            continue
        last = getattr(_held(agency, today), subset)().order_by("-ends_on", "-pk").first()
        if last is None:
            continue
        answers[(code, date_key)] = ComputedAnswer(last.ends_on.isoformat(), today, SOURCE)
        answers[(code, type_key)] = ComputedAnswer(last.get_kind_display(), today, SOURCE)
    return answers


def summary(agency: Agency, today: date) -> dict | None:
    """Exercises in the last 24 months by type, with schools and with fire/EMS; the plan's
    open and overdue actions. Two or three queries whatever the number of exercises."""
    counts = _held(agency, today).since(add_months(today, -24)).counts_by_kind()
    by_kind = {kind: n for kind, (n, _, _) in counts.items()}
    actions = CorrectiveAction.objects.of(agency).counts(today)
    if not by_kind and not actions["total"] and not Exercise.objects.of(agency).exists():
        return None
    return {
        "as_of": today.isoformat(),
        "exercises": sum(by_kind.values()),
        "by_type": [
            {"type": label, "count": by_kind[value]}
            for value, label in Exercise.Kind.choices
            if by_kind.get(value)
        ],
        "with_schools": sum(schools for _, schools, _ in counts.values()),
        "with_fire_ems": sum(fire_ems for _, _, fire_ems in counts.values()),
        "actions": actions,
    }


def dashboard_panel(agency: Agency) -> Panel | None:
    figures = summary(agency, timezone.localdate())
    if figures is None:
        return None
    return Panel("exercises/includes/dashboard_panel.html", {"figures": figures, "agency": agency})


def snapshot_section(agency: Agency, *, today: date) -> tuple[dict, dict] | None:
    """The report's section: counts only, in the full edition and the public one alike."""
    figures = summary(agency, today)
    if figures is None:
        return None
    return figures, figures


def item_panel(agency: Agency, item_code: str) -> Panel | None:
    """An item's exercises and its open corrective actions, by the item's stable code."""
    exercises = list(
        Exercise.objects.of(agency).filter(items__code=item_code).select_related("agency")
        .order_by("-starts_on")[:5]
    )  # fmt: skip
    actions = list(
        CorrectiveAction.objects.of(agency).unresolved().filter(items__code=item_code)
        .select_related("exercise__agency", "owner", "organization").distinct()
    )  # fmt: skip
    closed = (
        CorrectiveAction.objects.of(agency).exclude(status__in=CorrectiveAction.OPEN_STATUSES)
        .filter(items__code=item_code).distinct().count()
    )  # fmt: skip
    if not exercises and not actions and not closed:
        return None
    context = {"agency": agency, "exercises": exercises, "actions": actions, "closed": closed}
    return Panel("exercises/includes/item_panel.html", context)


def in_place_check(response) -> dict[str, str]:
    """An item marked in place while corrective actions on it are open needs a note saying why
    they don't contradict it."""
    if response.status != "in_place" or response.notes.strip():
        return {}
    actions = CorrectiveAction.objects.of(response.assessment.agency).unresolved()
    actions = actions.filter(items__code=response.item.code)
    if response.school_id:
        actions = actions.filter(Q(schools=None) | Q(schools=response.school_id))
    if n := actions.distinct().count():
        return {"notes": f"{n} corrective action{'s are' if n > 1 else ' is'} still open on this "
                "item: say in the notes why it is in place all the same."}  # fmt: skip
    return {}


def _open_action_scopes(agency: Agency, codes=None) -> dict[str, list[tuple[int, set]]]:
    """{item code: [(action id, its schools, empty for every school)]} of the unresolved
    actions (on these item codes only, if given), in one query."""
    actions: dict[int, tuple[set, set]] = {}
    rows = CorrectiveAction.objects.of(agency).unresolved().order_by()
    # One join of the items, which the codes are read through as well.
    rows = rows.filter(items__isnull=False) if codes is None else rows.filter(items__code__in=codes)
    for pk, code, school_id in rows.values_list("pk", "items__code", "schools"):
        codes, schools = actions.setdefault(pk, (set(), set()))
        codes.add(code)
        if school_id is not None:
            schools.add(school_id)
    scopes: dict[str, list[tuple[int, set]]] = {}
    for pk, (codes, schools) in actions.items():
        for code in codes:
            scopes.setdefault(code, []).append((pk, schools))
    return scopes


def review_panel(assessment) -> Panel | None:
    """The review page's list of items recorded in place while corrective actions on them are
    still open (at that school, or agency-wide), each with the note given for it. Two queries
    whatever the number of actions and responses."""
    scopes = _open_action_scopes(assessment.agency)
    if not scopes:
        return None
    in_place = (
        assessment.responses.filter(status="in_place", item__code__in=scopes)
        .select_related("item", "school").in_checklist_order()
    )  # fmt: skip
    rows = []
    for response in in_place:
        if n := _open_on(scopes, response):
            rows.append({"response": response, "open_actions": n})
    context = {"agency": assessment.agency, "rows": rows}
    return Panel("exercises/includes/review_panel.html", context)


def _open_on(scopes: dict[str, list[tuple[int, set]]], response) -> int:
    """How many of the open actions bear on this response: on its item, and at its school or at
    no school in particular. An agency-wide item's response counts every action on the item."""
    return sum(
        1
        for _, schools in scopes.get(response.item.code, ())
        if not schools or response.school_id is None or response.school_id in schools
    )


def row_flags(agency: Agency, responses: list) -> dict[int, list[Flag]]:
    """The checklist's flag on each row with open corrective actions: one query for the page."""
    scopes = _open_action_scopes(agency, {r.item.code for r in responses})
    plan = reverse("improvement_plan", kwargs={"slug": agency.slug})
    made: dict[tuple[str, int], Flag] = {}  # the same flag for an item's rows at every school
    flags = {}
    for response in responses:
        if n := _open_on(scopes, response):
            code = response.item.code
            if (code, n) not in made:
                query = urlencode({"item": code, "status": "unresolved"})
                made[code, n] = Flag(f"{n} open corrective action{pluralize(n)}", f"{plan}?{query}")
            flags[response.pk] = [made[code, n]]
    return flags


def school_lines(agency: Agency, school_ids: list[int]) -> dict[int, list[Flag]]:
    """On each "My schools" card: the last exercise held at the school (or that none is
    recorded: LER-18 asks for one) and its open corrective actions. Two queries."""
    today = timezone.localdate()
    last: dict[int, tuple[int, str, date]] = {}
    held = (
        Exercise.objects.of(agency).filter(school__in=school_ids, ends_on__lte=today)
        .order_by("school_id", "-ends_on", "-pk").values_list("school_id", "pk", "title", "ends_on")
    )  # fmt: skip
    for school_id, pk, title, ends_on in held:
        last.setdefault(school_id, (pk, title, ends_on))
    open_here = dict(
        CorrectiveAction.objects.of(agency).unresolved().filter(schools__in=school_ids)
        .values_list("schools").annotate(n=Count("pk", distinct=True)).order_by()
    )  # fmt: skip
    plan = reverse("improvement_plan", kwargs={"slug": agency.slug})
    lines: dict[int, list[Flag]] = {}
    for school_id in school_ids:
        if school_id in last:
            pk, title, ends_on = last[school_id]
            url = reverse("exercise_detail", kwargs={"slug": agency.slug, "pk": pk})
            text = f"Last exercise here: {title}, {ends_on:%b} {ends_on.day}, {ends_on.year}"
        else:
            url = reverse("exercise_list", kwargs={"slug": agency.slug})
            text = "No exercise recorded at this school yet"
        lines[school_id] = [Flag(text, url)]
        if n := open_here.get(school_id):
            query = urlencode({"school": school_id, "status": "unresolved"})
            lines[school_id].append(
                Flag(f"{n} open corrective action{pluralize(n)} here", f"{plan}?{query}")
            )
    return lines
