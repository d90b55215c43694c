"""Reading an archive back into this database, all or nothing (see `checklists.archive.format`)."""

from __future__ import annotations

import hashlib
import json
import zipfile
import zlib
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from django.core import serializers
from django.core.files import File
from django.core.management.color import no_style
from django.db import DatabaseError, connection, models, transaction

from accounts.models import Agency, Role, User
from checklists.archive.format import (
    CHUNK,
    DATA,
    FILES,
    FORMAT,
    KINDS,
    MANIFEST,
    ArchiveError,
    ArchiveSummary,
    kinds,
    sections,
    stored_files,
)
from checklists.models import (
    Assessment,
    Attachment,
    Catalog,
    CatalogVersion,
    Item,
    Report,
    Response,
    SignOff,
)


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
    every = kinds()
    if not isinstance(data, dict) or not set(KINDS) <= set(data) <= set(every):
        raise ArchiveError(f"data.json does not hold the kinds of row {FORMAT} promises.")
    counts = {kind: len(data[kind]) for kind in data}
    if counts != manifest.get("counts"):
        raise ArchiveError("The row counts in data.json do not match the manifest.")
    data = {kind: [] for kind in every} | data  # an app's kinds, from before it registered: none
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
        _files_check(archive)
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


def _files_check(archive: _Archive) -> None:
    """Every file a row points at is in the archive, with the SHA-256 the row records for it."""
    members = archive.manifest["members"]
    for name, recorded in stored_files(archive.data):
        member = members.get(FILES + name)
        if member is None:
            raise ArchiveError(f"The archive lacks the file {name} its rows point at: refused.")
        if recorded and member["sha256"] != recorded:
            raise ArchiveError(f"{FILES}{name} does not match the SHA-256 on record: refused.")


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
    for section in sections():
        problems += section.check(data) if section.check else []
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
        self.insert("review_comments", bulk=True)
        self.sign_offs()
        self.reports()
        for section in sections():
            section.restore(self, agency)
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
        model, pairs = kinds()[kind], []
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

    def sign_offs(self) -> None:
        def logo(sign_off: SignOff) -> None:
            if sign_off.logo.name:
                sign_off.logo = self.file_store(sign_off.logo.name, sign_off.logo.name)

        self.insert("sign_offs", change=logo)

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
