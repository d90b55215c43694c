"""Who may do what in the checklists: every permission of the app is a predicate here.

Predicates about an assessment's response take the response; agency-level ones come from
`accounts.rules`. Views ask `user.has_perm(...)` through the access helpers of each room.
"""

from __future__ import annotations

import rules

from accounts.models import Membership
from accounts.rules import is_editor, is_internal, is_lead, is_member, is_sro, membership_of


@rules.predicate
def is_open(user, response) -> bool:
    """Responses change only while their assessment is a draft."""
    return response.assessment.is_editable


@rules.predicate
def edits_agency_items(user, response) -> bool:
    return is_editor(user, response.assessment.agency)


@rules.predicate
def serves_the_school(user, response) -> bool:
    """An SRO edits the items of the schools they serve, and only those."""
    membership = membership_of(user, response.assessment.agency)
    return (
        membership is not None
        and membership.access == Membership.Access.SRO
        and response.school_id in membership.school_ids
    )


@rules.predicate
def takes_comments(user, response) -> bool:
    """Review comments are taken in a draft and in review (that is what review is for), not on
    a signed-off record."""
    return not response.assessment.is_locked


@rules.predicate
def comment_can_change(user, comment) -> bool:
    return not comment.response.assessment.is_locked


@rules.predicate
def reviews_or_owns_the_item(user, comment) -> bool:
    """The lead and editors resolve comments, and so does the person the item is assigned to."""
    response = comment.response
    return is_editor(user, response.assessment.agency) or (
        user.is_authenticated and response.owner_id == user.pk
    )


@rules.predicate
def is_public_edition(user, report) -> bool:
    return report.edition == "public"  # Report.Edition.PUBLIC (signoff sits above this module)


@rules.predicate
def reads_the_reports_agency(user, report) -> bool:
    """The staff of the agency read every edition; a public viewer only the public summary."""
    agency = report.sign_off.assessment.agency
    return is_internal(user, agency) or (
        is_member(user, agency) and is_public_edition(user, report)
    )


@rules.predicate
def leads_the_reports_agency(user, report) -> bool:
    return is_lead(user, report.sign_off.assessment.agency)


rules.add_perm("checklists.start_assessment", is_lead)
rules.add_perm("checklists.change_assessment", is_lead)
rules.add_perm("checklists.delete_assessment", is_lead)
rules.add_perm("checklists.assign_responses", is_editor)
rules.add_perm("checklists.edit_any_response", is_editor)
# Confirming carried-over items in bulk: editors any, an SRO those of the schools they serve.
rules.add_perm("checklists.confirm_responses", is_editor | is_sro)
rules.add_perm("checklists.change_response", is_open & (edits_agency_items | serves_the_school))
rules.add_perm("checklists.comment_response", takes_comments & edits_agency_items)
rules.add_perm("checklists.resolve_comment", comment_can_change & reviews_or_owns_the_item)
rules.add_perm("checklists.submit_assessment", is_editor)
rules.add_perm("checklists.sign_off_assessment", is_lead)
rules.add_perm("checklists.download_report", reads_the_reports_agency)
rules.add_perm("checklists.retry_report", leads_the_reports_agency)
