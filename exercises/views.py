"""The exercise pages: the list and timeline, an exercise with its review and plan, the
improvement plan across exercises, corrective actions and organizations. Views parse, ask the
access helpers, call a service, render."""

from __future__ import annotations

import calendar
from itertools import groupby

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.db.models.functions import ExtractYear
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.access import get_agency
from accounts.lockout import password_confirm
from checklists.assessments.forms import add_service_errors
from checklists.catalog.models import CatalogVersion
from checklists.signoff.forms import SignOffForm
from exercises import access, services
from exercises.aar import ATTESTATION
from exercises.forms import (
    ActionForm,
    AdvanceForm,
    AttachmentForm,
    ExerciseForm,
    ObservationForm,
    OrganizationForm,
    PlanFilterForm,
    ReviewForm,
)
from exercises.models import (
    AfterActionReport,
    CorrectiveAction,
    Exercise,
    Observation,
    Organization,
    Review,
)

PAGE_SIZE = 50
RECORD, CHANGE, PLAN = "exercises.record", "exercises.change_exercise", "exercises.manage_plan"
SIGN = "exercises.sign_aar"


def _save(request, form, save, template: str, context: dict, to=None):
    """Run a service on a valid form; its errors go beside the form's fields, nothing saved."""
    if request.method == "POST" and form.is_valid():
        try:
            saved = save()
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Saved.")
            return redirect(to or saved.get_absolute_url())
    return render(request, template, context | {"form": form})


@require_safe
def exercise_list(request: HttpRequest, slug: str) -> HttpResponse:
    agency = get_agency(request, slug)
    access.require(request, agency)
    exercises = Exercise.objects.of(agency)
    years = list(
        exercises.annotate(year=ExtractYear("starts_on")).order_by("-year")
        .values_list("year", flat=True).distinct()
    )  # fmt: skip
    try:
        year = int(request.GET.get("year") or (years[0] if years else timezone.localdate().year))
    except ValueError:
        year = years[0] if years else timezone.localdate().year
    shown = (
        exercises.filter(starts_on__year=year).select_related("school", "agency").order_by("starts_on", "pk")
        .annotate(open_actions=Count("corrective_actions", filter=_unresolved()))
    )  # fmt: skip
    months = [
        (calendar.month_name[month], list(rows))
        for month, rows in groupby(shown, key=lambda e: e.starts_on.month)
    ]
    return render(request, "exercises/exercise_list.html", {
        "agency": agency, "years": years, "year": year, "months": months,
        "can_record": request.user.has_perm(RECORD, agency),
        "can_plan": request.user.has_perm(PLAN, agency),
    })  # fmt: skip


def _unresolved():
    return Q(corrective_actions__status__in=CorrectiveAction.OPEN_STATUSES)


def _version(agency):
    return services.default_version(agency) or CatalogVersion.objects.order_by("-pk").first()


def _exercise_form(request, agency, exercise: Exercise):
    membership = request.user.membership_in(agency)
    data = request.POST if request.method == "POST" else None
    return ExerciseForm(data, instance=exercise, agency=agency, membership=membership)


def _exercise_save(request, form):
    data = form.cleaned_data
    return services.exercise_save(
        exercise=form.instance, objectives=data["objectives"], items=data["items"],
        organizations=data["organizations"], attendees=data["attendees"], by=request.user,
    )  # fmt: skip


def exercise_create(request: HttpRequest, slug: str) -> HttpResponse:
    agency = get_agency(request, slug)
    access.require(request, agency, RECORD)
    exercise = Exercise(agency=agency, catalog_version=_version(agency))
    form = _exercise_form(request, agency, exercise)
    return _save(request, form, lambda: _exercise_save(request, form), "exercises/form.html",
                 {"agency": agency, "title": "Record an exercise"})  # fmt: skip


def exercise_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = get_agency(request, slug)
    exercise = access.get_exercise(request, agency, pk, CHANGE)
    form = _exercise_form(request, agency, exercise)
    return _save(request, form, lambda: _exercise_save(request, form), "exercises/form.html",
                 {"agency": agency, "title": f"Change {exercise}", "back": exercise})  # fmt: skip


@require_safe
def exercise_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = get_agency(request, slug)
    exercise = access.get_exercise(request, agency, pk)
    aar = _aar_context(request, agency, exercise)
    if request.htmx and request.GET.get("part") == "aar":  # the AAR section polls while it renders
        return render(request, "exercises/exercise_detail.html#aar", aar)
    objectives = exercise.objectives.prefetch_related(
        Prefetch(
            "observations", queryset=Observation.objects.prefetch_related("corrective_actions")
        )
    )
    return render(request, "exercises/exercise_detail.html", aar | {
        "objectives": objectives, "actions": exercise.corrective_actions.for_table(),
        "attachments": exercise.attachments.all(),
        "organizations": exercise.organizations.all(), "items": exercise.items.all(),
        "attendees": exercise.attendees.all(),
        "can_change": request.user.has_perm(CHANGE, exercise),
        "can_plan": request.user.has_perm(PLAN, agency),
    })  # fmt: skip


def _aar_context(request, agency, exercise: Exercise) -> dict:
    reports = list(exercise.after_action_reports.all())
    return {
        "agency": agency, "exercise": exercise, "reports": reports,
        "reports_in_progress": any(r.in_progress for r in reports),
        "review": Review.objects.filter(exercise=exercise).first(),
        "can_sign": request.user.has_perm(SIGN, agency),
    }  # fmt: skip


def exercise_review(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = get_agency(request, slug)
    exercise = access.get_exercise(request, agency, pk, CHANGE)
    review = Review.objects.filter(exercise=exercise).first() or Review(exercise=exercise)
    form = ReviewForm(request.POST if request.method == "POST" else None, instance=review)
    return _save(request, form, lambda: services.review_save(review=form.instance, by=request.user),
                 "exercises/form.html", {"agency": agency, "title": f"Review of {exercise}",
                 "back": exercise}, to=exercise.get_absolute_url())  # fmt: skip


def observation_create(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = get_agency(request, slug)
    exercise = access.get_exercise(request, agency, pk, CHANGE)
    form = ObservationForm(
        request.POST if request.method == "POST" else None,
        instance=Observation(),
        exercise=exercise,
        initial={"kind": request.GET.get("kind")},
    )
    return _save(request, form, lambda: services.observation_add(observation=form.instance,
                 by=request.user), "exercises/form.html", {"agency": agency,
                 "title": f"Record a finding of {exercise}", "back": exercise},
                 to=exercise.get_absolute_url())  # fmt: skip


def attachment_create(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = get_agency(request, slug)
    exercise = access.get_exercise(request, agency, pk, CHANGE)
    data = (request.POST, request.FILES) if request.method == "POST" else ()
    form = AttachmentForm(*data)
    return _save(request, form, lambda: services.attachment_add(exercise=exercise,
                 upload=form.cleaned_data["file"], by=request.user), "exercises/form.html",
                 {"agency": agency, "title": f"Attach a file to {exercise}", "back": exercise,
                  "multipart": True}, to=exercise.get_absolute_url())  # fmt: skip


@require_http_methods(["GET", "POST"])
def observation_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = get_agency(request, slug)
    observation = access.get_observation(request, agency, pk)
    exercise = observation.objective.exercise
    form = ObservationForm(
        request.POST if request.method == "POST" else None, instance=observation, exercise=exercise
    )
    return _save(request, form, lambda: services.observation_change(observation=form.instance,
                 by=request.user), "exercises/form.html", {"agency": agency,
                 "title": "Change the finding", "back": exercise},
                 to=exercise.get_absolute_url())  # fmt: skip


@require_http_methods(["GET", "POST"])
def observation_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = get_agency(request, slug)
    observation = access.get_observation(request, agency, pk)
    exercise = observation.objective.exercise
    return _confirm_delete(
        request, lambda: services.observation_delete(observation=observation, by=request.user),
        {"agency": agency, "back": exercise, "title": "Remove this finding?",
         "what": f"{observation.get_kind_display()}: {observation.text}",
         "consequence": "The finding is removed from the review at once; its removal is kept in "
                        "the audit log. A signed after-action report keeps it as it was signed.",
         "button": "Remove the finding"},
    )  # fmt: skip


def _confirm_delete(request, delete, context: dict) -> HttpResponse:
    """A page that asks first; the POST deletes, or says beside the question why it may not."""
    status = 200
    if request.method == "POST":
        try:
            delete()
        except ValidationError as error:
            context |= {"refusal": " ".join(error.messages)}
            status = 400
        else:
            messages.success(request, "Removed.")
            return redirect(context["back"].get_absolute_url())
    return render(request, "exercises/confirm_delete.html", context, status=status)


@require_safe
def attachment_download(request: HttpRequest, slug: str, pk: int) -> FileResponse:
    agency = get_agency(request, slug)
    attachment = access.get_attachment(request, agency, pk)
    handle = services.attachment_open(attachment=attachment, by=request.user)
    response = FileResponse(handle, as_attachment=True, filename=attachment.name)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_http_methods(["GET", "POST"])
def attachment_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = get_agency(request, slug)
    attachment = access.get_attachment(request, agency, pk, CHANGE)
    return _confirm_delete(
        request, lambda: services.attachment_delete(attachment=attachment, by=request.user),
        {"agency": agency, "back": attachment.exercise, "title": f"Remove {attachment.name}?",
         "what": f"{attachment.name} (SHA-256 {attachment.sha256[:16]}…)",
         "consequence": "The file is removed from the review at once; its removal, with its "
                        "SHA-256, is kept in the audit log.",
         "button": "Remove the file"},
    )  # fmt: skip


@require_http_methods(["GET", "POST"])
def exercise_aar_sign(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """A lead signs the after-action report and improvement plan as it stands, with their
    password; the signed PDF is then produced by the task worker."""
    agency = get_agency(request, slug)
    exercise = access.get_exercise(request, agency, pk, SIGN)
    form = SignOffForm(
        request.POST or None,
        initial={"typed_name": request.user.full_name, "typed_title": request.user.job_title},
    )
    if request.method == "POST" and form.is_valid():
        try:
            password_confirm(request, user=request.user, password=form.cleaned_data["password"],
                             act="after-action report")  # fmt: skip
            services.aar_sign(exercise=exercise, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Signed. The after-action report is being produced.")
            return redirect(exercise)
    return render(request, "exercises/aar_sign.html", {
        "agency": agency, "exercise": exercise, "form": form, "statement": ATTESTATION,
        "review": Review.objects.filter(exercise=exercise).first(),
        "findings": Observation.objects.filter(objective__exercise=exercise).count(),
        "actions": exercise.corrective_actions.count(),
    })  # fmt: skip


@require_safe
def exercise_aar_download(request: HttpRequest, slug: str, pk: int) -> FileResponse:
    agency = get_agency(request, slug)
    report = access.get_aar(request, agency, pk)
    if report.state != AfterActionReport.State.DONE:
        raise Http404("This after-action report is not ready yet.")
    response = FileResponse(
        services.aar_open(report=report, by=request.user),
        as_attachment=True,
        filename=report.file_name,
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def corrective_action_create(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = get_agency(request, slug)
    exercise = access.get_exercise(request, agency, pk)
    access.require(request, agency, PLAN)
    action = CorrectiveAction(exercise=exercise, starts_on=timezone.localdate())
    initial = {"observation": request.GET.get("observation")}
    return _action_form(request, agency, action, initial, f"Add a corrective action to {exercise}")


def corrective_action_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = get_agency(request, slug)
    action = access.get_action(request, agency, pk, PLAN)
    return _action_form(request, agency, action, {}, "Change the corrective action")


def _action_form(request, agency, action, initial, title: str) -> HttpResponse:
    data = request.POST if request.method == "POST" else None
    form = ActionForm(data, instance=action, exercise=action.exercise, initial=initial)

    def save():
        return services.action_save(action=form.instance, items=form.cleaned_data["items"],
                                    schools=form.cleaned_data["schools"], by=request.user)  # fmt: skip

    context = {"agency": agency, "title": title, "back": action.exercise}
    return _save(request, form, save, "exercises/form.html", context)


@require_safe
def corrective_action(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = get_agency(request, slug)
    action = access.get_action(request, agency, pk)
    return _action_page(request, agency, action, AdvanceForm())


def _action_page(request, agency, action, form, status: int = 200) -> HttpResponse:
    return render(request, "exercises/action_detail.html", {
        "agency": agency, "action": action, "form": form,
        "events": action.events.select_related("by", "evidence"),
        "items": action.items.all(), "schools": action.schools.all(),
        "can_progress": request.user.has_perm("exercises.progress_action", action),
        "can_plan": request.user.has_perm(PLAN, agency),
    }, status=status)  # fmt: skip


@require_POST
def corrective_action_advance(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = get_agency(request, slug)
    action = access.get_action(request, agency, pk)
    form = AdvanceForm(request.POST, request.FILES)
    perm = "exercises.verify_action" if request.POST.get("status") == "verified" else None
    access.require(request, action, perm or "exercises.progress_action")
    if form.is_valid():
        try:
            services.action_advance(action=action, status=form.cleaned_data["status"],
                                    note=form.cleaned_data["note"],
                                    evidence=form.cleaned_data["evidence"], by=request.user)  # fmt: skip
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Saved.")
            return redirect(action.get_absolute_url())
    return _action_page(request, agency, action, form, status=400)


def _plan_actions(agency, form: PlanFilterForm):
    actions = CorrectiveAction.objects.of(agency)
    data = form.cleaned_data if form.is_valid() else {}
    status = data.get("status")
    if status == "unresolved":
        actions = actions.unresolved()
    elif status:
        actions = actions.filter(status=status)
    if data.get("owner"):
        actions = actions.filter(owner=data["owner"])
    if data.get("item"):
        actions = actions.filter(items__code__iexact=data["item"].strip())
    if data.get("school"):
        actions = actions.filter(schools=data["school"])
    if data.get("overdue"):
        actions = actions.overdue()
    # Only the filters through a many-to-many relation can list an action twice.
    return actions.distinct() if data.get("item") or data.get("school") else actions


@require_safe
def improvement_plan(request: HttpRequest, slug: str) -> HttpResponse:
    agency = get_agency(request, slug)
    access.require(request, agency)
    form = PlanFilterForm(request.GET or None, agency=agency)
    actions = _plan_actions(agency, form).for_table().order_by("due_on", "pk")
    page = Paginator(actions, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "exercises/improvement_plan.html", {
        "agency": agency, "form": form, "page": page, "query": query.urlencode(),
        "today": timezone.localdate(),
    })  # fmt: skip


@require_http_methods(["GET", "POST"])
def organization_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = get_agency(request, slug)
    organization = access.get_organization(request, agency, pk)
    form = OrganizationForm(request.POST if request.method == "POST" else None,
                            instance=organization)  # fmt: skip
    back = reverse("organization_list", kwargs={"slug": agency.slug})
    return _save(request, form, lambda: services.organization_save(organization=form.instance,
                 by=request.user), "exercises/form.html", {"agency": agency,
                 "title": f"Change {organization.name}", "cancel": back}, to=back)  # fmt: skip


def organization_list(request: HttpRequest, slug: str) -> HttpResponse:
    agency = get_agency(request, slug)
    access.require(request, agency)
    if request.method == "POST":
        access.require(request, agency, PLAN)
    form = OrganizationForm(
        request.POST if request.method == "POST" else None, instance=Organization(agency=agency)
    )
    organizations = Organization.objects.filter(agency=agency).annotate(n=Count("exercises"))
    return _save(request, form, lambda: services.organization_save(
        organization=form.instance, by=request.user), "exercises/organization_list.html",
        {"agency": agency, "organizations": organizations,
         "can_plan": request.user.has_perm(PLAN, agency)},
        to=request.path)  # fmt: skip
