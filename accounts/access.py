"""Fetch an object for a request, or refuse.

Each helper returns the object or raises: another agency's object (or an agency the user does not
belong to) is a 404, so its existence is not revealed; a member without the permission gets a 403.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404

from accounts.models import Agency, Invitation, Membership, School


def _require(request: HttpRequest, perm: str, agency: Agency) -> None:
    if not request.user.has_perm(perm, agency):
        raise PermissionDenied


def get_agency(request: HttpRequest, slug: str, perm: str = "accounts.view_agency") -> Agency:
    membership = request.user.agency_memberships.get(slug)
    if membership is None:
        raise Http404("No agency of yours has that address.")
    _require(request, perm, membership.agency)
    if request.session.get("agency") != slug:
        request.session["agency"] = slug
    return membership.agency


def get_school(request: HttpRequest, agency: Agency, pk: int, perm: str) -> School:
    school = get_object_or_404(School, agency=agency, pk=pk)
    _require(request, perm, agency)
    return school


def get_membership(request: HttpRequest, agency: Agency, pk: int, perm: str) -> Membership:
    membership = get_object_or_404(
        Membership.objects.select_related("user", "agency"), agency=agency, pk=pk
    )
    _require(request, perm, agency)
    return membership


def get_member(request: HttpRequest, agency: Agency, pk: int, perm: str) -> Membership:
    """A membership of the agency, for a permission about that member (such as unlocking them)."""
    membership = get_object_or_404(
        Membership.objects.select_related("user", "agency"), agency=agency, pk=pk
    )
    if not request.user.has_perm(perm, membership):
        raise PermissionDenied
    return membership


def get_invitation(request: HttpRequest, agency: Agency, pk: int, perm: str) -> Invitation:
    invitation = get_object_or_404(Invitation, agency=agency, pk=pk)
    _require(request, perm, agency)
    return invitation
