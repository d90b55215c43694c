"""The shipped courses and checklist figures (`training/data/courses.yaml`), read and checked."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

import yaml

COURSES_FILE = Path(__file__).parent / "data" / "courses.yaml"
MEASURES = {"people", "population", "last_date", "sessions", "participants"}


class CoursesError(ValueError):
    pass


@dataclass(frozen=True)
class FigureSpec:
    """One evidence prompt computed from training records."""

    item: str
    prompt: str
    measure: str
    courses: tuple[str, ...] = ()
    sworn: bool = False
    within_months: int | None = None


@cache
def read_courses(path: Path = COURSES_FILE) -> tuple[tuple[dict, ...], tuple[FigureSpec, ...]]:
    """The file's courses (as model fields) and figures; `CoursesError` if it is inconsistent."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    courses = tuple(_course(entry, order) for order, entry in enumerate(data["courses"]))
    codes = {c["code"] for c in courses}
    if len(codes) != len(courses):
        raise CoursesError(f"{path.name}: two courses share a code.")
    figures = tuple(
        FigureSpec(**{**f, "courses": tuple(f.get("courses", ()))}) for f in data["figures"]
    )
    for spec in figures:
        if spec.measure not in MEASURES:
            raise CoursesError(f"{spec.item}.{spec.prompt}: unknown measure {spec.measure!r}.")
        if unknown := set(spec.courses) - codes:
            raise CoursesError(f"{spec.item}.{spec.prompt}: unknown courses {sorted(unknown)}.")
    return courses, figures


def _course(entry: dict, order: int) -> dict:
    return {
        "code": entry["code"],
        "name": entry["name"],
        "provider": entry.get("provider", ""),
        "hours": Decimal(str(entry["hours"])),
        "valid_months": entry.get("valid_months"),
        "evidences": list(entry.get("evidences", [])),
        "description": (entry.get("description") or "").strip(),
        "source_url": entry.get("source_url", ""),
        "order": order,
    }
