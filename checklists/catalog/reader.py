"""Read and validate catalog files.

A catalog file is YAML (the format is in `catalogs/SCHEMA.md`). `read_catalog` checks the whole
file and returns a `CatalogSpec`, or raises `CatalogError` listing every problem with its file,
line and field. Nothing here touches the database: `services.catalog_load` writes a checked spec.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from django.core.validators import URLValidator
from django.core.validators import ValidationError as DjangoValidationError
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    line: int
    field: str
    message: str


class CatalogError(Exception):
    """A catalog file that cannot be loaded, with every problem found in it."""

    def __init__(self, path: Path | str, problems: list[Problem]) -> None:
        self.path = str(path)
        self.problems = problems
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(
            f"{self.path}:{p.line}: {p.field}: {p.message}"
            if p.field
            else f"{self.path}:{p.line}: {p.message}"
            for p in self.problems
        )


def _iso_date(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


# A double-quoted YAML string may spell any character ("\0"); PostgreSQL refuses NUL in text.
CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _printable(value: str) -> str:
    if CONTROL_CHARACTER.search(value):
        raise ValueError("contains a control character")
    return value


def _url(value: str) -> str:
    try:
        URLValidator(schemes=["http", "https"])(value)
    except DjangoValidationError:
        raise ValueError("is not a valid http(s) URL") from None
    return value


def _text(max_length: int, min_length: int = 1) -> Any:
    return Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length),
        AfterValidator(_printable),
    ]


Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=100)]
Key = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=50)]
Code = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2,8}-\d{2,3}$")]
Url = Annotated[str, StringConstraints(max_length=500), AfterValidator(_url)]
PartialDate = Annotated[
    str, BeforeValidator(_iso_date), StringConstraints(pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$")
]
Number = Annotated[Decimal, Field(ge=-(10**9), le=10**9, decimal_places=2)]
# Strict: a lax date would take a number as a Unix timestamp.
Bound = Annotated[date, Field(strict=True)] | Number | Literal["today"] | None


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True, frozen=True)


class RoleSpec(_Spec):
    slug: Slug
    name: _text(100)
    description: _text(1000, 0) = ""


class SourceSpec(_Spec):
    key: Slug
    citation: _text(2000)
    url: Url | None = None
    doi: _text(200) | None = None


class PromptSpec(_Spec):
    key: Key
    kind: Literal["date", "number", "boolean", "text", "choice", "file"]
    label: _text(200)
    help: _text(1000, 0) = ""
    required: bool = False
    min: Bound = None
    max: Bound = None
    unit: _text(50) | None = None
    max_length: Annotated[int, Field(ge=1, le=100_000)] | None = None
    choices: list[_text(200)] | None = None
    whole: bool | None = None
    max_of: Key | None = None


class ItemSpec(_Spec):
    code: Code
    title: _text(200)
    guidance: _text(5000)
    practice: _text(5000, 0) = ""
    why: _text(5000)
    basis: _text(200)
    # Unmarked, an item is Muster's own suggestion: nothing reads as the source's by default.
    origin: Literal["finding", "cited", "practice"] = "practice"
    scope: Literal["agency", "school"] = "agency"
    weight: Annotated[int, Field(ge=1, le=3)] = 1
    roles: list[Slug] = Field(min_length=1)
    sources: list[Slug] = Field(min_length=1)
    prompts: list[PromptSpec] = Field(min_length=1)


class SectionSpec(_Spec):
    code: Annotated[Slug, StringConstraints(max_length=50)]
    title: _text(200)
    summary: _text(2000, 0) = ""
    items: list[ItemSpec] = Field(min_length=1)


class FigureValueSpec(_Spec):
    label: _text(200)
    value: Annotated[int, Field(ge=0, le=2**31 - 1)]  # a PositiveIntegerField everywhere


class FigureSpec(_Spec):
    key: Slug
    title: _text(200)
    note: _text(2000, 0) = ""
    period: _text(50, 0) = ""
    unit: _text(50)
    source: Slug
    values: list[FigureValueSpec] = Field(min_length=1)


class CatalogSpec(_Spec):
    slug: Slug
    title: _text(200)
    publisher: _text(200)
    source_url: Url
    version: _text(50)
    published: PartialDate
    description: _text(5000, 0) = ""
    roles: list[RoleSpec] = Field(min_length=1)
    sources: list[SourceSpec] = Field(min_length=1)
    sections: list[SectionSpec] = Field(min_length=1)
    figures: list[FigureSpec] = []

    def items(self) -> Iterator[tuple[SectionSpec, ItemSpec]]:
        for section in self.sections:
            for item in section.items:
                yield section, item

    def sha256(self) -> str:
        """A fingerprint of the content, blind to comments, quoting and layout."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """Safe YAML (libyaml's fast parser when present) whose bad values, such as 2022-02-30, are
    YAML errors with a line."""

    def construct_object(self, node, deep=False):
        try:
            return super().construct_object(node, deep)
        # A date that does not exist, a huge int, or an explicit `!!timestamp` on a value that is
        # none (PyYAML's constructor then fails on its own regular expression's missing match).
        except (ValueError, OverflowError, AttributeError) as error:
            raise yaml.constructor.ConstructorError(
                None, None, str(error), node.start_mark
            ) from error


MAX_DEPTH = 50  # a catalog needs about ten levels; building the tree recurses once per level


def _check_shape(text: str) -> None:
    """Refuse aliases and deep nesting before any tree is built.

    An alias repeats a whole subtree where it is used: nine nested levels of ten aliases are a
    billion nodes to check ("billion laughs"). A catalog has no need for them.
    """
    depth = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.AliasEvent):
            raise yaml.MarkedYAMLError(
                problem="aliases (*name) are not allowed", problem_mark=event.start_mark
            )
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise yaml.MarkedYAMLError(
                    problem="is nested too deeply", problem_mark=event.start_mark
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _parse(text: str) -> tuple[yaml.Node | None, Any]:
    """The document's node tree (for line numbers) and its data, from one parse."""
    _check_shape(text)
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        return root, loader.construct_document(root) if root is not None else None
    finally:
        loader.dispose()


def read_catalog(path: Path | str) -> CatalogSpec:
    """Read and check a catalog file as a whole; raise `CatalogError` naming every problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CatalogError(path, [Problem(1, "", f"cannot be read: {error}")]) from error
    try:
        root, data = _parse(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        reason = getattr(error, "problem", None) or str(error)
        raise CatalogError(path, [Problem(line, "", f"is not valid YAML: {reason}")]) from error
    lines: dict[Loc, int] = {(): 1}
    problems = _map_lines(root, (), lines)
    if not isinstance(data, dict):
        raise CatalogError(path, [Problem(1, "", "must be a mapping of catalog fields")])
    try:
        spec = CatalogSpec.model_validate(data)
    except ValidationError as error:
        problems += [
            _problem(lines, data, tuple(e["loc"]), _message(e))
            for e in error.errors(include_url=False)
        ]
        raise CatalogError(path, problems) from error
    problems += [_problem(lines, data, loc, message) for loc, message in _cross_check(spec)]
    if problems:
        raise CatalogError(path, sorted(problems, key=lambda p: p.line))
    return spec


def _message(error: dict) -> str:
    if error["type"] == "extra_forbidden":
        return "is not a known field"
    if error["type"] == "missing":
        return "is required"
    if error["type"] == "value_error":
        return str(error["ctx"]["error"])
    return error["msg"][0].lower() + error["msg"][1:]


def _map_lines(node: yaml.Node | None, path: Loc, lines: dict[Loc, int]) -> list[Problem]:
    """Record the line of every key and list entry; PyYAML keeps a repeated key silently."""
    problems = []
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = (*path, key_node.value)
            line = key_node.start_mark.line + 1
            if child in lines:
                problems.append(Problem(line, _dotted(child), "appears twice"))
            lines[child] = line
            problems += _map_lines(value_node, child, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, value_node in enumerate(node.value):
            child = (*path, index)
            lines[child] = value_node.start_mark.line + 1
            problems += _map_lines(value_node, child, lines)
    return problems


def _dotted(loc: Loc) -> str:
    field = ""
    for part in loc:
        field += f"[{part}]" if isinstance(part, int) else (f".{part}" if field else str(part))
    return field


def _problem(lines: dict[Loc, int], data: dict, loc: Loc, message: str) -> Problem:
    """A problem at `loc`, on the line of the nearest field the file has, naming its item."""
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            line = lines[loc[:end]]
            break
    field = _dotted(loc)
    if len(loc) >= 4 and loc[0] == "sections" and loc[2] == "items":
        with contextlib.suppress(KeyError, IndexError, TypeError):
            field += f" (item {data['sections'][loc[1]]['items'][loc[3]]['code']})"
    return Problem(line, field, message)


def _duplicates(values: list[str]) -> set[str]:
    return {value for value, count in Counter(values).items() if count > 1}


def _cross_check(spec: CatalogSpec) -> Iterator[tuple[Loc, str]]:
    """What a schema cannot say: unique keys, references that resolve, bounds that fit the kind."""
    for name, key in [
        ("roles", "slug"),
        ("sources", "key"),
        ("sections", "code"),
        ("figures", "key"),
    ]:
        entries = getattr(spec, name)
        repeated = _duplicates([getattr(entry, key) for entry in entries])
        for index, entry in enumerate(entries):
            if getattr(entry, key) in repeated:
                yield (name, index, key), f"{getattr(entry, key)!r} is used more than once"
    roles = {role.slug for role in spec.roles}
    sources = {source.key for source in spec.sources}
    pages = {source.key for source in spec.sources if source.url == spec.source_url}
    codes = _duplicates([item.code for _, item in spec.items()])
    for s, section in enumerate(spec.sections):
        for i, item in enumerate(section.items):
            at = ("sections", s, "items", i)
            if item.code in codes:
                yield (*at, "code"), f"{item.code!r} is used by more than one item"
            for name, known in (("roles", roles), ("sources", sources)):
                yield from _references(at, name, getattr(item, name), known)
            if item.origin == "cited" and set(item.sources) <= pages:
                yield (
                    (*at, "origin"),
                    "is cited, but the item's sources name only the catalog's own page",
                )
            repeated = _duplicates([prompt.key for prompt in item.prompts])
            for p, prompt in enumerate(item.prompts):
                if prompt.key in repeated:
                    yield (*at, "prompts", p, "key"), f"{prompt.key!r} is used more than once"
                for field, message in _prompt_problems(prompt):
                    yield (*at, "prompts", p, field), message
                for field, message in _relation_problems(prompt, item.prompts):
                    yield (*at, "prompts", p, field), message
    for f, figure in enumerate(spec.figures):
        if figure.source not in sources:
            yield ("figures", f, "source"), f"{figure.source!r} is not one of the catalog's sources"


def _references(at: Loc, name: str, used: list[str], known: set[str]) -> Iterator[tuple[Loc, str]]:
    """An item's roles or sources: each one of the catalog's, and each once."""
    repeated = _duplicates(used)
    for index, value in enumerate(used):
        if value not in known:
            yield (*at, name, index), f"{value!r} is not one of the catalog's {name}"
        elif value in repeated:
            yield (*at, name, index), f"{value!r} is listed more than once"


def _prompt_problems(prompt: PromptSpec) -> Iterator[tuple[str, str]]:
    allowed = {
        "number": {"min", "max", "unit", "whole", "max_of"},
        "date": {"min", "max"},
        "text": {"max_length"},
        "choice": {"choices"},
    }.get(prompt.kind, set())
    for field in ("min", "max", "unit", "max_length", "choices", "whole", "max_of"):
        if getattr(prompt, field) is not None and field not in allowed:
            yield field, f"does not apply to a {prompt.kind} prompt"
    for field in ("min", "max"):
        value = getattr(prompt, field)
        if value is None or field not in allowed:
            continue
        if prompt.kind == "number" and not isinstance(value, Decimal):
            yield field, "must be a number"
        if prompt.kind == "date" and not isinstance(value, date) and value != "today":
            yield field, "must be a date (YYYY-MM-DD) or today"
    low, high = prompt.min, prompt.max
    if type(low) is type(high) and low is not None and not isinstance(low, str) and low > high:
        yield "min", "is greater than max"
    if prompt.kind == "choice":
        if not prompt.choices or len(prompt.choices) < 2:
            yield "choices", "a choice prompt needs at least two choices"
        elif _duplicates(prompt.choices):
            yield "choices", "has the same choice twice"


def _relation_problems(prompt: PromptSpec, prompts: list[PromptSpec]) -> Iterator[tuple[str, str]]:
    """`max_of` names another number prompt of the same item (a part never exceeds its whole)."""
    if prompt.max_of is None or prompt.kind != "number":
        return
    kinds = {other.key: other.kind for other in prompts}
    if prompt.max_of == prompt.key:
        yield "max_of", "names the prompt itself"
    elif prompt.max_of not in kinds:
        yield "max_of", f"{prompt.max_of!r} is not a prompt of this item"
    elif kinds[prompt.max_of] != "number":
        yield "max_of", f"{prompt.max_of!r} is a {kinds[prompt.max_of]} prompt, not a number"
