"""Fetch an exercise record for a request, or refuse: another agency's is a 404, a member without
the permission gets a 403 (`accounts.access`)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from accounts.models import Agency
from exercises.models import (
    AfterActionReport,
    CorrectiveAction,
    Exercise,
    Observation,
    Organization,
    ReviewAttachment,
)

VIEW = "exercises.view"


def require(request: HttpRequest, obj, perm: str = VIEW) -> None:
    if not request.user.has_perm(perm, obj):
        raise PermissionDenied


def get_exercise(request: HttpRequest, agency: Agency, pk: int, perm: str = VIEW) -> Exercise:
    exercise = get_object_or_404(
        Exercise.objects.select_related("agency", "school", "course", "catalog_version"),
        agency=agency,
        pk=pk,
    )
    require(request, agency if perm == VIEW else exercise, perm)
    return exercise


def get_observation(
    request: HttpRequest, agency: Agency, pk: int, perm: str = "exercises.change_exercise"
) -> Observation:
    """A finding, for whoever may change its exercise (an SRO at the exercise's school too)."""
    observation = get_object_or_404(
        Observation.objects.select_related("objective__exercise__agency"),
        objective__exercise__agency=agency,
        pk=pk,
    )
    require(request, observation.objective.exercise, perm)
    return observation


def get_action(request: HttpRequest, agency: Agency, pk: int, perm: str = VIEW) -> CorrectiveAction:
    action = get_object_or_404(
        CorrectiveAction.objects.select_related(
            "exercise__agency", "owner", "organization", "observation", "done_by", "verified_by"
        ),
        exercise__agency=agency,
        pk=pk,
    )
    require(request, agency if perm == VIEW else action, perm)
    return action


def get_attachment(
    request: HttpRequest, agency: Agency, pk: int, perm: str = VIEW
) -> ReviewAttachment:
    attachment = get_object_or_404(
        ReviewAttachment.objects.select_related("exercise__agency", "exercise__school"),
        exercise__agency=agency,
        pk=pk,
    )
    require(request, agency if perm == VIEW else attachment.exercise, perm)
    return attachment


def get_aar(
    request: HttpRequest, agency: Agency, pk: int, perm: str = "exercises.download_aar"
) -> AfterActionReport:
    report = get_object_or_404(
        AfterActionReport.objects.select_related("exercise__agency"),
        exercise__agency=agency,
        pk=pk,
    )
    require(request, agency, perm)
    return report


def get_organization(
    request: HttpRequest, agency: Agency, pk: int, perm: str = "exercises.manage_plan"
) -> Organization:
    organization = get_object_or_404(Organization, agency=agency, pk=pk)
    require(request, agency, perm)
    return organization
