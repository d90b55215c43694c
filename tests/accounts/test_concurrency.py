"""Two leads changing each other's membership at the same instant: one change wins, the other is
refused with a reason, and nobody gets the "database unavailable" page.

Real threads, each with its own database connection, committing for real; on PostgreSQL the
row locks are the ones that deadlocked before every membership change took them in one order
(accounts.services._membership_locked). See tests/checklists/assessments/test_concurrency.py.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from accounts.models import Membership
from accounts.services import membership_remove, membership_update
from tests.factories import MembershipFactory, UserFactory
from tests.helpers import no_errors, together

pytestmark = pytest.mark.django_db(transaction=True)

ROUNDS = 5


@pytest.fixture
def leads(agency, lead) -> list[Membership]:
    """Two leads and, so that either may step down, a third."""
    others = [
        MembershipFactory(
            agency=agency,
            access=Membership.Access.LEAD,
            user=UserFactory(email=f"lead{n}@harbor.example"),
        )
        for n in (2, 3)
    ]
    return [lead.memberships.get(agency=agency), *others]


def only_refusals_or_none(outcomes: list) -> list:
    """Every outcome is a change made (None) or a ValidationError: no database error."""
    unexpected = [o for o in outcomes if o is not None and not isinstance(o, ValidationError)]
    assert not unexpected, unexpected
    return outcomes


def test_two_leads_demoting_each_other_at_once_never_deadlock(leads):
    first, second, _ = leads
    pairs = [(first, second), (second, first)]  # (who acts, on whom)

    def demote(index: int):
        actor, target = pairs[index]
        target = Membership.objects.get(pk=target.pk)
        membership_update(membership=target, access="editor", roles=[], schools=[], by=actor.user)

    for _ in range(ROUNDS):
        Membership.objects.filter(pk__in=[first.pk, second.pk]).update(
            access=Membership.Access.LEAD
        )

        outcomes = only_refusals_or_none(together(2, demote))

        # The one who waited lost their own lead access to the other: refused, with the reason.
        assert sorted(o is None for o in outcomes) == [False, True], outcomes
        refusal = next(o for o in outcomes if o is not None)
        assert "Your own access changed meanwhile" in refusal.messages[0]
        assert Membership.objects.filter(pk__in=[first.pk, second.pk], access="lead").count() == 1


def test_two_leads_removing_each_other_at_once_never_deadlock(agency, leads):
    first, second, third = leads

    def remove(index: int):
        actor, target = [(first, second), (second, first)][index]
        membership_remove(membership=Membership.objects.get(pk=target.pk), by=actor.user)

    outcomes = only_refusals_or_none(together(2, remove))

    assert sorted(o is None for o in outcomes) == [False, True], outcomes
    assert Membership.objects.filter(agency=agency, access="lead").count() == 2
    assert Membership.objects.filter(pk=third.pk).exists()


def test_two_leads_demoting_each_other_through_the_page_get_no_error_page(agency, leads):
    first, second, _ = leads
    clients = []
    for membership in (first, second):
        client = Client()
        client.force_login(membership.user)
        clients.append(client)
    targets = [second, first]

    def post(index: int):
        page = reverse("people_edit", args=[agency.slug, targets[index].pk])
        return clients[index].post(page, {"access": "editor"})

    answers = no_errors(together(2, post))

    # Whoever comes second is refused plainly: with the reason when the two changes overlapped
    # (the form again), or by the permission check when the first had already demoted them.
    statuses = sorted(a.status_code for a in answers)
    assert statuses in ([200, 302], [302, 403]), answers
    if statuses == [200, 302]:
        refused = next(a for a in answers if a.status_code == 200).content.decode()
        assert "Your own access changed meanwhile" in refused
    assert Membership.objects.filter(pk__in=[first.pk, second.pk], access="lead").count() == 1
