"""Writing one agency's rows and files to an archive (see `checklists.archive.format`)."""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core import serializers
from django.db import connection, models, transaction
from django.utils import timezone

from accounts.models import Agency, AuditEvent, Invitation, Membership, Role, School, User
from checklists.archive.format import (
    CHUNK,
    DATA,
    FILES,
    FORMAT,
    KINDS,
    MANIFEST,
    ArchiveError,
    ArchiveSummary,
    HistoricalResponse,
    kinds,
    muster_version,
    sections,
    stored_files,
)
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
    apps_rows: dict[str, models.QuerySet] = {}
    for section in sections():
        apps_rows |= section.rows(agency)
    # The versions the agency's assessments use, and any other an app's rows name (an exercise
    # recorded before the agency's first assessment is on the latest version loaded).
    versions = CatalogVersion.objects.filter(
        models.Q(assessments__agency=agency) | models.Q(pk__in=_ids_of(CatalogVersion, apps_rows))
    ).distinct()
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
        "review_comments": ReviewComment.objects.filter(response__assessment__agency=agency),
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
    rows |= apps_rows
    rows["users"] = User.objects.filter(pk__in=_ids_of(User, rows))
    rows["roles"] = Role.objects.filter(
        models.Q(items__catalog_version__in=versions)
        | models.Q(memberships__in=memberships)
        | models.Q(pk__in=invitations.values("roles"))
        | models.Q(pk__in=_role_ids(rows))
    ).distinct()
    return rows


def _role_ids(rows: dict[str, models.QuerySet]) -> set[int]:
    """The roles the registered apps' rows name (a person's functional roles, say)."""
    ids: set[int] = set()
    for kind, queryset in rows.items():
        if kind in KINDS:
            continue
        for f in queryset.model._meta.get_fields():
            if f.related_model is Role and not f.auto_created:  # a foreign key or a many
                ids |= set(queryset.exclude(**{f.name: None}).values_list(f.name, flat=True))
    return ids


def _ids_of(model: type[models.Model], rows: dict[str, models.QuerySet]) -> set[int]:
    """Every row of `model` the rows name by a foreign key: for users, members, and also signers
    or authors who left."""
    ids: set[int] = set()
    for queryset in rows.values():
        for f in queryset.model._meta.concrete_fields:
            if f.is_relation and f.related_model is model:
                ids |= set(queryset.exclude(**{f.attname: None}).values_list(f.attname, flat=True))
    return ids


def _agency_rows(agency: Agency) -> dict[str, list[dict]]:
    querysets = _agency_querysets(agency)
    data = {
        kind: serializers.serialize("python", querysets[kind].order_by("pk")) for kind in kinds()
    }
    member_ids = set(querysets["memberships"].values_list("user_id", flat=True))
    for row in data["users"]:
        row["fields"].pop("groups", None)
        row["fields"].pop("user_permissions", None)
        # Only members keep their password: a former member named in the records cannot sign in.
        if row["pk"] not in member_ids:
            row["fields"]["password"] = make_password(None)
    return data


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
        for name, recorded in stored_files(data):
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
