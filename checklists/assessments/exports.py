"""The checklist as CSV (one row per response) and as JSON."""

from __future__ import annotations

from collections.abc import Iterator

from accounts.audit import record
from accounts.models import AuditEvent, User
from accounts.spreadsheets import csv_lines
from checklists.assessments.models import Assessment, Response
from checklists.catalog.models import EvidencePrompt

COLUMNS = [
    "code", "title", "section", "scope", "school", "status", "carried_over", "owner",
    "target_date", "overdue", "evidence", "attachments", "notes", "justification",
    "updated_by", "updated_at",
]  # fmt: skip


def _responses(assessment: Assessment):
    return assessment.responses.for_display().select_related("updated_by")


def _answer_text(response: Response, prompt: EvidencePrompt) -> str:
    value = response.answers.get(prompt.key)
    if prompt.kind == EvidencePrompt.Kind.BOOLEAN and value is not None:
        value = "yes" if value else "no"
    return "" if value is None else f"{prompt.label}: {value}"


def response_record(response: Response) -> dict:
    prompts = list(response.item.prompts.all())
    return {
        "code": response.item.code,
        "title": response.item.title,
        "section": response.item.section.title,
        "scope": response.item.scope,
        "school": response.school.name if response.school else "",
        "status": response.status,
        "carried_over": response.carried_over,
        "owner": response.owner.full_name if response.owner else "",
        "target_date": response.target_date.isoformat() if response.target_date else "",
        "overdue": response.is_overdue,
        "answers": {
            p.key: response.answers.get(p.key) for p in prompts if p.key in response.answers
        },
        "evidence": "; ".join(t for p in prompts if (t := _answer_text(response, p))),
        "attachments": [
            {"name": a.original_name, "sha256": a.sha256, "size": a.size}
            for a in response.attachments.all()
        ],
        "notes": response.notes,
        "justification": response.justification,
        "updated_by": response.updated_by.full_name if response.updated_by else "",
        "updated_at": response.updated_at.isoformat() if response.updated_at else "",
    }


def assessment_csv(assessment: Assessment) -> Iterator[str]:
    """The CSV text, row by row, for a streaming response."""

    def rows() -> Iterator[list]:
        for response in _responses(assessment):
            record = response_record(response)
            record["attachments"] = "; ".join(
                f"{a['name']} (sha256 {a['sha256']})" for a in record["attachments"]
            )
            yield [record[column] for column in COLUMNS]

    return csv_lines(COLUMNS, rows())


def assessment_json(assessment: Assessment) -> dict:
    version = assessment.catalog_version
    return {
        "assessment": {
            "id": assessment.pk,
            "title": assessment.title,
            "agency": assessment.agency.name,
            "state": assessment.state,
            "due_date": assessment.due_date.isoformat() if assessment.due_date else None,
            "created_at": assessment.created_at.isoformat(),
        },
        "catalog": {
            "slug": version.catalog.slug,
            "version": version.version,
            "number": version.number,
        },
        "responses": [
            {k: v for k, v in response_record(r).items() if k != "evidence"}
            for r in _responses(assessment)
        ],
    }


def assessment_export(*, assessment: Assessment, fmt: str, by: User) -> Iterator[str] | dict:
    """The checklist as CSV lines (`fmt="csv"`) or a JSON document; the export is recorded."""
    record(
        AuditEvent.Action.ASSESSMENT_EXPORTED,
        agency=assessment.agency,
        actor=by,
        target=assessment,
        summary=f"Exported {assessment.title} as {fmt.upper()}",
        format=fmt,
    )
    return assessment_csv(assessment) if fmt == "csv" else assessment_json(assessment)
