"""What changed in a response and in an assessment, as a person reads it."""

from __future__ import annotations

from itertools import pairwise
from typing import NamedTuple

from accounts.models import User
from checklists.assessments.models import Assessment, Response
from checklists.catalog.models import EvidencePrompt

# Bookkeeping fields: they change with every save and say nothing to the reader.
IGNORED_FIELDS = ["version", "updated_at", "updated_by"]


class Change(NamedTuple):
    """One field (or evidence answer) of one saved version: what it was and what it became."""

    what: str
    before: str
    after: str


def response_changes(response: Response) -> list[tuple[object, list[Change]]]:
    """Each saved version of the response, newest first, with the changes it made."""
    records = list(
        response.history.select_related("history_user").order_by("history_date", "history_id")
    )
    diffs = [
        (new, new.diff_against(old, excluded_fields=IGNORED_FIELDS).changes)
        for old, new in pairwise(records)
    ]
    owner_ids = {
        v for _, changes in diffs for c in changes if c.field == "owner" for v in (c.old, c.new)
    }
    names = dict(User.objects.filter(pk__in=owner_ids - {None}).values_list("pk", "full_name"))
    prompts = {p.key: p for p in response.item.prompts.all()}
    return [(record, _change_rows(changes, names, prompts)) for record, changes in reversed(diffs)]


def _change_rows(changes, names: dict, prompts: dict[str, EvidencePrompt]) -> list[Change]:
    """One row per field, and one per evidence answer that changed."""
    statuses = dict(Response.Status.choices)
    rows = []
    for change in changes:
        if change.field == "answers":
            old, new = change.old or {}, change.new or {}
            rows += [
                Change(
                    prompts[key].label, prompts[key].answer_text(old), prompts[key].answer_text(new)
                )
                for key in sorted(set(old) | set(new))
                if old.get(key) != new.get(key) and key in prompts
            ]
        elif change.field == "status":
            rows.append(
                Change("Status", statuses.get(change.old, ""), statuses.get(change.new, ""))
            )
        elif change.field == "carried_over":
            rows.append(
                Change("Carried over", _confirmation(change.old), _confirmation(change.new))
            )
        elif change.field == "owner":
            rows.append(Change("Owner", names.get(change.old, ""), names.get(change.new, "")))
        else:
            label = Response._meta.get_field(change.field).verbose_name.capitalize()
            rows.append(Change(label, change.old or "", change.new or ""))
    return rows


def _confirmation(carried_over: bool) -> str:
    return "To confirm" if carried_over else "Confirmed"


def recent_changes(assessment: Assessment, limit: int = 10):
    """The assessment's latest edits, newest first."""
    return (
        Response.history.filter(assessment_id=assessment.pk, history_type="~")
        .select_related("history_user", "item", "school", "owner")
        .order_by("-history_date")[:limit]
    )
