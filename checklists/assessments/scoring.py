"""Readiness: the weighted share of applicable responses that are in place.

An item's weight counts once per response. Not-applicable responses leave the denominator; a
response carried over from the previous assessment counts as in place only once confirmed.
Everything is computed by the database, so the cost does not grow with the number of rows
fetched into Python.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from checklists.assessments.models import TO_CONFIRM, Response

S = Response.Status
IN_PLACE = Q(status=S.IN_PLACE, carried_over=False)
APPLICABLE = ~Q(status=S.NOT_APPLICABLE)
# Carried over from the previous assessment and recorded in place, not yet confirmed: these count
# once someone confirms them, and every score says how many wait, so none reads 0% unexplained.
AWAITING = Q(status=S.IN_PLACE, carried_over=True)


@dataclass(frozen=True)
class Score:
    label: str
    done: int  # weight in place
    total: int  # weight applicable
    in_place: int  # responses in place
    applicable: int  # responses applicable
    awaiting: int = 0  # responses in place but carried over, awaiting confirmation
    key: object = None
    to_confirm: int = 0  # responses carried over, whatever their status, not yet confirmed

    @property
    def open(self) -> int:
        """Applicable responses not (yet) counting as in place: the items still to do."""
        return self.applicable - self.in_place

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


def _aggregates() -> dict:
    return {
        "done": Coalesce(Sum("item__weight", filter=IN_PLACE), Value(0)),
        "total": Coalesce(Sum("item__weight", filter=APPLICABLE), Value(0)),
        "in_place": Count("pk", filter=IN_PLACE),
        "applicable": Count("pk", filter=APPLICABLE),
        "awaiting": Count("pk", filter=AWAITING),
        "to_confirm": Count("pk", filter=TO_CONFIRM),
    }


FIGURES = tuple(_aggregates())  # the names of a Score's figures, as the database gives them


def overall(responses: QuerySet[Response], label: str = "Overall") -> Score:
    return Score(label=label, **responses.aggregate(**_aggregates()))


def combined(parts: list[Score], label: str = "Overall") -> Score:
    """The score of disjoint groups together (every section: the overall score), without asking
    the database again: each figure is a sum."""
    return Score(
        label=label,
        done=sum(p.done for p in parts),
        total=sum(p.total for p in parts),
        in_place=sum(p.in_place for p in parts),
        applicable=sum(p.applicable for p in parts),
        awaiting=sum(p.awaiting for p in parts),
        to_confirm=sum(p.to_confirm for p in parts),
    )


def _grouped(responses: QuerySet[Response], key: str, label: str, order: str) -> list[Score]:
    return [_score(row, key) for row in _group_rows(responses, [key], label, order)]


def _group_rows(responses: QuerySet[Response], keys: list[str], label: str, order: str):
    return (
        responses.order_by()
        .values(*keys)
        .annotate(group_label=F(label), group_order=F(order), **_aggregates())
        .order_by("group_order", "group_label")
    )


def _score(row: dict, key: str) -> Score:
    return Score(
        key=row[key],
        label=row["group_label"],
        **{name: row[name] for name in FIGURES},
    )


SECTION = ("item__section", "item__section__title", "item__section__order")


def by_section(responses: QuerySet[Response]) -> list[Score]:
    return _grouped(responses, *SECTION)


def by_section_each(assessment_ids: list[int]) -> dict[int, list[Score]]:
    """by_section of each assessment, in one query (the dashboard compares two)."""
    key, label, order = SECTION
    rows = _group_rows(
        Response.objects.filter(assessment_id__in=assessment_ids), ["assessment", key], label, order
    )
    each = defaultdict(list)
    for row in rows:
        each[row["assessment"]].append(_score(row, key))
    return {pk: each[pk] for pk in assessment_ids}


def by_role(responses: QuerySet[Response]) -> list[Score]:
    return _grouped(responses, "item__roles", "item__roles__name", "item__roles__order")


def by_school(responses: QuerySet[Response]) -> list[Score]:
    return _grouped(
        responses.filter(school__isnull=False), "school", "school__name", "school__name"
    )
