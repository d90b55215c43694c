"""Many people at once: racing saves lose nothing silently, racing sign-offs make one sign-off.

These tests run real threads, each with its own database connection, against the real test
database (a file on SQLite, where writers queue on IMMEDIATE transactions; row locks on
PostgreSQL). They commit for real, hence `transaction=True`.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts.models import Membership
from checklists.assessments.services import ResponseConflict, response_update
from checklists.models import Assessment, Response, SignOff
from checklists.signoff.services import assessment_sign_off, assessment_submit
from tests.checklists.test_services_assessments import response_for
from tests.factories import MembershipFactory, UserFactory

PASSWORD = "correct-horse-battery"  # the factories' password
WRITERS = 20

pytestmark = pytest.mark.django_db(transaction=True)


def together[T](count: int, work: Callable[[int], T]) -> list[T | BaseException]:
    """Run `work(0)` … `work(count - 1)` in threads released at the same instant."""
    start = threading.Barrier(count)
    outcomes: list[T | BaseException] = [RuntimeError("did not finish")] * count

    def run(index: int) -> None:
        try:
            start.wait(timeout=30)
            outcomes[index] = work(index)
        except BaseException as error:  # handed to the test, which reports it
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def no_errors(outcomes: list) -> list:
    errors = [o for o in outcomes if isinstance(o, BaseException)]
    assert not errors, errors
    return outcomes


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

    def save(index: int) -> tuple[str, int, int]:
        time.sleep(index % 5 * 0.01)  # some read before a winner commits, some after
        read = Response.objects.get(pk=target.pk)
        try:
            saved = response_update(
                response=read,
                by=editor,
                expected_version=read.version,
                status=Response.Status.IN_PROGRESS,
                notes=f"writer {index}",
            )
        except ResponseConflict as conflict:
            return "conflict", read.version, conflict.current.version
        return "won", read.version, saved.version

    outcomes = no_errors(together(WRITERS, save))

    wins = [(saved, f"writer {i}") for i, (kind, _, saved) in enumerate(outcomes) if kind == "won"]
    assert wins
    conflicts = [(read, stored) for kind, read, stored in outcomes if kind == "conflict"]
    assert len(wins) + len(conflicts) == WRITERS
    assert all(stored > read for read, stored in conflicts)
    # Each version read was won by exactly one writer; everyone else who read it was refused.
    read_versions = {read for _, read, _ in outcomes}
    assert sorted(saved - 1 for saved, _ in wins) == sorted(read_versions)
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

    def save(index: int) -> tuple[int, int, str]:
        client = clients[index]
        form = client.get(page).content.decode()
        version = int(re.search(r'name="version" value="(\d+)"', form).group(1))
        answer = client.post(
            page,
            {"version": version, "status": "in_progress", "notes": f"writer {index}"},
            headers={"HX-Request": "true"},
        )
        return answer.status_code, version, answer.content.decode()

    outcomes = no_errors(together(len(clients), save))

    assert {status for status, _, _ in outcomes} == {200}
    conflicts = [i for i, (_, _, html) in enumerate(outcomes) if "after you opened it" in html]
    winners = [i for i in range(len(clients)) if i not in conflicts]
    assert winners
    target.refresh_from_db()
    assert target.version == before + len(winners)
    kept = set(target.history.filter(history_change_reason="edit").values_list("notes", flat=True))
    assert kept == {f"writer {i}" for i in winners}


@pytest.fixture
def two_leads(complete_assessment, lead, settings):
    # The reports are not what is raced here: queue them nowhere.
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    second = MembershipFactory(
        agency=complete_assessment.agency,
        access=Membership.Access.LEAD,
        user=UserFactory(email="deputy@harbor.example", full_name="Sam Ortiz"),
    ).user
    assessment_submit(assessment=complete_assessment, by=lead)
    return lead, second


def test_two_leads_signing_at_once_make_one_sign_off(complete_assessment, two_leads):
    def sign(index: int) -> SignOff:
        return assessment_sign_off(
            assessment=complete_assessment,
            by=two_leads[index],
            typed_name=two_leads[index].full_name,
            typed_title="Chief of Police",
            attest=True,
            password=PASSWORD,
        )

    outcomes = together(2, sign)

    signed = [o for o in outcomes if isinstance(o, SignOff)]
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert (len(signed), len(refused)) == (1, 1), outcomes
    assert "already been signed off" in refused[0].messages[0]
    assert SignOff.objects.get() == signed[0]
    assert signed[0].reports.count() == 2
    complete_assessment.refresh_from_db()
    assert complete_assessment.state == Assessment.State.SIGNED_OFF


def test_two_leads_signing_at_once_through_the_page(complete_assessment, two_leads):
    agency = complete_assessment.agency
    page = reverse("assessment_sign_off", args=[agency.slug, complete_assessment.pk])
    clients = []
    for user in two_leads:
        client = Client()
        client.force_login(user)
        clients.append(client)

    def sign(index: int):
        return clients[index].post(
            page,
            {
                "typed_name": two_leads[index].full_name,
                "typed_title": "Chief of Police",
                "attest": "on",
                "password": PASSWORD,
            },
        )

    outcomes = no_errors(together(2, sign))

    assert sorted(answer.status_code for answer in outcomes) == [200, 302]
    refusal = next(answer for answer in outcomes if answer.status_code == 200)
    assert "already been signed off" in refusal.content.decode()
    assert SignOff.objects.count() == 1
