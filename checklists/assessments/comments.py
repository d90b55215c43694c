"""Review comments on a response: added by the lead and editors, resolved or reopened.

Commenting is what a review is for, so comments are taken while an assessment is a draft and
while it is in review; a signed-off assessment is a record and takes none. Each act takes the
assessment's row lock, as every write does, so a comment racing a sign-off lands before its
snapshot (and is printed in it) or is refused.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.audit import record
from accounts.models import AuditEvent, User
from checklists.assessments.models import Assessment, AssessmentLocked, Response, ReviewComment


def _lock(assessment_id: int) -> Assessment:
    assessment = Assessment.objects.select_for_update().get(pk=assessment_id)
    if assessment.is_locked:
        raise AssessmentLocked
    return assessment


def _record(action: str, comment: ReviewComment, *, by: User, verb: str) -> None:
    response = comment.response
    record(
        action,
        agency=response.assessment.agency,
        actor=by,
        target=comment,
        summary=f"{verb} a review comment on {response}",
        response_id=response.pk,
        assessment_id=response.assessment_id,
        comment_id=comment.pk,
    )


@transaction.atomic
def comment_add(*, response: Response, body: str, by: User) -> ReviewComment:
    """Add a review comment to a response; `AssessmentLocked` once it is signed off."""
    _lock(response.assessment_id)
    comment = ReviewComment(response=response, author=by, body=body.strip())
    comment.full_clean()
    comment.save()
    _record(AuditEvent.Action.COMMENT_ADDED, comment, by=by, verb="Added")
    return comment


@transaction.atomic
def comment_resolve(*, comment: ReviewComment, by: User) -> ReviewComment:
    """Mark a comment as dealt with (nothing happens to one already resolved)."""
    _lock(comment.response.assessment_id)
    comment = ReviewComment.objects.select_for_update().get(pk=comment.pk)
    if not comment.is_resolved:
        comment.resolved_at, comment.resolved_by = timezone.now(), by
        comment.save(update_fields=["resolved_at", "resolved_by"])
        _record(AuditEvent.Action.COMMENT_RESOLVED, comment, by=by, verb="Resolved")
    return comment


@transaction.atomic
def comment_reopen(*, comment: ReviewComment, by: User) -> ReviewComment:
    """Open a resolved comment again (nothing happens to one still open)."""
    _lock(comment.response.assessment_id)
    comment = ReviewComment.objects.select_for_update().get(pk=comment.pk)
    if comment.is_resolved:
        comment.resolved_at, comment.resolved_by = None, None
        comment.save(update_fields=["resolved_at", "resolved_by"])
        _record(AuditEvent.Action.COMMENT_REOPENED, comment, by=by, verb="Reopened")
    return comment
