"""The canonical JSON of an assessment as signed off: the whole record, and what the public sees.

Canonical means one byte sequence for the same data: keys sorted, no insignificant white space,
UTF-8. Its SHA-256 is the sign-off's fingerprint, printed on the report and embedded in it, so
that a report can be matched to its sign-off and its data outlives the app.

A signed report is rendered from its snapshot alone (`signoff/pdf.py`), so the full snapshot
holds everything the full report prints, as it was at sign-off: the agency's names, the
catalog's items and figures, every response with its answers and whether it was overdue that
day. The public snapshot is a projection of the full one, so the two can never disagree.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date

from checklists.assessments import extensions, scoring
from checklists.assessments.models import Assessment, Response, ReviewComment

FORMAT = "muster-snapshot/2"
PUBLIC_FORMAT = "muster-public-snapshot/2"


def canonical(data: dict) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def fingerprint(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _score(score: scoring.Score) -> dict:
    return {
        "label": score.label,
        "percent": score.percent,
        "in_place": score.in_place,
        "applicable": score.applicable,
        "awaiting": score.awaiting,
    }


def _response(response: Response, as_of: date, computed: dict) -> dict:
    # Answers computed from records (training) are frozen here as they stood at sign-off.
    mine = {key: a for (code, key), a in computed.items() if code == response.item.code}
    return {
        "item": response.item.code,
        "school": response.school.name if response.school else None,
        "status": response.status,
        "carried_over": response.carried_over,
        "overdue": response.overdue_on(as_of),
        "answers": response.answers | {key: a.value for key, a in mine.items()},
        "computed": {key: a.note for key, a in mine.items()},
        "notes": response.notes,
        "justification": response.justification,
        "owner": response.owner.full_name if response.owner else None,
        "target_date": response.target_date.isoformat() if response.target_date else None,
        "attachments": [
            {"name": a.original_name, "sha256": a.sha256, "size": a.size}
            for a in response.attachments.all()
        ],
        "comments": [_comment(c) for c in response.comments.all()],
    }


def _comment(comment: ReviewComment) -> dict:
    """A review comment as it stood at sign-off (full snapshot only: names and words)."""
    return {
        "author": comment.author.full_name if comment.author else None,
        "at": comment.created_at.isoformat(),
        "body": comment.body,
        "resolved": comment.is_resolved,
        "resolved_by": comment.resolved_by.full_name if comment.resolved_by else None,
        "resolved_at": comment.resolved_at.isoformat() if comment.resolved_at else None,
    }


def _catalog(assessment: Assessment) -> dict:
    version = assessment.catalog_version
    return {
        "slug": version.catalog.slug,
        "title": version.title,
        "publisher": version.publisher,
        "published": version.published,
        "version": version.version,
        "number": version.number,
        "sha256": version.content_sha256,
    }


def _items(assessment: Assessment) -> list[dict]:
    items = assessment.catalog_version.items.select_related("section").prefetch_related("prompts")
    return [
        {
            "code": i.code,
            "title": i.title,
            "section": i.section.title,
            "scope": i.scope,
            "weight": i.weight,
            "origin": i.origin,
            "practice": i.practice,
            "prompts": [
                {"key": p.key, "label": p.label, "kind": p.kind, "unit": p.unit}
                for p in i.prompts.all()
            ],
        }
        for i in items.order_by("order")
    ]


def _research(assessment: Assessment) -> dict:
    version = assessment.catalog_version
    figures = version.figures.select_related("source").prefetch_related("values")
    return {
        "figures": [
            {
                "title": f.title,
                "note": f.note,
                "period": f.period,
                "unit": f.unit,
                "source": f.source.citation,
                "values": [{"label": v.label, "value": v.value} for v in f.values.all()],
            }
            for f in figures
        ],
        "sources": [
            {"citation": s.citation, "doi": s.doi, "url": s.url} for s in version.sources.all()
        ],
    }


def _counts(responses: list[Response], overall: scoring.Score, as_of: date) -> dict:
    applicable = [r for r in responses if r.status != Response.Status.NOT_APPLICABLE]
    return {
        "responses": len(responses),
        "applicable": len(applicable),
        "in_place": overall.in_place,
        "needing_action": sum(r.needs_action for r in applicable),
        "awaiting_confirmation": overall.awaiting,
        "overdue": sum(r.overdue_on(as_of) for r in responses),
    }


def assessment_snapshot(
    assessment: Assessment, *, signer: dict | None, as_of: date, logo_sha256: str = ""
) -> dict:
    """Everything the sign-off attests to, and everything its full report prints."""
    agency = assessment.agency
    responses = list(assessment.responses.for_display())
    all_responses = assessment.responses.all()
    overall = scoring.overall(all_responses)
    breakdown = scoring.breakdown(all_responses)
    computed = extensions.computed_answers(agency, today=as_of)
    sections = extensions.snapshot_sections(agency, today=as_of)
    return {
        "format": FORMAT,
        "agency": {
            "name": agency.name,
            "slug": agency.slug,
            "jurisdiction": agency.jurisdiction,
            "state": agency.state,
            "state_name": agency.get_state_display() if agency.state else "",
            "logo_sha256": logo_sha256,
        },
        "assessment": {
            "id": assessment.pk,
            "title": assessment.title,
            "label": str(assessment),
            "revision": assessment.revision,
            "due_date": assessment.due_date.isoformat() if assessment.due_date else None,
            "started": assessment.created_at.isoformat(),
        },
        "as_of": as_of.isoformat(),
        "catalog": _catalog(assessment),
        "items": _items(assessment),
        "responses": [_response(r, as_of, computed) for r in responses],
        "counts": _counts(responses, overall, as_of),
        "scores": {
            "overall": _score(overall),
            "sections": [_score(s) for s in breakdown.sections],
            "roles": [_score(s) for s in breakdown.roles],
            "schools": [_score(s) for s in scoring.by_school(all_responses)],
        },
        **_research(assessment),
        # Sections that apps above checklists add (training): the full one, and what the public
        # summary may show of it.
        "sections": {name: full for name, (full, _) in sections.items()},
        "public_sections": {name: public for name, (_, public) in sections.items()},
        "sign_off": signer,
    }


# What a public snapshot's signer shows: the people, not how to reach them.
PUBLIC_SIGNER = ("name", "title", "account_name", "at", "statement")


def public_snapshot(full: dict) -> dict:
    """What the public summary may carry: no school, answer, note, owner, file name or email."""
    signer = full["sign_off"]
    return {
        "format": PUBLIC_FORMAT,
        "agency": full["agency"],
        "assessment": full["assessment"],
        "as_of": full["as_of"],
        "catalog": full["catalog"],
        "counts": full["counts"],
        "scores": {key: full["scores"][key] for key in ("overall", "sections", "roles")},
        "figures": full["figures"],
        "sources": full["sources"],
        "sections": full.get("public_sections", {}),
        "sign_off": {key: signer[key] for key in PUBLIC_SIGNER} if signer else None,
    }
