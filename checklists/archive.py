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
"""

from __future__ import annotations

import hashlib
import json
import os
import tomllib
import zipfile
import zlib
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core import serializers
from django.core.files import File
from django.core.management.color import no_style
from django.db import DatabaseError, connection, models, transaction
from django.utils import timezone

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
    "sign_offs": SignOff,
    "reports": Report,
    # The agency's audit log travels with it (CJIS asks it be kept): events are only ever added,
    # so they are written back as they were. A target is named by type and id as it was then.
    "audit_events": AuditEvent,
}
KINDS = {"roles": Role} | CATALOG_KINDS | AGENCY_KINDS


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


# Export -----------------------------------------------------------------------------------------


def agency_export(*, agency: Agency, path: Path) -> ArchiveSummary:
    """Write the agency's rows and files to a new zip file at `path` (readable by its owner only).

    The rows are read in one transaction (repeatable read on PostgreSQL), so they agree with
    each other. A stored file that cannot be read stops the export: a backup missing evidence
    would only be found out when it is needed.
    """
    if path.exists():
        raise ArchiveError(f"{path} already exists: choose another name.")
    partial = path.with_name(path.name + ".part")
    try:
        with _consistent_reads():
            data = _agency_rows(agency)
            summary = _zip_write(partial, agency, data)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return summary


@contextmanager
def _consistent_reads() -> Iterator[None]:
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


def _agency_querysets(agency: Agency) -> dict[str, models.QuerySet]:
    versions = CatalogVersion.objects.filter(assessments__agency=agency).distinct()
    memberships = Membership.objects.filter(agency=agency)
    invitations = Invitation.objects.filter(agency=agency).pending()
    responses = Response.objects.filter(assessment__agency=agency)
    rows = {
        "agencies": Agency.objects.filter(pk=agency.pk),
        "schools": School.objects.filter(agency=agency),
        "memberships": memberships,
        "invitations": invitations,
        "assessments": Assessment.objects.filter(agency=agency),
        "responses": responses,
        "response_history": HistoricalResponse.objects.filter(id__in=responses.values("pk")),
        "attachments": Attachment.objects.filter(response__assessment__agency=agency),
        "sign_offs": SignOff.objects.filter(assessment__agency=agency),
        "reports": Report.objects.filter(sign_off__assessment__agency=agency),
        "audit_events": AuditEvent.objects.filter(agency=agency),
        "catalogs": Catalog.objects.filter(versions__in=versions).distinct(),
        "catalog_versions": versions,
        "sources": Source.objects.filter(catalog_version__in=versions),
        "sections": Section.objects.filter(catalog_version__in=versions),
        "items": Item.objects.filter(catalog_version__in=versions),
        "prompts": EvidencePrompt.objects.filter(item__catalog_version__in=versions),
        "figures": Figure.objects.filter(catalog_version__in=versions),
        "figure_values": FigureValue.objects.filter(figure__catalog_version__in=versions),
    }
    rows["users"] = User.objects.filter(pk__in=_user_ids(rows))
    rows["roles"] = Role.objects.filter(
        models.Q(items__catalog_version__in=versions)
        | models.Q(memberships__in=memberships)
        | models.Q(pk__in=invitations.values("roles"))
    ).distinct()
    return rows


def _user_ids(rows: dict[str, models.QuerySet]) -> set[int]:
    """Every person the agency's rows name: members, and also signers or authors who left."""
    ids: set[int] = set()
    for queryset in rows.values():
        for f in queryset.model._meta.concrete_fields:
            if f.is_relation and f.related_model is User:
                ids |= set(queryset.exclude(**{f.attname: None}).values_list(f.attname, flat=True))
    return ids


def _agency_rows(agency: Agency) -> dict[str, list[dict]]:
    querysets = _agency_querysets(agency)
    data = {kind: serializers.serialize("python", querysets[kind].order_by("pk")) for kind in KINDS}
    member_ids = set(querysets["memberships"].values_list("user_id", flat=True))
    for row in data["users"]:
        row["fields"].pop("groups", None)
        row["fields"].pop("user_permissions", None)
        # Only members keep their password: a former member named in the records cannot sign in.
        if row["pk"] not in member_ids:
            row["fields"]["password"] = make_password(None)
    return data


def _stored_files(data: dict[str, list[dict]]) -> list[tuple[str, str | None]]:
    """(storage name, SHA-256 the row records or None) of every file the rows point at."""
    files = [(row["fields"]["logo"], None) for row in data["agencies"] if row["fields"]["logo"]]
    for kind in ("attachments", "reports"):
        files += [
            (r["fields"]["file"], r["fields"]["sha256"]) for r in data[kind] if r["fields"]["file"]
        ]
    return list(dict(files).items())


class _Encoder(json.JSONEncoder):
    """Like Django's, but times keep their microseconds: signed snapshots quote them."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime | date | time):
            return o.isoformat()
        if isinstance(o, Decimal):
            return str(o)
        return super().default(o)


def _zip_write(path: Path, agency: Agency, data: dict[str, list[dict]]) -> ArchiveSummary:
    members: dict[str, dict] = {}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, recorded in _stored_files(data):
            members[FILES + name] = _file_copy(archive, name, recorded)
        payload = json.dumps(data, cls=_Encoder, ensure_ascii=False, indent=1).encode()
        archive.writestr(DATA, payload)
        members[DATA] = {"sha256": hashlib.sha256(payload).hexdigest(), "size": len(payload)}
        counts = {kind: len(rows) for kind, rows in data.items()}
        manifest = {
            "format": FORMAT,
            "muster_version": muster_version(),
            "created_at": timezone.now().isoformat(),
            "agency": agency.slug,
            "counts": counts,
            "members": members,
        }
        archive.writestr(MANIFEST, json.dumps(manifest, indent=1, sort_keys=True))
    total = sum(m["size"] for m in members.values())
    return ArchiveSummary(agency=agency.slug, counts=counts, files=len(members) - 1, bytes=total)


def _file_copy(archive: zipfile.ZipFile, name: str, recorded: str | None) -> dict:
    storage = Attachment._meta.get_field("file").storage
    digest, size = hashlib.sha256(), 0
    try:
        with storage.open(name, "rb") as source, archive.open(FILES + name, "w") as target:
            while chunk := source.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                target.write(chunk)
    except OSError as error:
        raise ArchiveError(f"Cannot read the stored file {name}: {error}") from error
    if recorded and recorded != digest.hexdigest():
        raise ArchiveError(f"The stored file {name} no longer matches the SHA-256 on record.")
    return {"sha256": digest.hexdigest(), "size": size}


# Import -----------------------------------------------------------------------------------------


@dataclass
class _Archive:
    zip: zipfile.ZipFile
    manifest: dict
    data: dict[str, list[dict]]


def archive_read(path: Path) -> _Archive:
    """Open an archive and check every member against the manifest; `ArchiveError` otherwise."""
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as error:
        raise ArchiveError(f"{path} is not a readable Muster archive ({error}).") from error
    try:
        return _archive_check(path, archive)
    except BaseException:
        archive.close()
        raise


def _archive_check(path: Path, archive: zipfile.ZipFile) -> _Archive:
    try:
        manifest = json.loads(archive.read(MANIFEST))
    except (OSError, zipfile.BadZipFile, KeyError, ValueError, zlib.error) as error:
        raise ArchiveError(f"{path} is not a readable Muster archive ({error}).") from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else None
        raise ArchiveError(f"Unknown archive format {found!r}: this Muster reads {FORMAT}.")
    _members_check(archive, manifest.get("members") or {})
    data = json.loads(archive.read(DATA))
    if not isinstance(data, dict) or set(data) != set(KINDS):
        raise ArchiveError(f"data.json does not hold the kinds of row {FORMAT} promises.")
    counts = {kind: len(data[kind]) for kind in KINDS}
    if counts != manifest.get("counts"):
        raise ArchiveError("The row counts in data.json do not match the manifest.")
    return _Archive(zip=archive, manifest=manifest, data=data)


def _members_check(archive: zipfile.ZipFile, members: dict[str, dict]) -> None:
    present = set(archive.namelist()) - {MANIFEST}
    if present != set(members) or DATA not in present:
        odd = sorted(present ^ set(members)) or [DATA]
        raise ArchiveError(f"The archive's members do not match its manifest: {', '.join(odd)}.")
    for name, expected in members.items():
        digest = hashlib.sha256()
        try:
            with archive.open(name) as member:
                while chunk := member.read(CHUNK):
                    digest.update(chunk)
        except (OSError, zipfile.BadZipFile, zlib.error) as error:
            raise ArchiveError(f"{name} is damaged in the archive ({error}).") from error
        if digest.hexdigest() != expected.get("sha256"):
            raise ArchiveError(f"{name} does not match the SHA-256 in the manifest: refused.")


def agency_import(*, path: Path, dry_run: bool = False) -> ArchiveSummary:
    """Restore an archived agency into this instance, all or nothing.

    Refused before anything is written (`ArchiveError`) when the archive is damaged or of an
    unknown format, or when its agency, users, assessment ids or catalog versions clash with
    what is here. Rows are written in one transaction; the files written through the storage
    are removed again if it fails.
    """
    archive = archive_read(path)
    with archive.zip, _shape_errors():
        _target_check(archive.data)
        summary = ArchiveSummary(
            agency=archive.manifest["agency"],
            counts=archive.manifest["counts"],
            files=len(archive.manifest["members"]) - 1,
        )
        if dry_run:
            return summary
        restore = _Restore(archive)
        try:
            with transaction.atomic():
                restore.run()
        except BaseException as error:
            restore.files_remove()
            if isinstance(error, DatabaseError):
                raise ArchiveError(f"The archive does not fit this database: {error}") from error
            raise
    return summary


@contextmanager
def _shape_errors() -> Iterator[None]:
    """Rows that do not have the shape this format promises stop the import with a message."""
    try:
        yield
    except (KeyError, TypeError, ValueError, serializers.base.DeserializationError) as error:
        raise ArchiveError(
            f"data.json does not have the shape of {FORMAT} ({type(error).__name__}: {error})."
        ) from error


def _fields(data: dict, kind: str) -> Iterable[dict]:
    return (row["fields"] for row in data[kind])


def _target_check(data: dict[str, list[dict]]) -> None:
    problems = []
    slugs = [f["slug"] for f in _fields(data, "agencies")]
    if Agency.objects.filter(slug__in=slugs).exists():
        problems.append(f"An agency with the slug {', '.join(slugs)} already exists here.")
    emails = [User.objects.normalize_login(f["email"]) for f in _fields(data, "users")]
    taken = sorted(User.objects.filter(email__in=emails).values_list("email", flat=True))
    if taken:
        problems.append(f"These users already exist here: {', '.join(taken)}.")
    ids = [row["pk"] for row in data["assessments"]]
    used = sorted(Assessment.objects.filter(pk__in=ids).values_list("pk", flat=True))
    if used:
        problems.append(
            f"Assessment ids {', '.join(map(str, used))} are taken here; a signed snapshot "
            "names its assessment's id, so restore into an instance without them."
        )
    problems += _catalog_clashes(data)
    if problems:
        raise ArchiveError(" ".join(problems) + " Nothing was imported.")


def _catalog_clashes(data: dict[str, list[dict]]) -> list[str]:
    slugs = {row["pk"]: row["fields"]["slug"] for row in data["catalogs"]}
    problems = []
    for f in _fields(data, "catalog_versions"):
        here = CatalogVersion.objects.filter(catalog__slug=slugs[f["catalog"]])
        same_number = here.filter(number=f["number"]).first()
        if same_number and same_number.content_sha256 != f["content_sha256"]:
            problems.append(
                f"Catalog {slugs[f['catalog']]} version #{f['number']} here differs from the "
                "archived one."
            )
        elif not same_number and here.filter(content_sha256=f["content_sha256"]).exists():
            problems.append(
                f"Catalog {slugs[f['catalog']]} is loaded here under another number than "
                f"#{f['number']}."
            )
    return problems


class _Restore:
    """Writes an archive's rows and files back; `ids` maps archive ids to new ones, by model."""

    def __init__(self, archive: _Archive) -> None:
        self.zip, self.data = archive.zip, archive.data
        self.ids: dict[type[models.Model], dict[Any, Any]] = defaultdict(dict)
        self.stored: dict[str, str] = {}
        self.storage = Attachment._meta.get_field("file").storage

    def run(self) -> None:
        self.roles()
        self.catalogs()
        self.users()
        agency = self.agency()
        self.insert("schools")
        self.insert("memberships", m2m=("roles", "schools"))
        self.insert("invitations", m2m=("roles", "schools"))
        # Assessments keep their ids, and may refer to each other (revision of, previous).
        self.ids[Assessment] = {row["pk"]: row["pk"] for row in self.data["assessments"]}
        self.insert("assessments", keep_pk=True)
        self.responses()
        self.history()
        self.attachments(agency)
        self.insert("sign_offs")
        self.reports()
        self.insert("audit_events")
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [Assessment]):
                cursor.execute(sql)

    def remap(self, obj: models.Model) -> None:
        for f in obj._meta.concrete_fields:
            old = getattr(obj, f.attname)
            if not f.is_relation or old is None:
                continue
            new = self.ids[f.related_model].get(old)
            # History rows (no database constraint) may name a row long gone; others may not.
            if new is None and f.db_constraint:
                raise ArchiveError(f"{obj._meta.label} refers to a missing {f.name} ({old}).")
            setattr(obj, f.attname, new)

    def insert(
        self, kind: str, *, rows=None, keep_pk=False, bulk=False, m2m=(), change=None
    ) -> list:
        """Write rows of one kind with new keys (or their own), remembering old key → new."""
        model, pairs = KINDS[kind], []
        rows = self.data[kind] if rows is None else rows
        for deserialized in serializers.deserialize("python", rows):
            obj, old = deserialized.object, deserialized.object.pk
            self.remap(obj)
            obj.pk = old if keep_pk else None
            if change:
                change(obj)
            pairs.append((old, obj, deserialized.m2m_data))
        if bulk:
            model._base_manager.bulk_create([obj for _, obj, _ in pairs], batch_size=500)
        for old, obj, m2m_data in pairs:
            if not bulk:
                # A raw save keeps timestamps as they were and skips the write guards.
                obj.save_base(raw=True, force_insert=True)
            self.ids[model][old] = obj.pk
            for name in m2m:
                related = getattr(obj, name)
                related.set([self.ids[related.model][pk] for pk in m2m_data.get(name, [])])
        return [obj for _, obj, _ in pairs]

    def roles(self) -> None:
        here = {role.slug: role.pk for role in Role.objects.all()}
        for row in self.data["roles"]:
            slug = row["fields"]["slug"]
            if slug not in here:
                here[slug] = Role.objects.create(**row["fields"]).pk
            self.ids[Role][row["pk"]] = here[slug]

    def catalogs(self) -> None:
        """Reuse each catalog version already loaded (same slug and number), or write it."""
        slugs = {row["pk"]: row["fields"]["slug"] for row in self.data["catalogs"]}
        missing = []
        for row in self.data["catalog_versions"]:
            f = row["fields"]
            here = CatalogVersion.objects.filter(
                catalog__slug=slugs[f["catalog"]], number=f["number"]
            ).first()
            if here is None:
                missing.append(row["pk"])
                continue
            self.ids[CatalogVersion][row["pk"]] = here.pk
            codes = dict(here.items.values_list("code", "pk"))
            for item in self.data["items"]:
                if item["fields"]["catalog_version"] == row["pk"]:
                    self.ids[Item][item["pk"]] = codes[item["fields"]["code"]]
        if missing:
            self.catalog_versions_write(set(missing), slugs)

    def catalog_versions_write(self, versions: set[int], slugs: dict[int, str]) -> None:
        here = dict(Catalog.objects.filter(slug__in=slugs.values()).values_list("slug", "pk"))
        for old, slug in slugs.items():
            if slug in here:
                self.ids[Catalog][old] = here[slug]
        data = self.data
        of_versions = {  # the rows of the versions to write, and of nothing else
            kind: [r for r in data[kind] if r["fields"]["catalog_version"] in versions]
            for kind in ("sources", "sections", "items", "figures")
        }
        items = {row["pk"] for row in of_versions["items"]}
        figures = {row["pk"] for row in of_versions["figures"]}
        self.insert(
            "catalogs", rows=[r for r in data["catalogs"] if r["fields"]["slug"] not in here]
        )
        self.insert(
            "catalog_versions", rows=[r for r in data["catalog_versions"] if r["pk"] in versions]
        )
        self.insert("sources", rows=of_versions["sources"])
        self.insert("sections", rows=of_versions["sections"])
        self.insert("items", rows=of_versions["items"], m2m=("roles", "sources"))
        self.insert("prompts", rows=[r for r in data["prompts"] if r["fields"]["item"] in items])
        self.insert("figures", rows=of_versions["figures"])
        self.insert(
            "figure_values",
            rows=[r for r in data["figure_values"] if r["fields"]["figure"] in figures],
        )

    def users(self) -> None:
        def plain_account(user: User) -> None:
            # An agency's archive carries its people, not this instance's administrators.
            user.is_staff = user.is_superuser = False
            user.email = User.objects.normalize_login(user.email)

        self.insert("users", change=plain_account)

    def agency(self) -> Agency:
        def logo(agency: Agency) -> None:
            if agency.logo.name:
                agency.logo = self.file_store(agency.logo.name, agency.logo.name)

        return self.insert("agencies", change=logo)[0]

    def responses(self) -> None:
        """By assessment, oldest first: a response may continue one of an earlier assessment."""
        by_assessment = defaultdict(list)
        for row in self.data["responses"]:
            by_assessment[row["fields"]["assessment"]].append(row)
        for assessment in sorted(by_assessment):
            self.insert("responses", rows=by_assessment[assessment], bulk=True)

    def history(self) -> None:
        def of_response(record: models.Model) -> None:
            # `id` is the response's id, kept as a plain column by django-simple-history.
            record.id = self.ids[Response][record.id]

        self.insert("response_history", bulk=True, change=of_response)

    def attachments(self, agency: Agency) -> None:
        def file(attachment: Attachment) -> None:
            name = attachment.file.name
            target = f"evidence/{agency.pk}/{PurePosixPath(name).name}"
            attachment.file = self.file_store(name, target)

        self.insert("attachments", bulk=True, change=file)

    def reports(self) -> None:
        def file(report: Report) -> None:
            if report.file.name:
                report.file = self.file_store(report.file.name, report.file.name)
            if report.state != Report.State.DONE:
                # Its render was queued in the other instance; a lead can retry it here.
                report.state, report.task_id = Report.State.FAILED, ""
                report.error = "Not rendered before the agency was moved: render it again."

        self.insert("reports", change=file)

    def file_store(self, old: str, target: str) -> str:
        """Write an archived file once through the storage; returns the name it was stored as."""
        if old not in self.stored:
            with self.zip.open(FILES + old) as member:
                name = self.storage.save(target, File(member, name=PurePosixPath(target).name))
            self.stored[old] = name
        return self.stored[old]

    def files_remove(self) -> None:
        for name in self.stored.values():
            with suppress(OSError):  # the original failure is the one to report
                self.storage.delete(name)
        self.stored.clear()
