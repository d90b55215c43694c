"""Loading a catalog file into the database, as a new frozen version."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import Max

from accounts.models import Role
from checklists.catalog.models import (
    Catalog,
    CatalogVersion,
    EvidencePrompt,
    Figure,
    FigureValue,
    Item,
    Section,
    Source,
)
from checklists.catalog.reader import CatalogError, CatalogSpec, Problem, PromptSpec, read_catalog

# The item fields a file gives that are copied to the row as they are.
ITEM_FIELDS = {"code", "title", "guidance", "practice", "why", "basis", "origin", "scope", "weight"}


@dataclass(frozen=True)
class CatalogLoad:
    version: CatalogVersion
    created: bool


def catalog_load(*, path: Path | str) -> CatalogLoad:
    """Load a catalog file as a new version, unless its content is already loaded.

    The whole file is checked before anything is written (`CatalogError` otherwise), and the
    write is one transaction. A version is never changed once written, so an assessment keeps
    the exact items it was started on.
    """
    spec = read_catalog(path)
    try:
        return _catalog_write(spec=spec, source_file=Path(path).name)
    except ValidationError as error:
        # The reader checks what the models check; should they ever differ, the file is still
        # refused as a whole, with the model's own words.
        fields = error.message_dict if hasattr(error, "error_dict") else {"": error.messages}
        problems = [
            Problem(1, "" if field == NON_FIELD_ERRORS else field, message)
            for field, messages in fields.items()
            for message in messages
        ]
        raise CatalogError(path, problems) from error


@transaction.atomic
def _catalog_write(*, spec: CatalogSpec, source_file: str) -> CatalogLoad:
    digest = spec.sha256()
    catalog, _ = Catalog.objects.select_for_update().get_or_create(
        slug=spec.slug, defaults={"title": spec.title}
    )
    existing = catalog.versions.filter(content_sha256=digest).first()
    if existing is not None:
        return CatalogLoad(version=existing, created=False)
    if catalog.title != spec.title:
        catalog.title = spec.title
        catalog.save(update_fields=["title"])
    number = (catalog.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = CatalogVersion(
        catalog=catalog,
        number=number,
        content_sha256=digest,
        source_file=source_file,
        **spec.model_dump(
            include={"version", "title", "publisher", "source_url", "published", "description"}
        ),
    )
    version.full_clean()
    version.save()
    roles = _roles_save(spec)
    sources = _sources_create(spec, version)
    _items_create(spec, version, roles, sources)
    _figures_create(spec, version, sources)
    return CatalogLoad(version=version, created=True)


def _roles_save(spec: CatalogSpec) -> dict[str, Role]:
    """Roles are shared by every catalog and by people: create new ones, keep names current."""
    existing = {
        role.slug: role for role in Role.objects.filter(slug__in=[r.slug for r in spec.roles])
    }
    for order, role_spec in enumerate(spec.roles):
        values = {"name": role_spec.name, "description": role_spec.description, "order": order}
        role = existing.get(role_spec.slug)
        if role is None:
            existing[role_spec.slug] = Role.objects.create(slug=role_spec.slug, **values)
        elif any(getattr(role, field) != value for field, value in values.items()):
            Role.objects.filter(pk=role.pk).update(**values)
    return existing


def _sources_create(spec: CatalogSpec, version: CatalogVersion) -> dict[str, Source]:
    sources = [
        Source(
            catalog_version=version,
            key=s.key,
            citation=s.citation,
            url=s.url or "",
            doi=s.doi or "",
            order=order,
        )
        for order, s in enumerate(spec.sources)
    ]
    return {source.key: source for source in _bulk_create(Source, sources)}


def _items_create(
    spec: CatalogSpec, version: CatalogVersion, roles: dict[str, Role], sources: dict[str, Source]
) -> None:
    sections = _bulk_create(
        Section,
        [
            Section(
                catalog_version=version, code=s.code, title=s.title, summary=s.summary, order=order
            )
            for order, s in enumerate(spec.sections)
        ],
    )
    pairs = [
        (sections[s], item) for s, section in enumerate(spec.sections) for item in section.items
    ]
    items = _bulk_create(
        Item,
        [
            Item(
                catalog_version=version,
                section=section,
                order=order,
                **item.model_dump(include=ITEM_FIELDS),
            )
            for order, (section, item) in enumerate(pairs)
        ],
    )
    prompts, item_roles, item_sources = [], [], []
    for item, (_, item_spec) in zip(items, pairs, strict=True):
        prompts += [_prompt(item, order, p) for order, p in enumerate(item_spec.prompts)]
        item_roles += [Item.roles.through(item=item, role=roles[slug]) for slug in item_spec.roles]
        item_sources += [
            Item.sources.through(item=item, source=sources[key]) for key in item_spec.sources
        ]
    _bulk_create(EvidencePrompt, prompts)
    Item.roles.through.objects.bulk_create(item_roles)
    Item.sources.through.objects.bulk_create(item_sources)


def _prompt(item: Item, order: int, spec: PromptSpec) -> EvidencePrompt:
    def number(value) -> Decimal | None:
        return value if isinstance(value, Decimal) else None

    def day(value) -> date | None:
        return value if isinstance(value, date) else None

    return EvidencePrompt(
        item=item,
        key=spec.key,
        kind=spec.kind,
        label=spec.label,
        help_text=spec.help,
        required=spec.required,
        order=order,
        min_number=number(spec.min),
        max_number=number(spec.max),
        unit=spec.unit or "",
        min_date=day(spec.min),
        max_date=day(spec.max),
        not_after_today=spec.max == "today",
        max_length=spec.max_length,
        choices=list(spec.choices or []),
        whole=bool(spec.whole),
        max_of=spec.max_of or "",
    )


def _figures_create(spec: CatalogSpec, version: CatalogVersion, sources: dict[str, Source]) -> None:
    figures = _bulk_create(
        Figure,
        [
            Figure(
                catalog_version=version,
                order=order,
                source=sources[f.source],
                **f.model_dump(include={"key", "title", "note", "period", "unit"}),
            )
            for order, f in enumerate(spec.figures)
        ],
    )
    values = [
        FigureValue(figure=figure, label=v.label, value=v.value, order=order)
        for figure, f in zip(figures, spec.figures, strict=True)
        for order, v in enumerate(f.values)
    ]
    _bulk_create(FigureValue, values)


def _bulk_create[M](model: type[M], objects: list[M]) -> list[M]:
    """Check each row as the model would, then insert them all at once."""
    for obj in objects:
        obj.full_clean(validate_unique=False, validate_constraints=False)
    return model.objects.bulk_create(objects)
