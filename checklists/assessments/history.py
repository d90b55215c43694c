"""What changed in a response and in an assessment, as a person reads it."""

from __future__ import annotations

from datetime import datetime
from itertools import pairwise
from typing import NamedTuple

from django.utils.text import Truncator

from accounts.models import AuditEvent, User
from checklists.assessments.models import Assessment, Response
from checklists.catalog.models import EvidencePrompt

# Bookkeeping fields: they change with every save and say nothing to the reader.
IGNORED_FIELDS = ["version", "updated_at", "updated_by"]


class Change(NamedTuple):
    """One field (or evidence answer) of one saved version: what it was and what it became."""

    what: str
    before: str
    after: str


class Entry(NamedTuple):
    """One act on a response, in words: who, when, what, and the fields it changed."""

    when: datetime
    who: str
    summary: str
    changes: list[Change]


# The acts recorded in the audit log rather than in the response's own history.
LOGGED_ACTS = {
    AuditEvent.Action.EVIDENCE_ADDED,
    AuditEvent.Action.EVIDENCE_REMOVED,
    AuditEvent.Action.COMMENT_ADDED,
    AuditEvent.Action.COMMENT_RESOLVED,
    AuditEvent.Action.COMMENT_REOPENED,
}


def response_changes(response: Response) -> list[Entry]:
    """Every act on the response, newest first: its saved versions (how it began, edits,
    confirmations, assignments) and, from the audit log, its files and review comments."""
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
    owner_ids |= {r.owner_id for r in records}
    names = dict(User.objects.filter(pk__in=owner_ids - {None}).values_list("pk", "full_name"))
    prompts = {p.key: p for p in response.item.prompts.all()}
    entries = [_beginning(response, records[0])] if records else []
    entries += [
        Entry(
            record.history_date,
            _name(record.history_user),
            _summary(record, names),
            _change_rows(changes, names, prompts),
        )
        for record, changes in diffs
    ]
    entries += _logged_acts(response)
    return sorted(entries, key=lambda entry: entry.when, reverse=True)


def _name(user: User | None) -> str:
    return (user.full_name or user.email) if user else "Muster"


def _beginning(response: Response, first) -> Entry:
    status = dict(Response.Status.choices).get(first.status, "")
    if response.previous_id is None:
        summary = "Created with the assessment."
    elif first.carried_over:
        summary = (
            f"Carried over from {response.previous.assessment}, where it was {status.lower()}: "
            "to be confirmed for this assessment."
        )
    else:
        summary = f"Copied from {response.previous.assessment} ({status.lower()})."
    return Entry(first.history_date, _name(first.history_user), summary, [])


def _summary(record, names: dict) -> str:
    reason = record.history_change_reason
    if reason == "confirmed":
        return "Confirmed as still true for this assessment."
    if reason == "assigned":
        owner = names.get(record.owner_id, "nobody")
        target = (
            f"target date {record.target_date:%B %-d, %Y}"
            if record.target_date
            else "no target date"
        )
        return f"Assigned to {owner}, {target}."
    return "Saved."


def _logged_acts(response: Response) -> list[Entry]:
    events = AuditEvent.objects.filter(
        agency_id=response.assessment.agency_id,
        action__in=LOGGED_ACTS,
        details__response_id=response.pk,
    ).select_related("actor")
    comments = {c.pk: c for c in response.comments.select_related("author")}
    return [Entry(e.at, e.person or "Muster", _act_summary(e, comments), []) for e in events]


def _act_summary(event: AuditEvent, comments: dict) -> str:
    Action = AuditEvent.Action
    if event.action in (Action.EVIDENCE_ADDED, Action.EVIDENCE_REMOVED):
        return f"{event.summary}."
    comment = comments.get(event.details.get("comment_id"))
    if comment is None:
        return f"{event.get_action_display()}."
    author = _name(comment.author)
    if event.action == Action.COMMENT_ADDED:
        return f"Commented: “{comment.body}”"
    verb = "Resolved" if event.action == Action.COMMENT_RESOLVED else "Reopened"
    return f"{verb} the review comment by {author}: “{Truncator(comment.body).chars(80)}”"


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
        # What the dashboard's list shows, not the answers, notes and the items' texts.
        .only(
            "status",
            "history_date",
            "history_change_reason",
            "item__code",
            "school__name",
            "owner__full_name",
            "history_user__full_name",
        )
        .order_by("-history_date")[:limit]
    )
