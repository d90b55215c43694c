"""Who may do what with exercises and the improvement plan.

Every member reads them; the agency's own staff (never a public viewer) download the signed
after-action reports, which leads sign. Leads and editors record exercises and keep the plan; an SRO records
exercises at the schools they serve. A corrective action's owner (a person on the roster with a
Muster account) moves their own action along; anyone who keeps the plan verifies it, except the
person who did it (the service refuses that beside its field).
"""

from __future__ import annotations

import rules

from accounts.models import Agency
from accounts.rules import is_editor, is_internal, is_lead, is_member, is_sro, membership_of


def _agency(obj) -> Agency | None:
    if obj is None or isinstance(obj, Agency):
        return obj
    exercise = getattr(obj, "exercise", obj)
    return exercise.agency


@rules.predicate
def reads(user, obj) -> bool:
    return is_member(user, _agency(obj))


@rules.predicate
def keeps_plan(user, obj) -> bool:
    return is_editor(user, _agency(obj))


@rules.predicate
def leads(user, obj) -> bool:
    return is_lead(user, _agency(obj))


@rules.predicate
def reads_sensitive(user, obj) -> bool:
    """The agency's own staff: the after-action report is Law Enforcement Sensitive, so a
    public viewer never gets it."""
    return is_internal(user, _agency(obj))


@rules.predicate
def records_at_schools(user, obj) -> bool:
    """An SRO: any new exercise (at their schools, the form insists), or one at their school."""
    agency = _agency(obj)
    if not is_sro(user, agency):
        return False
    if isinstance(obj, Agency):
        return True
    return obj.school_id in membership_of(user, agency).school_ids


@rules.predicate
def owns_action(user, action) -> bool:
    owner = getattr(action, "owner", None)
    return owner is not None and owner.user_id is not None and owner.user_id == user.pk


rules.add_perm("exercises.view", reads)
rules.add_perm("exercises.record", keeps_plan | records_at_schools)
rules.add_perm("exercises.change_exercise", keeps_plan | records_at_schools)
rules.add_perm("exercises.manage_plan", keeps_plan)
rules.add_perm("exercises.progress_action", keeps_plan | owns_action)
rules.add_perm("exercises.verify_action", keeps_plan)
rules.add_perm("exercises.sign_aar", leads)
rules.add_perm("exercises.download_aar", reads_sensitive)
