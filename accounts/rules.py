"""Who may do what in accounts: agencies, people, schools and the audit log.

Agency-level predicates take the user and an agency; other apps build on them in their own
`rules.py` (`checklists.rules`). Views never test access levels themselves; they ask
`user.has_perm(...)` through the access helpers (`accounts.access` and each app's), which turn a
refusal into a 404 or a 403.
"""

from __future__ import annotations

import rules

from accounts.models import Agency, Membership


def membership_of(user, agency: Agency | None) -> Membership | None:
    if agency is None or not user.is_authenticated:
        return None
    return user.membership_in(agency)


def _access(user, agency: Agency | None) -> str | None:
    membership = membership_of(user, agency)
    return membership.access if membership else None


@rules.predicate
def is_member(user, agency: Agency | None) -> bool:
    """Any member, the public viewer too: enough for what the agency publishes."""
    return _access(user, agency) is not None


@rules.predicate
def is_internal(user, agency: Agency | None) -> bool:
    """A member of the agency's own staff: every access level but the public viewer's.

    A public viewer (a council liaison, a school board) sees the signed public summaries and
    their scores only: no checklist, evidence, full report, school or person.
    """
    return _access(user, agency) not in (None, Membership.Access.PUBLIC)


@rules.predicate
def is_lead(user, agency: Agency | None) -> bool:
    return _access(user, agency) == Membership.Access.LEAD


@rules.predicate
def is_editor(user, agency: Agency | None) -> bool:
    return _access(user, agency) in (Membership.Access.LEAD, Membership.Access.EDITOR)


@rules.predicate
def is_sro(user, agency: Agency | None) -> bool:
    return _access(user, agency) == Membership.Access.SRO


@rules.predicate
def leads_the_members_agency(user, membership: Membership | None) -> bool:
    """A lead acts on the members of their own agency only."""
    return membership is not None and is_lead(user, membership.agency)


rules.add_perm("accounts.view_agency", is_internal)
rules.add_perm("accounts.view_published", is_member)
rules.add_perm("accounts.manage_people", is_lead)
rules.add_perm("accounts.manage_schools", is_lead)
rules.add_perm("accounts.unlock_member", leads_the_members_agency)

rules.add_perm("accounts.change_agency", is_lead)
rules.add_perm("accounts.view_audit_log", is_lead)
