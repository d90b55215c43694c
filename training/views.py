"""The training pages: the matrix, a person's record, sessions, completions, courses,
requirements, imports and exports. Views parse, ask the access helpers, call a service, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from accounts.access import get_agency
from accounts.spreadsheets import csv_lines
from checklists.assessments.forms import add_service_errors
from training import access, currency, importer, services
from training.forms import (
    SORTS,
    CompletionForm,
    CourseForm,
    ImportForm,
    MatrixFilterForm,
    PersonForm,
    RequirementForm,
    SessionForm,
)
from training.models import Completion, Course, Import, Person, Requirement, Session

PAGE_SIZE = 50


def _matrix_people(agency, form: MatrixFilterForm, requirements, today):
    people = Person.objects.of(agency)
    data = form.cleaned_data if form.is_valid() else {}
    if not data.get("separated"):
        people = people.active()
    if q := data.get("q"):
        people = people.filter(full_name__icontains=q) | people.filter(employee_number__iexact=q)
    if data.get("unit"):
        people = people.filter(unit=data["unit"])
    if data.get("requirement") and data.get("status"):
        chosen = next(r for r in requirements if r.pk == data["requirement"].pk)
        people = currency.with_status(people, chosen, data["status"], today)
    return people.order_by(*SORTS.get(data.get("sort") or "name", SORTS["name"]))


@require_safe
def matrix(request: HttpRequest, slug: str) -> HttpResponse:
    agency = get_agency(request, slug)
    access.require(request, agency)
    today = timezone.localdate()
    requirements = currency.for_agency(agency)
    form = MatrixFilterForm(request.GET or None, agency=agency)
    page = Paginator(_matrix_people(agency, form, requirements, today), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = currency.rows(page.object_list, requirements, today)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "training/matrix.html", {
        "agency": agency, "form": form, "page": page, "rows": rows, "query": query.urlencode(),
        "requirements": requirements, "can_edit": request.user.has_perm(access.CHANGE, agency),
    })  # fmt: skip


@require_safe
def matrix_export(request: HttpRequest, slug: str) -> StreamingHttpResponse:
    agency = get_agency(request, slug)
    access.require(request, agency)
    requirements = currency.for_agency(agency)
    form = MatrixFilterForm(request.GET or None, agency=agency)
    today = timezone.localdate()
    people = _matrix_people(agency, form, requirements, today)
    header = ["Employee ID", "Name", "Rank", "Unit", "Sworn", *[r.name for r in requirements]]
    rows = (
        [p.employee_number, p.full_name, p.rank, p.unit, "Sworn" if p.sworn else "Civilian",
         *[c.status.label for c in cells]]
        for chunk in _chunks(people, 500)
        for p, cells in currency.rows(chunk, requirements, today)
    )  # fmt: skip
    return _csv(csv_lines(header, rows), f"{agency.slug}-training-matrix.csv")


@require_safe
def completions_export(request: HttpRequest, slug: str) -> StreamingHttpResponse:
    agency = get_agency(request, slug)
    access.require(request, agency)
    completions = Completion.objects.of(agency).select_related("person", "course", "session")
    header = ["Employee ID", "Name", "Course Code", "Course", "Completion Date", "Credit Hours",
              "Provider", "Session", "Certificate SHA-256"]  # fmt: skip
    rows = (
        [c.person.employee_number, c.person.full_name, c.course.code, c.course.name,
         c.completed_on.isoformat(), c.hours, c.provider, c.session_id or "", c.certificate_sha256]
        for c in completions.order_by("completed_on", "pk").iterator(chunk_size=1000)
    )  # fmt: skip
    return _csv(csv_lines(header, rows), f"{agency.slug}-training-completions.csv")


def _chunks(people, size: int):
    """The people a slice at a time, so an export of thousands stays in bounded memory."""
    for start in range(0, people.count(), size):
        yield people[start : start + size]


def _csv(lines, name: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_safe
def person_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = get_agency(request, slug)
    person = access.get_person(request, agency, pk)
    requirements = currency.for_agency(agency)
    today = timezone.localdate()
    completions = person.completions.select_related("course", "session")
    counts_toward = {
        c.pk: [r for r in requirements if c.course in r.courses.all()] for c in completions
    }
    return render(request, "training/person_detail.html", {
        "agency": agency, "person": person, "completions": completions,
        "counts_toward": counts_toward, "cells": currency.rows(Person.objects.filter(pk=person.pk), requirements, today)[0][1],
        "can_edit": request.user.has_perm(access.CHANGE, agency),
    })  # fmt: skip


def _save(request, form, save, template: str, context: dict):
    """Run a service on a valid form; its errors go beside the form's fields."""
    if request.method == "POST" and form.is_valid():
        try:
            saved = save()
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Saved.")
            return redirect(context.get("next") or saved.get_absolute_url())
    return render(request, template, context | {"form": form}, status=200)


def person_edit(request: HttpRequest, slug: str, pk: int | None = None) -> HttpResponse:
    agency = get_agency(request, slug)
    if pk is None:
        access.require(request, agency, access.CHANGE)
        person = Person(agency=agency)
    else:
        person = access.get_person(request, agency, pk, access.CHANGE)
    form = PersonForm(request.POST or None, instance=person, agency=agency)

    def save():
        return services.person_save(
            person=form.instance, roles=form.cleaned_data["roles"], by=request.user
        )

    return _save(request, form, save, "training/form.html",
                 {"agency": agency, "title": str(person) if pk else "Add a person"})  # fmt: skip


@require_safe
def session_list(request: HttpRequest, slug: str) -> HttpResponse:
    agency = get_agency(request, slug)
    access.require(request, agency)
    sessions = Session.objects.filter(agency=agency).select_related("course", "school")
    page = Paginator(sessions, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "training/session_list.html", {
        "agency": agency, "page": page, "can_edit": request.user.has_perm(access.CHANGE, agency),
    })  # fmt: skip


def session_create(request: HttpRequest, slug: str) -> HttpResponse:
    agency = get_agency(request, slug)
    access.require(request, agency, access.CHANGE)
    form = SessionForm(request.POST or None, instance=Session(agency=agency), agency=agency)

    def save():
        return services.session_record(
            session=form.instance, attendees=form.cleaned_data["attendees"], by=request.user
        )

    return _save(request, form, save, "training/session_form.html",
                 {"agency": agency, "title": "Record a session"})  # fmt: skip


@require_safe
def session_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = get_agency(request, slug)
    session = access.get_session(request, agency, pk)
    roster = session.completions.select_related("person").order_by("person__full_name")
    return render(request, "training/session_detail.html",
                  {"agency": agency, "session": session, "roster": roster})  # fmt: skip


def completion_create(request: HttpRequest, slug: str) -> HttpResponse:
    agency = get_agency(request, slug)
    access.require(request, agency, access.CHANGE)
    initial = {"person": request.GET.get("person")} if request.method == "GET" else None
    form = CompletionForm(
        request.POST or None, request.FILES or None, agency=agency, initial=initial
    )

    def save():
        completion = services.completion_add(
            completion=form.instance, certificate=form.cleaned_data["certificate"], by=request.user
        )
        return completion.person

    return _save(request, form, save, "training/form.html",
                 {"agency": agency, "title": "Record a completion", "multipart": True})  # fmt: skip


@require_safe
def certificate_download(request: HttpRequest, slug: str, pk: int) -> FileResponse:
    agency = get_agency(request, slug)
    completion = access.get_completion(request, agency, pk)
    if not completion.certificate:
        raise Http404("This completion has no certificate.")
    handle = services.certificate_open(completion=completion, by=request.user)
    return FileResponse(handle, as_attachment=True, filename=completion.certificate_name)


@require_safe
def course_list(request: HttpRequest, slug: str) -> HttpResponse:
    agency = get_agency(request, slug)
    access.require(request, agency)
    return render(request, "training/course_list.html", {
        "agency": agency, "courses": Course.objects.available_to(agency),
        "can_edit": request.user.has_perm(access.CHANGE, agency),
    })  # fmt: skip


def course_edit(request: HttpRequest, slug: str, pk: int | None = None) -> HttpResponse:
    agency = get_agency(request, slug)
    if pk is None:
        access.require(request, agency, access.CHANGE)
        course = Course(agency=agency)
    else:
        course = access.get_course(request, agency, pk)
    form = CourseForm(request.POST or None, instance=course)
    return _save(request, form, lambda: services.course_save(course=form.instance, by=request.user),
                 "training/form.html", {"agency": agency, "title": course.name or "Add a course",
                                        "next": _url("training_courses", agency)})  # fmt: skip


@require_safe
def requirement_list(request: HttpRequest, slug: str) -> HttpResponse:
    agency = get_agency(request, slug)
    access.require(request, agency)
    requirements = currency.for_agency(agency)
    return render(request, "training/requirement_list.html", {
        "agency": agency, "requirements": requirements,
        "summaries": currency.summaries(requirements, timezone.localdate()),
        "can_edit": request.user.has_perm(access.CHANGE, agency),
    })  # fmt: skip


def requirement_edit(request: HttpRequest, slug: str, pk: int | None = None) -> HttpResponse:
    agency = get_agency(request, slug)
    if pk is None:
        access.require(request, agency, access.CHANGE)
        requirement = Requirement(agency=agency)
    else:
        requirement = access.get_requirement(request, agency, pk)
    form = RequirementForm(request.POST or None, instance=requirement, agency=agency)

    def save():
        return services.requirement_save(
            requirement=form.instance, courses=form.cleaned_data["courses"], by=request.user
        )

    return _save(request, form, save, "training/form.html",
                 {"agency": agency, "title": requirement.name or "Add a requirement",
                  "next": _url("training_requirements", agency)})  # fmt: skip


def _url(name: str, agency) -> str:
    return reverse(name, kwargs={"slug": agency.slug})


def import_create(request: HttpRequest, slug: str) -> HttpResponse:
    agency = get_agency(request, slug)
    access.require(request, agency, access.CHANGE)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            upload = services.import_upload(
                agency=agency, kind=form.cleaned_data["kind"], upload=form.cleaned_data["file"],
                by=request.user,
            )  # fmt: skip
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return redirect(upload)
    recent = Import.objects.filter(agency=agency).select_related("uploaded_by")[:10]
    return render(request, "training/import_form.html",
                  {"agency": agency, "form": form, "recent": recent, "kinds": Import.Kind})  # fmt: skip


def import_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The preview (GET), confirming it (POST: the task worker imports it, all lines or none),
    then the import's progress, polled by htmx, and what it did."""
    agency = get_agency(request, slug)
    upload = access.get_import(request, agency, pk)
    if request.method == "POST":
        try:
            services.import_queue(upload=upload, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect(upload)
    template = "training/import_detail.html"
    if request.htmx and upload.state != Import.State.UPLOADED:
        template += "#status"
    preview = (
        services.import_preview(upload=upload) if upload.state == Import.State.UPLOADED else None
    )
    return render(request, template, {"agency": agency, "upload": upload, "preview": preview})


@require_safe
def import_template(request: HttpRequest, slug: str, kind: str) -> HttpResponse:
    agency = get_agency(request, slug)
    access.require(request, agency)
    if kind not in Import.Kind.values:
        raise Http404("No such template.")
    response = HttpResponse(importer.template_csv(kind), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="muster-{kind}-template.csv"'
    return response
