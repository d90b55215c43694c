"""Fetch an assessment, response, attachment or review comment for a request, or refuse.

Objects are looked up within the agency of the URL (already checked by `get_agency`), so another
agency's object is a 404; a member without the permission gets a 403.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from accounts.models import Agency
from checklists.assessments.models import Assessment, Attachment, Response, ReviewComment


def get_assessment(request: HttpRequest, agency: Agency, pk: int) -> Assessment:
    assessment = get_object_or_404(
        Assessment.objects.select_related("catalog_version__catalog", "previous"),
        agency=agency,
        pk=pk,
    )
    assessment.agency = agency  # the agency already read: not read again for each use
    return assessment


def get_response(
    request: HttpRequest, agency: Agency, pk: int, perm: str | None = None
) -> Response:
    response = get_object_or_404(
        Response.objects.select_related(
            "assessment__agency", "assessment__catalog_version", "item__section", "school", "owner"
        ),
        assessment__agency=agency,
        pk=pk,
    )
    if perm and not request.user.has_perm(perm, response):
        raise PermissionDenied
    return response


def get_attachment(
    request: HttpRequest, agency: Agency, pk: int, perm: str | None = None
) -> Attachment:
    attachment = get_object_or_404(
        Attachment.objects.select_related("response__assessment__agency"),
        response__assessment__agency=agency,
        pk=pk,
    )
    if perm and not request.user.has_perm(perm, attachment.response):
        raise PermissionDenied
    return attachment


def get_comment(
    request: HttpRequest, agency: Agency, pk: int, perm: str | None = None
) -> ReviewComment:
    comment = get_object_or_404(
        ReviewComment.objects.select_related("response__assessment__agency", "response__item"),
        response__assessment__agency=agency,
        pk=pk,
    )
    if perm and not request.user.has_perm(perm, comment):
        raise PermissionDenied
    return comment
