"""The canonical JSON of a whole assessment, as signed off.

Canonical means one byte sequence for the same data: keys sorted, no insignificant white space,
UTF-8. Its SHA-256 is the sign-off's fingerprint, printed on the report and embedded in it, so
that a report can be matched to its sign-off and its data outlives the app.
"""

from __future__ import annotations

import hashlib
import json

from checklists.assessments import scoring
from checklists.assessments.models import Assessment, Response

FORMAT = "muster-snapshot/1"


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
    }


def _response(response: Response) -> dict:
    return {
        "item": response.item.code,
        "school": response.school.name if response.school else None,
        "status": response.status,
        "carried_over": response.carried_over,
        "answers": response.answers,
        "notes": response.notes,
        "justification": response.justification,
        "owner": response.owner.full_name if response.owner else None,
        "target_date": response.target_date.isoformat() if response.target_date else None,
        "attachments": [
            {"name": a.original_name, "sha256": a.sha256, "size": a.size}
            for a in response.attachments.all()
        ],
    }


def assessment_snapshot(assessment: Assessment, *, signer: dict) -> dict:
    """Everything the sign-off attests to: catalog version, items, responses, evidence, scores."""
    version = assessment.catalog_version
    responses = assessment.responses.for_display()
    all_responses = assessment.responses.all()
    return {
        "format": FORMAT,
        "agency": {
            "name": assessment.agency.name,
            "slug": assessment.agency.slug,
            "state": assessment.agency.state,
        },
        "assessment": {
            "id": assessment.pk,
            "title": assessment.title,
            "revision": assessment.revision,
            "due_date": assessment.due_date.isoformat() if assessment.due_date else None,
            "started": assessment.created_at.isoformat(),
        },
        "catalog": {
            "slug": version.catalog.slug,
            "title": version.title,
            "version": version.version,
            "number": version.number,
            "sha256": version.content_sha256,
        },
        "items": [
            {"code": i.code, "title": i.title, "scope": i.scope, "weight": i.weight}
            for i in version.items.order_by("order")
        ],
        "responses": [_response(r) for r in responses],
        "scores": {
            "overall": _score(scoring.overall(all_responses)),
            "sections": [_score(s) for s in scoring.by_section(all_responses)],
            "roles": [_score(s) for s in scoring.by_role(all_responses)],
            "schools": [_score(s) for s in scoring.by_school(all_responses)],
        },
        "sign_off": signer,
    }
