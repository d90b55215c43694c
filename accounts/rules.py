"""Who may do what: every permission in Muster is a predicate here.

Agency-level predicates take the user and an agency; response-level ones take a response.
Views never test access levels themselves; they ask `user.has_perm(...)` through the access
helpers (`accounts.access`, `checklists.access`), which turn a refusal into a 404 or a 403.
"""

from __future__ import annotations

import rules

from accounts.models import Agency, Membership


def _membership(user, agency: Agency | None) -> Membership | None:
    if agency is None or not user.is_authenticated:
        return None
    return user.membership_in(agency)


def _access(user, agency: Agency | None) -> str | None:
    membership = _membership(user, agency)
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


@rules.predicate
def is_sro(user, agency: Agency | None) -> bool:
    return _access(user, agency) == Membership.Access.SRO


@rules.predicate
def leads_the_members_agency(user, membership: Membership | None) -> bool:
    """A lead acts on the members of their own agency only."""
    return membership is not None and is_lead(user, membership.agency)


@rules.predicate
def is_open(user, response) -> bool:
    return not response.assessment.is_locked


@rules.predicate
def edits_agency_items(user, response) -> bool:
    return is_editor(user, response.assessment.agency)


@rules.predicate
def serves_the_school(user, response) -> bool:
    """An SRO edits the items of the schools they serve, and only those."""
    membership = _membership(user, response.assessment.agency)
    return (
        membership is not None
        and membership.access == Membership.Access.SRO
        and response.school_id in membership.school_ids
    )


rules.add_perm("accounts.view_agency", is_member)
rules.add_perm("accounts.manage_people", is_lead)
rules.add_perm("accounts.manage_schools", is_lead)
rules.add_perm("accounts.unlock_member", leads_the_members_agency)

rules.add_perm("checklists.start_assessment", is_lead)
rules.add_perm("checklists.assign_responses", is_editor)
rules.add_perm("checklists.edit_any_response", is_editor)
rules.add_perm("checklists.change_response", is_open & (edits_agency_items | serves_the_school))
rules.add_perm("checklists.submit_assessment", is_editor)
rules.add_perm("checklists.sign_off_assessment", is_lead)
rules.add_perm("accounts.change_agency", is_lead)
rules.add_perm("accounts.view_audit_log", is_lead)
