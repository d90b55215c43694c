"""One agency's data and files in one archive, and back again (`export_agency`, `import_agency`).

The archive is a zip file with three kinds of member:

    manifest.json   the format, the Muster version, when it was made, the agency's slug, how many
                    rows of each kind it holds, and the SHA-256 and size of every other member
    data.json       the rows, by kind, each in Django's serializer layout (model, pk, fields),
                    with timestamps to the microsecond because signed snapshots quote them
    files/<name>    every stored file (the agency's logo, evidence, signed reports) once, under
                    its storage name; carried-over attachments share one file

The rows keep their primary keys as archive-local ids. The import gives every row a new key and
rewrites the references to it, with two exceptions chosen for the signed record: an assessment
keeps its id, because the id is part of the snapshot a sign-off fingerprints, and a catalog
version keeps its catalog slug and number (an identical version already loaded is reused).
Users are never merged: the import refuses if any of their email addresses is taken here.

Apps above checklists (training, exercises) keep rows of their own for an agency. Each declares
them as a `Section` from its AppConfig.ready() (`register_section`): its kinds of row, how to
find the agency's, the stored files they point at, and how to write them back through the
restore's `insert` and `file_store`. The archive then holds those kinds beside its own, and
checklists never imports the app. An archive made before an app registered has none of its
kinds: they read as empty. Sections are written back in the order of their references, not of
registration: one whose rows point at another's (an exercise's training session) comes after it.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

from accounts.models import Agency, AuditEvent, Invitation, Membership, Role, School, User
from checklists.models import (
    Assessment,
    Attachment,
    Catalog,
    CatalogVersion,
    EvidencePrompt,
    Figure,
    FigureValue,
    Item,
    Report,
    Response,
    ReviewComment,
    Section,
    SignOff,
    Source,
)

FORMAT = "muster-agency-archive/1"
MANIFEST, DATA, FILES = "manifest.json", "data.json", "files/"
CHUNK = 1024 * 1024
HistoricalResponse = Response.history.model

# The kinds of row, in the order they are written back: each refers only to kinds above it.
CATALOG_KINDS: dict[str, type[models.Model]] = {
    "catalogs": Catalog,
    "catalog_versions": CatalogVersion,
    "sources": Source,
    "sections": Section,
    "items": Item,
    "prompts": EvidencePrompt,
    "figures": Figure,
    "figure_values": FigureValue,
}
AGENCY_KINDS: dict[str, type[models.Model]] = {
    "users": User,
    "agencies": Agency,
    "schools": School,
    "memberships": Membership,
    "invitations": Invitation,
    "assessments": Assessment,
    "responses": Response,
    "response_history": HistoricalResponse,
    "attachments": Attachment,
    "review_comments": ReviewComment,
    "sign_offs": SignOff,
    "reports": Report,
    # The agency's audit log travels with it (CJIS asks it be kept): events are only ever added,
    # so they are written back as they were. A target is named by type and id as it was then.
    "audit_events": AuditEvent,
}
KINDS = {"roles": Role} | CATALOG_KINDS | AGENCY_KINDS


@dataclass(frozen=True)
class Section:
    """The rows an app above checklists keeps for an agency, carried in its archive.

    `kinds`: kind name -> model, in the order they are written back (names unique across
    apps, such as "training_people"). `rows(agency)`: each kind's queryset of the agency's rows.
    `files(data)`: (storage name, SHA-256 on record or None) of every file the serialized rows
    point at. `restore(restore, agency)`: writes the rows back, after the agency's own rows,
    with `restore.insert(kind, ...)`, `restore.ids` and `restore.file_store(...)`.
    `check(data)`, if given: why the rows cannot be restored here (a clash with rows already
    here), asked before anything is written.
    """

    kinds: dict[str, type[models.Model]]
    rows: Callable[[Agency], dict[str, models.QuerySet]]
    files: Callable[[dict[str, list[dict]]], list[tuple[str, str | None]]]
    restore: Callable[[Any, Agency], None]
    check: Callable[[dict[str, list[dict]]], list[str]] | None = None


_sections: list[Section] = []


def register_section(section: Section) -> None:
    if section not in _sections:
        _sections.append(section)


def sections() -> list[Section]:
    """The registered sections, each after the sections whose models its rows refer to (by a
    foreign key or a many-to-many), otherwise in the order they registered."""
    ordered, waiting = [], list(_sections)
    while waiting:
        ready = next((s for s in waiting if not _waits_for(s, waiting)), None)
        if ready is None:
            raise ImproperlyConfigured("The archive's sections refer to each other in a circle.")
        ordered.append(ready)
        waiting.remove(ready)
    return ordered


def _waits_for(section: Section, waiting: list[Section]) -> bool:
    """Do the section's rows refer to the models of another section not yet placed?"""
    others = {model for other in waiting if other is not section for model in other.kinds.values()}
    refers_to = {
        f.related_model
        for model in section.kinds.values()
        for f in model._meta.get_fields()
        if f.is_relation and not f.auto_created
    }
    return bool(refers_to & others)


def kinds() -> dict[str, type[models.Model]]:
    """Every kind of row an archive holds: checklists' own, then each registered app's."""
    found = dict(KINDS)
    for section in sections():
        found |= section.kinds
    return found


def stored_files(data: dict[str, list[dict]]) -> list[tuple[str, str | None]]:
    """(storage name, SHA-256 the row records or None) of every file the rows point at, once."""
    files = [
        (row["fields"]["logo"], None)
        for kind in ("agencies", "sign_offs")
        for row in data[kind]
        if row["fields"].get("logo")
    ]
    for kind in ("attachments", "reports"):
        files += [
            (r["fields"]["file"], r["fields"]["sha256"]) for r in data[kind] if r["fields"]["file"]
        ]
    for section in sections():
        files += section.files(data)
    return list(dict(files).items())


class ArchiveError(Exception):
    """The archive cannot be written or read back; nothing was changed."""


@dataclass
class ArchiveSummary:
    agency: str
    counts: dict[str, int]
    files: int
    bytes: int = 0


def muster_version() -> str:
    try:
        with open(Path(settings.BASE_DIR) / "pyproject.toml", "rb") as file:
            return tomllib.load(file)["project"]["version"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"
