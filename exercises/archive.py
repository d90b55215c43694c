"""Exercises in the agency's archive (`checklists.archive`): registered as a section in
ExercisesConfig.ready(), so an exported agency carries its organizations, exercises with their
objectives, attendance and items, reviews, findings, review files, corrective actions with their
steps (ActionEvent is an action's history: only ever added, restored as it was), and the signed
after-action reports, and a restore writes them back.

A signed AAR/IP comes back as it was signed: its snapshot, fingerprint and stored PDF unchanged,
so the restored file still verifies. The snapshot names the exercise by its id in the instance it
was signed in; the restored row has a new id, and the verify page finds the report by the
fingerprint, not by that id. Its section restores after training's (`checklists.archive.format`
orders sections by their references): an exercise points at the training session its attendance
was recorded as.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from accounts.models import Agency
from checklists.archive.format import ArchiveError, Section
from exercises.models import (
    ActionEvent,
    AfterActionReport,
    CorrectiveAction,
    Exercise,
    Objective,
    Observation,
    Organization,
    Review,
    ReviewAttachment,
)

KINDS = {
    "exercises_organizations": Organization,
    "exercises_exercises": Exercise,
    "exercises_objectives": Objective,
    "exercises_observations": Observation,
    "exercises_reviews": Review,
    "exercises_attachments": ReviewAttachment,
    "exercises_actions": CorrectiveAction,
    "exercises_action_events": ActionEvent,
    "exercises_aars": AfterActionReport,
}
# The many-to-many links each kind carries, written back in bulk through their link tables.
LINKS = {
    "exercises_exercises": ("organizations", "items", "attendees"),
    "exercises_actions": ("items", "schools"),
}


def rows(agency: Agency) -> dict:
    # The links are prefetched: serialized one row at a time, they would be a query a row each.
    return {
        "exercises_organizations": Organization.objects.filter(agency=agency),
        "exercises_exercises": Exercise.objects.filter(agency=agency).prefetch_related(
            *LINKS["exercises_exercises"]
        ),
        "exercises_objectives": Objective.objects.filter(exercise__agency=agency),
        "exercises_observations": Observation.objects.filter(objective__exercise__agency=agency),
        "exercises_reviews": Review.objects.filter(exercise__agency=agency),
        "exercises_attachments": ReviewAttachment.objects.filter(exercise__agency=agency),
        "exercises_actions": CorrectiveAction.objects.filter(
            exercise__agency=agency
        ).prefetch_related(*LINKS["exercises_actions"]),
        "exercises_action_events": ActionEvent.objects.filter(action__exercise__agency=agency),
        "exercises_aars": AfterActionReport.objects.filter(exercise__agency=agency),
    }


def files(data: dict[str, list[dict]]) -> list[tuple[str, str | None]]:
    found = [(f["file"], f["sha256"]) for f in _fields(data, "exercises_attachments")]
    return found + [
        (f["file"], f["sha256"] or None) for f in _fields(data, "exercises_aars") if f["file"]
    ]


def check(data: dict[str, list[dict]]) -> list[str]:
    """A signed report's fingerprint is unique: the same report already here cannot be added."""
    fingerprints = [f["snapshot_sha256"] for f in _fields(data, "exercises_aars")]
    if AfterActionReport.objects.filter(snapshot_sha256__in=fingerprints).exists():
        return ["Some of the archive's after-action reports are already signed in this Muster."]
    return []


def restore(archive, agency: Agency) -> None:
    """Write the exercise rows back after the agency's and training's (`archive` is the restore)."""
    archive.insert("exercises_organizations", bulk=True)
    archive.insert("exercises_exercises", bulk=True)
    archive.insert("exercises_objectives", bulk=True)
    archive.insert("exercises_observations", bulk=True)
    archive.insert("exercises_reviews", bulk=True)

    def stored(attachment: ReviewAttachment) -> None:
        name = attachment.file.name
        target = f"exercises/{agency.pk}/{PurePosixPath(name).name}"
        attachment.file = archive.file_store(name, target)

    archive.insert("exercises_attachments", bulk=True, change=stored)
    archive.insert("exercises_actions", bulk=True)
    archive.insert("exercises_action_events", bulk=True)
    for kind, names in LINKS.items():
        for name in names:
            _links_insert(archive, kind, name)

    def signed(report: AfterActionReport) -> None:
        if report.file.name:
            report.file = archive.file_store(report.file.name, report.file.name)
        if report.in_progress:  # queued in the other instance: the recovery sweep queues it here
            report.state, report.task_id, report.started_at = report.State.PENDING, "", None

    archive.insert("exercises_aars", bulk=True, change=signed)


def _links_insert(archive, kind: str, name: str) -> None:
    """One kind's links of one many-to-many field, in one bulk insert, to the restored rows."""
    model = KINDS[kind]
    field = model._meta.get_field(name)
    through, target = field.remote_field.through, field.related_model
    source, other = f"{field.m2m_field_name()}_id", f"{field.m2m_reverse_field_name()}_id"
    ids, target_ids = archive.ids[model], archive.ids[target]
    links = []
    for row in archive.data[kind]:
        for old in row["fields"].get(name, []):
            if old not in target_ids:
                raise ArchiveError(f"{model._meta.label} refers to a missing {name} ({old}).")
            links.append(through(**{source: ids[row["pk"]], other: target_ids[old]}))
    through._base_manager.bulk_create(links, batch_size=500)


def _fields(data: dict[str, list[dict]], kind: str) -> list[dict]:
    return [row["fields"] for row in data[kind]]


SECTION = Section(kinds=KINDS, rows=rows, files=files, restore=restore, check=check)
