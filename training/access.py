"""Fetch a training record for a request, or refuse: another agency's is a 404, a member without
the permission gets a 403 (`accounts.access`)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from accounts.models import Agency
from training.models import Completion, Course, Import, Person, Requirement, Session

READ, CHANGE = "training.view_records", "training.change_records"


def require(request: HttpRequest, agency: Agency, perm: str = READ) -> None:
    if not request.user.has_perm(perm, agency):
        raise PermissionDenied


def get_person(request: HttpRequest, agency: Agency, pk: int, perm: str = READ) -> Person:
    person = get_object_or_404(Person, agency=agency, pk=pk)
    require(request, agency, perm)
    return person


def get_session(request: HttpRequest, agency: Agency, pk: int, perm: str = READ) -> Session:
    session = get_object_or_404(Session.objects.select_related("course"), agency=agency, pk=pk)
    require(request, agency, perm)
    return session


def get_completion(request: HttpRequest, agency: Agency, pk: int, perm: str = READ) -> Completion:
    completion = get_object_or_404(
        Completion.objects.select_related("person", "course"), person__agency=agency, pk=pk
    )
    require(request, agency, perm)
    return completion


def get_course(request: HttpRequest, agency: Agency, pk: int, perm: str = CHANGE) -> Course:
    """The agency's own course: shipped courses are data and change only with the file."""
    course = get_object_or_404(Course, agency=agency, pk=pk)
    require(request, agency, perm)
    return course


def get_requirement(
    request: HttpRequest, agency: Agency, pk: int, perm: str = CHANGE
) -> Requirement:
    requirement = get_object_or_404(Requirement, agency=agency, pk=pk)
    require(request, agency, perm)
    return requirement


def get_import(request: HttpRequest, agency: Agency, pk: int, perm: str = CHANGE) -> Import:
    upload = get_object_or_404(Import, agency=agency, pk=pk)
    require(request, agency, perm)
    return upload
