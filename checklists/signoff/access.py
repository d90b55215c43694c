"""Fetch a signed or draft report for a request, or refuse (another agency's is a 404)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from accounts.models import Agency
from checklists.signoff.models import DraftReport, Report


def get_report(request: HttpRequest, agency: Agency, pk: int, perm: str | None = None) -> Report:
    report = get_object_or_404(
        Report.objects.select_related("sign_off__assessment__agency"),
        sign_off__assessment__agency=agency,
        pk=pk,
    )
    if perm and not request.user.has_perm(perm, report):
        raise PermissionDenied
    return report


def get_draft(request: HttpRequest, agency: Agency, pk: int) -> DraftReport:
    return get_object_or_404(
        DraftReport.objects.select_related("assessment__agency"), assessment__agency=agency, pk=pk
    )
