"""Readiness: the weighted share of applicable responses that are in place.

An item's weight counts once per response. Not-applicable responses leave the denominator; a
response carried over from the previous assessment counts as in place only once confirmed.
The database counts, by status (or sums with the rules as filters, where it must order by the
score); Python adds up a few rows per group, or for the sections and roles a few per catalog
item, so the rows fetched do not grow with the number of responses.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, NullIf

from checklists.assessments.models import TO_CONFIRM, Response
from checklists.catalog.models import Item

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
    rows = (
        responses.order_by()
        .values_list("status", "carried_over")
        .annotate(n=Count("pk"), weight=Sum("item__weight"))
    )
    return _score(sum((_figures(*row) for row in rows), Counter()), label)


# The database counts the responses of each status, which is cheaper to ask for than the six
# filtered sums of _aggregates(); Python then applies the same rules to each count.
def _figures(status: str, carried_over: bool, n: int, weight: int) -> Counter:
    """The figures of `n` responses of one status, weighing `weight` together: the rules of
    IN_PLACE, APPLICABLE, AWAITING and TO_CONFIRM."""
    applicable, in_place = status != S.NOT_APPLICABLE, status == S.IN_PLACE and not carried_over
    return Counter(
        done=weight if in_place else 0,
        total=weight if applicable else 0,
        in_place=n if in_place else 0,
        applicable=n if applicable else 0,
        awaiting=n if status == S.IN_PLACE and carried_over else 0,
        to_confirm=n if carried_over else 0,
    )


def _score(figures, label: str, key=None) -> Score:
    return Score(label=label, key=key, **{name: figures[name] for name in FIGURES})


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


def by_section(responses: QuerySet[Response]) -> list[Score]:
    return breakdown(responses).sections


def by_role(responses: QuerySet[Response]) -> list[Score]:
    return breakdown(responses).roles


@dataclass(frozen=True)
class Breakdown:
    """Scores by section and by role (a response counts once for each of its item's roles)."""

    sections: list[Score]
    roles: list[Score]


# A response's weight is its item's, so the database counts the responses of each item and
# status, without a join, and the sections and roles are sums over the few items: the rows
# fetched are the catalog's items by status, whatever the number of schools.
_BY_STATUS = ("status", "carried_over")


def breakdown(responses: QuerySet[Response]) -> Breakdown:
    counts = list(responses.order_by().values_list("item", *_BY_STATUS).annotate(n=Count("pk")))
    return _fold(counts, _item_facts(counts))


def breakdown_each(assessment_ids: list[int]) -> dict[int, Breakdown]:
    """breakdown() of each assessment (the dashboard compares two), in the same two queries."""
    rows = Response.objects.filter(assessment_id__in=assessment_ids).order_by()
    counts = list(rows.values_list("assessment", "item", *_BY_STATUS).annotate(n=Count("pk")))
    facts = _item_facts([row[1:] for row in counts])
    return {pk: _fold([row[1:] for row in counts if row[0] == pk], facts) for pk in assessment_ids}


@dataclass
class _ItemFacts:
    weight: int
    section: tuple  # (order, title, pk): sorts as the sections are shown
    roles: list = field(default_factory=list)  # [(order, name, pk)]


def _item_facts(counts: list[tuple]) -> dict[int, _ItemFacts]:
    """The weight, section and roles of each item of (item, ...) rows, in one query."""
    facts = {}
    items = Item.objects.filter(pk__in={item for item, *_ in counts}).order_by()
    rows = items.values_list(
        "pk", "weight", "section__order", "section__title", "section",
        "roles__order", "roles__name", "roles",
    )  # fmt: skip
    for pk, weight, *section_and_role in rows:  # a row per role of each item
        section, role = tuple(section_and_role[:3]), tuple(section_and_role[3:])
        item = facts.setdefault(pk, _ItemFacts(weight, section))
        if role[-1] is not None:
            item.roles.append(role)
    return facts


def _fold(counts: list[tuple], facts: dict[int, _ItemFacts]) -> Breakdown:
    """(item, status, carried over, responses) rows into the sections' and roles' scores."""
    sections, roles = defaultdict(Counter), defaultdict(Counter)
    for pk, status, carried_over, n in counts:
        item = facts[pk]
        figures = _figures(status, carried_over, n, item.weight * n)
        sections[item.section].update(figures)
        for role in item.roles:
            roles[role].update(figures)
    return Breakdown(_scores(sections), _scores(roles))


def _scores(groups: dict[tuple, Counter]) -> list[Score]:
    return [
        _score(figures, label, pk)
        for (_, label, pk), figures in sorted(groups.items(), key=lambda group: group[0][:2])
    ]


def by_school(responses: QuerySet[Response], *, furthest_behind: int | None = None) -> list[Score]:
    """Each school's score, by name; with `furthest_behind`, only that many schools, those of
    lowest readiness first (a large agency's dashboard), chosen by the database."""
    rows = (
        responses.filter(school__isnull=False)
        .order_by()
        .values("school")
        .annotate(group_label=F("school__name"), **_aggregates())
    )
    if furthest_behind is None:
        rows = rows.order_by("group_label")
    else:
        share = Coalesce(F("done") * 1.0 / NullIf(F("total"), 0), 0.0)  # Score.percent's order
        rows = rows.order_by(share, "group_label")[:furthest_behind]
    return [_score(row, row["group_label"], row["school"]) for row in rows]
