"""What happened elsewhere, heard through signals, turned into notifications with `notify`.

accounts and checklists record their acts in the audit log and a response's changes in its
history; both are rows saved in the act's own transaction, so a notification made here commits
or rolls back with the act. Nothing in those apps imports this module.
"""

from __future__ import annotations

from django.urls import reverse

from accounts.models import AuditEvent, Invitation, Membership, User
from checklists.assessments.models import Assessment, Response, ReviewComment
from notifications.models import Kind
from notifications.services import notify

Action = AuditEvent.Action


def on_audit_event(sender, instance: AuditEvent, created: bool, **kwargs) -> None:
    handler = _HANDLERS.get(instance.action)
    if created and handler is not None and instance.target_id:
        handler(instance)


def on_response_history(sender, instance, history_instance, **kwargs) -> None:
    """An item given to someone (edited or assigned in bulk): tell the new owner."""
    if not isinstance(instance, Response) or instance.owner_id is None:
        return
    previous = history_instance.prev_record
    if previous is not None and previous.owner_id == instance.owner_id:
        return
    if instance.owner_id == history_instance.history_user_id:
        return  # who takes an item on knows it
    assessment = instance.assessment
    where = f" at {instance.school.name}" if instance.school_id else ""
    due = f", target {instance.target_date:%b %-d, %Y}" if instance.target_date else ""
    notify(
        users=[instance.owner],
        agency=assessment.agency,
        kind=Kind.ASSIGNED,
        key=f"response:{instance.pk}:owner:{instance.owner_id}:v{instance.version}",
        title=f"Assigned to you: {instance.item.code} {instance.item.title}{where} "
        f"({assessment}{due})",
        url=instance.get_absolute_url(),
    )


def _assessment(event: AuditEvent) -> Assessment | None:
    return Assessment.objects.select_related("agency").filter(pk=event.target_id).first()


def _members(agency, *, leads_only: bool = False):
    people = User.objects.filter(memberships__agency=agency, is_active=True)
    if leads_only:
        people = people.filter(memberships__access=Membership.Access.LEAD)
    return people


def _submitted(event: AuditEvent) -> None:
    if assessment := _assessment(event):
        notify(
            users=_members(assessment.agency, leads_only=True).exclude(pk=event.actor_id),
            agency=assessment.agency,
            kind=Kind.SUBMITTED,
            key=f"assessment:{assessment.pk}:submitted:{event.pk}",
            title=f"{assessment} was submitted for your review by {event.person}",
            url=reverse(
                "assessment_review", kwargs={"slug": assessment.agency.slug, "pk": assessment.pk}
            ),
        )


def _returned(event: AuditEvent) -> None:
    assessment = _assessment(event)
    if assessment and assessment.submitted_by_id and assessment.submitted_by_id != event.actor_id:
        notify(
            users=[assessment.submitted_by],
            agency=assessment.agency,
            kind=Kind.RETURNED,
            key=f"assessment:{assessment.pk}:returned:{event.pk}",
            title=f"{assessment} was returned to you for more work by {event.person}",
            url=assessment.get_absolute_url(),
        )


def _signed_off(event: AuditEvent) -> None:
    if assessment := _assessment(event):
        notify(
            users=_members(assessment.agency).exclude(pk=event.actor_id),
            agency=assessment.agency,
            kind=Kind.SIGNED_OFF,
            key=f"assessment:{assessment.pk}:signed_off:{event.pk}",
            title=f"{assessment} was signed off by {event.person}: the signed report is ready",
            url=reverse(
                "assessment_reports", kwargs={"slug": assessment.agency.slug, "pk": assessment.pk}
            ),
        )


def _invitation_accepted(event: AuditEvent) -> None:
    invitation = Invitation.objects.select_related("agency", "invited_by").filter(
        pk=event.target_id
    )
    invitation = invitation.first()
    if invitation and invitation.invited_by_id and invitation.invited_by_id != event.actor_id:
        notify(
            users=[invitation.invited_by],
            agency=invitation.agency,
            kind=Kind.INVITATION_ACCEPTED,
            key=f"invitation:{invitation.pk}:accepted",
            title=f"{event.person} accepted your invitation to {invitation.agency.name}",
            url=reverse("people", kwargs={"slug": invitation.agency.slug}),
        )


def _commented(event: AuditEvent) -> None:
    """A review comment on an item: tell the person it is assigned to (unless they wrote it)."""
    comment = (
        ReviewComment.objects.select_related(
            "response__owner", "response__item", "response__school", "response__assessment__agency"
        )
        .filter(pk=event.target_id)
        .first()
    )
    response = comment.response if comment else None
    if response is None or response.owner_id is None or response.owner_id == event.actor_id:
        return
    where = f" at {response.school.name}" if response.school_id else ""
    notify(
        users=[response.owner],
        agency=response.assessment.agency,
        kind=Kind.COMMENTED,
        key=f"comment:{comment.pk}:added",
        title=f"{event.person} commented on {response.item.code} {response.item.title}{where}",
        url=response.get_absolute_url() + f"#comments-{response.pk}",
    )


_HANDLERS = {
    Action.ASSESSMENT_SUBMITTED: _submitted,
    Action.ASSESSMENT_RETURNED: _returned,
    Action.ASSESSMENT_SIGNED_OFF: _signed_off,
    Action.INVITATION_ACCEPTED: _invitation_accepted,
    Action.COMMENT_ADDED: _commented,
}
