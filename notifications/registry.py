"""Where other apps plug in what the digest and the calendar feed list.

A digest source takes the people due a digest and the local date of each of their agencies, and
yields (user id, Section) pairs; it reads everything it needs in a fixed number of queries, so a
run costs the same for 40 people as for 4,000. A calendar source takes one person and yields
`Event`s. Training records and corrective actions register theirs from their AppConfig.ready():

    registry.register_digest_source(training_sources.expiring)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from accounts.models import Membership, User


@dataclass(frozen=True)
class Line:
    text: str
    url: str = ""  # a path on this site; the email makes it absolute


@dataclass(frozen=True)
class Section:
    title: str
    lines: list[Line] = field(default_factory=list)
    order: int = 50  # lower comes first


@dataclass(frozen=True)
class Event:
    """One all-day event of a calendar feed; `uid` stays the same when the date moves."""

    uid: str
    day: date
    summary: str
    url: str = ""
    description: str = ""


DigestSource = Callable[[list[Membership], dict[int, date]], Iterable[tuple[int, Section]]]
CalendarSource = Callable[[User], Iterable[Event]]

digest_sources: list[DigestSource] = []
calendar_sources: list[CalendarSource] = []


def register_digest_source(source: DigestSource) -> DigestSource:
    if source not in digest_sources:
        digest_sources.append(source)
    return source


def register_calendar_source(source: CalendarSource) -> CalendarSource:
    if source not in calendar_sources:
        calendar_sources.append(source)
    return source
