"""The after-action report and improvement plan (AAR/IP) as a signed PDF, in the shape of HSEEP's
AAR/IP template: a cover with the handling marking, the exercise overview, the analysis of
capabilities objective by objective, the improvement plan (appendix A) and the participants
(appendix B, organizations and an attendance count: no names).

The machinery is the preparedness report's (`checklists.signoff`): a canonical JSON snapshot
frozen when a lead signs, rendered alone by WeasyPrint with the report's print stylesheet and
marking, the snapshot embedded (PDF/A-3b), signed with the deployment's key (pyHanko), and
recognised by the verify page (registered in `ExercisesConfig.ready`).
"""

from __future__ import annotations

import json
from datetime import date

from django.db.models import Count, Prefetch
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from checklists.signoff.pdf import html_to_pdf, paper_size
from checklists.signoff.rendering import rendered_once
from checklists.signoff.signing import sign_pdf
from exercises.models import AfterActionReport, CorrectiveAction, Exercise, Observation, Review

FORMAT = "muster-aar-snapshot/1"
MARKING = "LAW ENFORCEMENT SENSITIVE"
ATTESTATION = (
    "I have reviewed this after-action report and improvement plan. To the best of my knowledge "
    "it records the exercise, its findings and the corrective actions accurately as of the date "
    "of my signature."
)


def _exercise(exercise: Exercise) -> dict:
    version = exercise.catalog_version
    return {
        "id": exercise.pk,
        "title": exercise.title,
        "type": exercise.get_kind_display(),
        "mission_area": exercise.get_mission_area_display(),
        "starts_on": exercise.starts_on.isoformat(),
        "ends_on": exercise.ends_on.isoformat(),
        "hours": str(exercise.hours),
        "scenario": exercise.scenario,
        "location": exercise.where,
        "contacts": [line.strip() for line in exercise.contacts.splitlines() if line.strip()],
        "catalog": f"{version.title}, version {version.version}",
        "items": [{"code": i.code, "title": i.title} for i in exercise.items.order_by("order")],
    }


def _objectives(exercise: Exercise) -> tuple[list[dict], dict[int, str]]:
    """Each objective with its strengths and areas for improvement, and each area's reference
    ("1.2": objective 1, its second area for improvement), as HSEEP numbers them."""
    objectives, refs = [], {}
    found = exercise.objectives.prefetch_related(
        Prefetch("observations", queryset=Observation.objects.order_by("pk"))
    )
    for number, objective in enumerate(found, start=1):
        observations = list(objective.observations.all())
        improvements = [o for o in observations if o.kind == Observation.Kind.IMPROVEMENT]
        for index, observation in enumerate(improvements, start=1):
            refs[observation.pk] = f"{number}.{index}"
        objectives.append({
            "number": number, "text": objective.text, "capability": objective.capability,
            "strengths": [{"text": o.text, "analysis": o.analysis}
                          for o in observations if o.kind == Observation.Kind.STRENGTH],
            "improvements": [{"ref": refs[o.pk], "text": o.text, "analysis": o.analysis}
                             for o in improvements],
        })  # fmt: skip
    return objectives, refs


def _ref_key(ref: str | None) -> tuple[int, ...]:
    """Area 2.10 after 2.9; an action answering no finding last."""
    return tuple(int(part) for part in ref.split(".")) if ref else (10**6,)


def _plan(exercise: Exercise, refs: dict[int, str], as_of: date) -> list[dict]:
    actions = (
        exercise.corrective_actions.select_related("owner", "organization", "observation")
        .prefetch_related("items", "schools").order_by("due_on", "pk")
    )  # fmt: skip
    # As HSEEP's plan lists them: by the area for improvement they answer, then by due date.
    actions = sorted(actions, key=lambda a: (_ref_key(refs.get(a.observation_id)), a.due_on))
    return [
        {
            "finding_ref": refs.get(a.observation_id, ""),
            "finding": a.observation.text if a.observation else "",
            "description": a.description,
            "responsible": a.responsible,
            "starts_on": a.starts_on.isoformat(),
            "due_on": a.due_on.isoformat(),
            "status": a.status,
            "status_label": a.get_status_display(),
            "overdue": a.is_open and a.due_on < as_of,
            "items": [i.code for i in a.items.all()],
            "schools": [s.name for s in a.schools.all()],
        }
        for a in actions
    ]


def _participants(exercise: Exercise) -> dict:
    """Organizations, and how many attended by unit: never who."""
    by_unit = (
        exercise.attendees.order_by().values_list("unit").annotate(n=Count("pk")).order_by("unit")
    )
    units = [{"unit": unit or "No unit", "count": n} for unit, n in by_unit]
    return {
        "organizations": [
            {"name": o.name, "kind": o.get_kind_display()} for o in exercise.organizations.all()
        ],
        "attendance": sum(u["count"] for u in units),
        "by_unit": units,
    }


def aar_snapshot(exercise: Exercise, *, signer: dict, number: int, as_of: date) -> dict:
    """Everything the signed AAR/IP prints, as it stands now."""
    agency = exercise.agency
    review = Review.objects.filter(exercise=exercise).first()
    objectives, refs = _objectives(exercise)
    return {
        "format": FORMAT,
        "number": number,
        "as_of": as_of.isoformat(),
        "agency": {
            "name": agency.name,
            "slug": agency.slug,
            "jurisdiction": agency.jurisdiction,
            "state_name": agency.get_state_display() if agency.state else "",
        },
        "exercise": _exercise(exercise),
        "review": {
            "evaluator": review.evaluator,
            "reviewed_on": review.reviewed_on.isoformat(),
            "summary": review.summary,
        }
        if review
        else None,
        "objectives": objectives,
        "plan": _plan(exercise, refs, as_of),
        "participants": _participants(exercise),
        "attachments": [{"name": a.name, "sha256": a.sha256} for a in exercise.attachments.all()],
        "sign_off": signer,
    }


def _counts(plan: list[dict]) -> dict:
    statuses = dict(CorrectiveAction.Status.choices)
    return {
        "total": len(plan),
        "overdue": sum(a["overdue"] for a in plan),
        "by_status": [
            (label, n) for value, label in statuses.items()
            if (n := sum(a["status"] == value for a in plan))
        ],
    }  # fmt: skip


def aar_context(data: dict, *, fingerprint: str) -> dict:
    """What the AAR template shows, from the snapshot alone (never from live rows)."""
    exercise, signer = data["exercise"], data["sign_off"]
    return {
        "data": data,
        "agency": data["agency"],
        "exercise": exercise,
        "starts_on": parse_date(exercise["starts_on"]),
        "ends_on": parse_date(exercise["ends_on"]),
        "review": data["review"],
        "reviewed_on": parse_date(data["review"]["reviewed_on"]) if data["review"] else None,
        "capabilities": sorted({o["capability"] for o in data["objectives"] if o["capability"]}),
        "plan": [
            a | {"start": parse_date(a["starts_on"]), "due": parse_date(a["due_on"])}
            for a in data["plan"]
        ],
        "counts": _counts(data["plan"]),
        "sign_off": signer,
        "signed_at": parse_datetime(signer["at"]),
        "as_of": parse_date(data["as_of"]),
        "fingerprint": fingerprint,
        "marking": MARKING,
        "paper": paper_size(),
    }


def aar_pdf(report: AfterActionReport) -> bytes:
    """The PDF/A file of a signed AAR/IP, from its frozen snapshot alone, not yet signed."""
    data = json.loads(report.snapshot)
    if data.get("format") != FORMAT:
        raise ValueError(f"A {data.get('format')} snapshot cannot be rendered as an AAR.")
    context = aar_context(data, fingerprint=report.snapshot_sha256)
    html = render_to_string("exercises/aar/aar.html", context)
    return html_to_pdf(html, snapshot=report.snapshot)


def aar_render(*, report: AfterActionReport) -> AfterActionReport:
    """Render, sign and store an AAR/IP once, with the signed report's lifecycle: a failure is
    kept on the row under a reference."""

    def render(claimed: AfterActionReport) -> bytes:
        return sign_pdf(
            aar_pdf(claimed),
            reason=f"After-action report signed by {claimed.typed_name}",
            location=claimed.exercise.agency.name,
        )

    return rendered_once(
        report, related="exercise__agency", render=render,
        file_name=lambda claimed: claimed.file_name, what="after-action report",
    )  # fmt: skip


def describe(report: AfterActionReport) -> str:
    """One line for the verify page: which exercise of which agency, signed by whom, when, and
    whether a later report of the exercise has been signed since."""
    exercise, agency = report.exercise, report.exercise.agency
    later = exercise.after_action_reports.filter(number__gt=report.number).first()
    return (
        f"{agency.name} (Muster identifier {agency.slug}) — after-action report {report.number} "
        f"of “{exercise.title}” ({exercise.starts_on:%b %-d, %Y}), signed by {report.typed_name}, "
        f"{report.typed_title} (account {report.signer.email}), "
        f"{timezone.localtime(report.signed_at):%b %-d, %Y %H:%M}"
        + (
            f"; superseded by report {later.number}, signed {later.signed_at:%b %-d, %Y}"
            if later
            else "; no later report of the exercise was signed"
        )
    )
