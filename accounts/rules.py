"""Who may do what: every permission in Muster is a predicate here.

Predicates take the user and the agency the object belongs to. Views never test access levels
themselves; they ask `user.has_perm(...)` through the helpers in `accounts.access`.
"""

from __future__ import annotations

import rules

from accounts.models import Agency, Membership


def _access(user, agency: Agency | None) -> str | None:
    if agency is None or not user.is_authenticated:
        return None
    membership = user.membership_in(agency)
    return membership.access if membership else None


@rules.predicate
def is_member(user, agency: Agency | None) -> bool:
    return _access(user, agency) is not None


@rules.predicate
def is_lead(user, agency: Agency | None) -> bool:
    return _access(user, agency) == Membership.Access.LEAD


@rules.predicate
def is_editor(user, agency: Agency | None) -> bool:
    return _access(user, agency) in (Membership.Access.LEAD, Membership.Access.EDITOR)


rules.add_perm("accounts.view_agency", is_member)
rules.add_perm("accounts.manage_people", is_lead)
rules.add_perm("accounts.manage_schools", is_lead)
