"""Many people at once: racing saves of one response lose nothing silently.

These tests run real threads, each with its own database connection, against the real test
database (a file on SQLite, where writers queue on IMMEDIATE transactions; row locks on
PostgreSQL). They commit for real, hence `transaction=True`. Barriers, not sleeps, decide who
has read what before anyone writes, so every run races the same way.
"""

from __future__ import annotations

import re
import threading

import pytest
from django.test import Client
from django.urls import reverse

from checklists.assessments.services import ResponseConflict, response_update
from checklists.models import Response
from tests.helpers import no_errors, response_for, together

ROUNDS, WRITERS = 4, 5  # each round: five writers read the same version, then all save

pytestmark = pytest.mark.django_db(transaction=True)


def assert_no_update_lost(target: Response, before: int, wins: list[tuple[int, str]]) -> None:
    """One version and one history row per winner, each winner's text kept, the last one stored."""
    target.refresh_from_db()
    versions = sorted(version for version, _ in wins)
    assert versions == list(range(before + 1, before + 1 + len(wins)))
    assert target.version == before + len(wins)
    edits = target.history.filter(history_change_reason="edit")
    assert edits.count() == len(wins)
    assert sorted(edits.values_list("version", "notes")) == sorted(wins)
    assert target.notes == dict(wins)[target.version]


def test_racing_saves_either_win_or_conflict_and_none_is_lost(assessment, editor):
    target = response_for(assessment, "LER-01")
    before = target.version
    wins, conflicts = [], []

    for round_ in range(ROUNDS):  # later rounds read what an earlier winner committed
        all_read = threading.Barrier(WRITERS)

        def save(index: int, round_=round_, all_read=all_read) -> tuple[str, int, int]:
            read = Response.objects.get(pk=target.pk)
            all_read.wait(timeout=30)  # nobody saves before everyone has read
            try:
                saved = response_update(
                    response=read,
                    by=editor,
                    expected_version=read.version,
                    status=Response.Status.IN_PROGRESS,
                    notes=f"writer {round_}.{index}",
                )
            except ResponseConflict as conflict:
                return "conflict", read.version, conflict.current.version
            return "won", read.version, saved.version

        outcomes = no_errors(together(WRITERS, save))

        won = [
            (saved, f"writer {round_}.{i}")
            for i, (kind, _, saved) in enumerate(outcomes)
            if kind == "won"
        ]
        # Everyone read the same version: exactly one saved it, everyone else was refused.
        assert {read for _, read, _ in outcomes} == {before + round_}
        assert len(won) == 1, outcomes
        wins += won
        conflicts += [(read, stored) for kind, read, stored in outcomes if kind == "conflict"]

    assert len(conflicts) == ROUNDS * (WRITERS - 1)
    assert all(stored == read + 1 for read, stored in conflicts)
    assert_no_update_lost(target, before, wins)


def test_racing_saves_through_the_page_conflict_instead_of_overwriting(assessment, editor, lead):
    target = response_for(assessment, "LER-01")
    before = target.version
    page = reverse("response_detail", args=[assessment.agency.slug, target.pk])
    clients = []
    for index in range(10):
        client = Client()
        client.force_login(editor if index % 2 else lead)
        clients.append(client)
    all_opened = threading.Barrier(len(clients))

    def save(index: int) -> tuple[int, int, str]:
        client = clients[index]
        form = client.get(page).content.decode()
        version = int(re.search(r'name="version" value="(\d+)"', form).group(1))
        all_opened.wait(timeout=30)  # everyone has the form open before anyone saves
        answer = client.post(
            page,
            {"version": version, "status": "in_progress", "notes": f"writer {index}"},
            headers={"HX-Request": "true"},
        )
        return answer.status_code, version, answer.content.decode()

    outcomes = no_errors(together(len(clients), save))

    assert {status for status, _, _ in outcomes} == {200}
    assert {version for _, version, _ in outcomes} == {before}
    conflicts = [i for i, (_, _, html) in enumerate(outcomes) if "after you opened it" in html]
    winners = [i for i in range(len(clients)) if i not in conflicts]
    assert len(winners) == 1, outcomes
    target.refresh_from_db()
    assert target.version == before + 1
    kept = list(target.history.filter(history_change_reason="edit").values_list("notes", flat=True))
    assert kept == [f"writer {winners[0]}"]
