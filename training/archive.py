"""Training records in the agency's archive (`checklists.archive`): registered as a section in
TrainingConfig.ready(), so an exported agency carries its roster, courses, sessions, completions
with their certificates, requirements and imports, and a restore writes them back.

Shipped courses are data, loaded in every instance: the archive names them by code, and the
restore points at this instance's course of the same code. The stored currency is not archived:
it follows from the completions and is stored again once they are written.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from django.db.models import Q

from accounts.models import Agency
from checklists.archive.format import ArchiveError, Section
from training import currency
from training.models import Completion, Course, Import, Person, Requirement, Session
from training.services import courses_load

KINDS = {
    "training_courses": Course,
    "training_people": Person,
    "training_sessions": Session,
    "training_completions": Completion,
    "training_requirements": Requirement,
    "training_imports": Import,
}


def rows(agency: Agency) -> dict:
    return {
        "training_courses": Course.objects.filter(Q(agency=agency) | Q(agency__isnull=True)),
        "training_people": Person.objects.filter(agency=agency),
        "training_sessions": Session.objects.filter(agency=agency),
        "training_completions": Completion.objects.filter(person__agency=agency),
        "training_requirements": Requirement.objects.filter(agency=agency),
        "training_imports": Import.objects.filter(agency=agency),
    }


def files(data: dict[str, list[dict]]) -> list[tuple[str, str | None]]:
    return [
        (f["certificate"], f["certificate_sha256"] or None)
        for f in (row["fields"] for row in data["training_completions"])
        if f["certificate"]
    ]


def restore(archive, agency: Agency) -> None:
    """Write the training rows back after the agency's own (`archive` is the restore)."""
    courses = archive.data["training_courses"]
    _shipped_map(archive, [row for row in courses if row["fields"]["agency"] is None])
    archive.insert("training_courses", rows=[r for r in courses if r["fields"]["agency"]])
    archive.insert("training_people", m2m=("roles",))
    archive.insert("training_sessions")

    def certificate(completion: Completion) -> None:
        if name := completion.certificate.name:
            target = f"certificates/{agency.pk}/{PurePosixPath(name).name}"
            completion.certificate = archive.file_store(name, target)

    archive.insert("training_completions", bulk=True, change=certificate)
    archive.insert("training_requirements", m2m=("courses",))

    def not_running(upload: Import) -> None:
        if upload.in_progress:  # queued in the other instance: confirm it again here
            upload.state, upload.task_id = Import.State.UPLOADED, ""

    archive.insert("training_imports", change=not_running)
    currency.refresh(agency)


def _shipped_map(archive, rows: list[dict]) -> None:
    """Each archived shipped course is this instance's course of the same code."""
    codes = {row["pk"]: row["fields"]["code"] for row in rows}
    here = dict(Course.objects.filter(agency=None).values_list("code", "pk"))
    if set(codes.values()) - set(here):
        courses_load()
        here = dict(Course.objects.filter(agency=None).values_list("code", "pk"))
    missing = sorted(set(codes.values()) - set(here))
    if missing:
        raise ArchiveError(f"The archive's training uses courses this Muster does not ship: "
                           f"{', '.join(missing)}.")  # fmt: skip
    archive.ids[Course] |= {old: here[code] for old, code in codes.items()}


SECTION = Section(kinds=KINDS, rows=rows, files=files, restore=restore)
