"""Pages of an agency's assessments: dashboard, checklist, one response, schools, exports."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.access import get_agency, get_school
from accounts.forms import SchoolForm
from accounts.redirects import safe_next
from checklists.assessments import evidence, exports, extensions, scoring, services
from checklists.assessments.access import get_assessment, get_attachment, get_response
from checklists.assessments.dashboard import dashboard_figures
from checklists.assessments.forms import (
    AssessmentForm,
    AssignForm,
    ChecklistFilterForm,
    ConfirmForm,
    NextAssessmentForm,
    ResponseForm,
)
from checklists.assessments.history import response_changes
from checklists.assessments.models import Assessment, Response

PAGE_SIZE = 50


@require_safe
def dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    agency = get_agency(request, slug)
    assessment = Assessment.objects.current_for(agency)
    context = {
        "agency": agency,
        "assessment": assessment,
        "school_count": agency.schools.active().count(),
    }
    if assessment is not None:
        context |= dashboard_figures(assessment, user=request.user)
    context["panels"] = extensions.dashboard_panels(agency)
    return render(request, "checklists/dashboard.html", context)


@require_safe
def assessment_list(request: HttpRequest, slug: str) -> HttpResponse:
    agency = get_agency(request, slug)
    assessments = agency.assessments.newest_first().select_related("catalog_version")
    context = {
        "agency": agency,
        "assessments": assessments,
        "can_start": request.user.has_perm("checklists.start_assessment", agency),
    }
    return render(request, "checklists/assessment_list.html", context)


@require_http_methods(["GET", "POST"])
def assessment_create(request: HttpRequest, slug: str) -> HttpResponse:
    agency = get_agency(request, slug, "checklists.start_assessment")
    form = AssessmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        assessment = services.assessment_start(agency=agency, by=request.user, **form.cleaned_data)
        messages.success(request, f"{assessment.title} has started: every item is ready to record.")
        return redirect(assessment)
    return render(request, "checklists/assessment_form.html", {"agency": agency, "form": form})


@require_http_methods(["GET", "POST"])
def assessment_next(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = get_agency(request, slug, "checklists.start_assessment")
    previous = get_assessment(request, agency, pk)
    year = timezone.localdate().year
    form = NextAssessmentForm(request.POST or None, initial={"title": f"{year} annual assessment"})
    if request.method == "POST" and form.is_valid():
        assessment = services.assessment_start_next(
            previous=previous, by=request.user, **form.cleaned_data
        )
        messages.success(
            request, "The next assessment starts from the previous answers. Confirm each one."
        )
        return redirect(assessment)
    context = {"agency": agency, "form": form, "previous": previous}
    return render(request, "checklists/assessment_next.html", context)


def _checklist_context(request: HttpRequest, agency, assessment: Assessment, responses) -> dict:
    form = ChecklistFilterForm(request.GET or None, agency=agency)
    filtered = form.filter(
        responses, user=request.user, membership=request.user.membership_in(agency)
    )
    page = Paginator(filtered.for_display(), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return {
        "agency": agency,
        "assessment": assessment,
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "overall": scoring.overall(assessment.responses.all()),
        "can_assign": assessment.is_editable
        and request.user.has_perm("checklists.assign_responses", agency),
        "assign_form": AssignForm(assessment=assessment),
        "to_confirm_count": assessment.responses.to_confirm().count(),
    }


@require_safe
def assessment_checklist(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = get_agency(request, slug)
    assessment = get_assessment(request, agency, pk)
    context = _checklist_context(request, agency, assessment, assessment.responses.all())
    return render(request, "checklists/checklist.html", context)


@require_POST
def assessment_assign(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = get_agency(request, slug, "checklists.assign_responses")
    assessment = get_assessment(request, agency, pk)
    form = AssignForm(request.POST, assessment=assessment)
    if form.is_valid():
        count = services.responses_assign(
            assessment=assessment, by=request.user, **form.cleaned_data
        )
        messages.success(request, f"{count} item(s) assigned to {form.cleaned_data['owner']}.")
    else:
        messages.error(request, "Choose at least one item and the person to assign them to.")
    return redirect(safe_next(request, assessment.get_absolute_url()))


@require_POST
def assessment_confirm(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Confirm the ticked carried-over items as still true for this assessment."""
    agency = get_agency(request, slug, "checklists.assign_responses")
    assessment = get_assessment(request, agency, pk)
    form = ConfirmForm(request.POST, assessment=assessment)
    if form.is_valid():
        count = services.responses_confirm(
            assessment=assessment, responses=form.cleaned_data["responses"], by=request.user
        )
        messages.success(request, f"{count} carried-over item(s) confirmed.")
    else:
        messages.error(request, "Choose at least one item to confirm.")
    return redirect(safe_next(request, assessment.get_absolute_url()))


@require_safe
def assessment_export(request: HttpRequest, slug: str, pk: int, fmt: str) -> HttpResponse:
    agency = get_agency(request, slug)
    assessment = get_assessment(request, agency, pk)
    content = exports.assessment_export(assessment=assessment, fmt=fmt, by=request.user)
    if fmt == "csv":
        response = StreamingHttpResponse(content, content_type="text/csv")
    else:
        response = JsonResponse(content, json_dumps_params={"indent": 2})
    filename = f"muster-{agency.slug}-assessment-{assessment.pk}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# Responses -------------------------------------------------------------------------------------


def _row_context(response: Response) -> dict:
    return {
        "response": response,
        "agency": response.assessment.agency,
        "assessment": response.assessment,
    }


@require_http_methods(["GET", "POST"])
def response_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """One item: read it, or edit it in place (htmx) or on its own page (no JavaScript)."""
    agency = get_agency(request, slug)
    response = get_response(request, agency, pk)
    if request.method == "GET" and request.htmx and request.GET.get("view") == "row":
        return render(request, "checklists/checklist.html#row", _row_context(response))
    can_edit = request.user.has_perm("checklists.change_response", response)
    if request.method == "POST" and not can_edit:
        raise PermissionDenied
    # Live figures while the assessment is a draft; once frozen, the answers stored at the time.
    computed = (
        extensions.computed_answers(agency, item_code=response.item.code)
        if response.assessment.is_editable
        else {}
    )
    form = ResponseForm(
        request.POST or None, request.FILES or None, response=response, computed=computed
    )
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.response_update(
                response=response, by=request.user, **form.service_arguments()
            )
        except services.ResponseConflict as error:
            conflict = error.current
            form = _conflict_form(request, error.current, computed)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            return _saved(request, saved)
    context = _row_context(response) | {
        "form": form,
        "can_edit": can_edit,
        "conflict": conflict,
        "computed": {key: answer for (_, key), answer in computed.items()},
        "item_panels": extensions.item_panels(agency, response.item.code),
        "next": safe_next(request, response.assessment.get_absolute_url()),
    }
    if request.htmx:
        return render(request, "checklists/response_detail.html#edit", context)
    return render(request, "checklists/response_detail.html", context)


def _conflict_form(request: HttpRequest, current: Response, computed: dict) -> ResponseForm:
    """The editor's own values, now based on the stored version, so saving again keeps theirs."""
    data = request.POST.copy()
    data["version"] = current.version
    return ResponseForm(data, request.FILES or None, response=current, computed=computed)


def _saved(request: HttpRequest, response: Response) -> HttpResponse:
    if not request.htmx:
        messages.success(request, f"{response.item.code} saved.")
        return redirect(
            safe_next(request, response.assessment.get_absolute_url()) + f"#response-{response.pk}"
        )
    response = (
        Response.objects.for_display().select_related("assessment__agency").get(pk=response.pk)
    )
    context = _row_context(response) | {
        "overall": scoring.overall(response.assessment.responses.all()),
        "oob": True,
    }
    return render(request, "checklists/checklist.html#saved", context)


@require_safe
def response_history(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = get_agency(request, slug)
    response = get_response(request, agency, pk)
    context = _row_context(response) | {"changes": response_changes(response)}
    return render(request, "checklists/response_history.html", context)


@require_safe
def attachment_download(request: HttpRequest, slug: str, pk: int) -> FileResponse:
    agency = get_agency(request, slug)
    attachment = get_attachment(request, agency, pk)
    handle = evidence.attachment_open(attachment=attachment, by=request.user)
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
def attachment_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = get_agency(request, slug)
    attachment = get_attachment(request, agency, pk, "checklists.change_response")
    evidence.attachment_delete(attachment=attachment, by=request.user)
    messages.success(request, f"{attachment.original_name} was removed.")
    return redirect(attachment.response)


# Schools ---------------------------------------------------------------------------------------
# Managing schools lives here, not in accounts: a school added or reactivated gets its checklist
# rows at once (`services.school_add`), and accounts knows nothing of checklists.


@require_safe
def my_schools(request: HttpRequest, slug: str) -> HttpResponse:
    agency = get_agency(request, slug)
    schools = agency.schools.active().for_member(request.user.membership_in(agency))
    assessment = Assessment.objects.current_for(agency)
    scores = {}
    if assessment is not None:
        scores = {s.key: s for s in scoring.by_school(assessment.responses.for_schools(schools))}
    context = {
        "agency": agency,
        "assessment": assessment,
        "rows": [(school, scores.get(school.pk)) for school in schools],
        "can_manage": request.user.has_perm("accounts.manage_schools", agency),
    }
    return render(request, "checklists/my_schools.html", context)


@require_safe
def school_checklist(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = get_agency(request, slug)
    school = get_object_or_404(agency.schools, pk=pk)
    assessment = Assessment.objects.current_for(agency)
    if assessment is None:
        return render(
            request, "checklists/school_checklist.html", {"agency": agency, "school": school}
        )
    responses = assessment.responses.for_school(school)
    context = _checklist_context(request, agency, assessment, responses) | {
        "school": school,
        "school_score": scoring.overall(responses, label=school.name),
    }
    return render(request, "checklists/checklist.html", context)


@require_safe
def school_list(request: HttpRequest, slug: str) -> HttpResponse:
    agency = get_agency(request, slug)
    context = {
        "agency": agency,
        "schools": agency.schools.prefetch_related("memberships__user"),
        "can_manage": request.user.has_perm("accounts.manage_schools", agency),
    }
    return render(request, "checklists/school_list.html", context)


def _save_school(form: SchoolForm, save) -> bool:
    if not form.is_valid():
        return False
    try:
        save(**form.cleaned_data)
    except ValidationError as error:
        form.add_error(None, error)
        return False
    return True


@require_http_methods(["GET", "POST"])
def school_create(request: HttpRequest, slug: str) -> HttpResponse:
    agency = get_agency(request, slug, "accounts.manage_schools")
    form = SchoolForm(request.POST or None, agency=agency)
    if request.method == "POST" and _save_school(
        form, lambda **data: services.school_add(agency=agency, by=request.user, **data)
    ):
        messages.success(request, f"{form.cleaned_data['name']} was added.")
        return redirect("school_list", slug=agency.slug)
    return render(request, "checklists/school_form.html", {"agency": agency, "form": form})


@require_http_methods(["GET", "POST"])
def school_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = get_agency(request, slug)
    school = get_school(request, agency, pk, "accounts.manage_schools")
    form = SchoolForm(request.POST or None, instance=school, agency=agency)
    if request.method == "POST" and _save_school(
        form, lambda **data: services.school_change(school=school, by=request.user, **data)
    ):
        messages.success(request, f"{school.name} was saved.")
        return redirect("school_list", slug=agency.slug)
    context = {"agency": agency, "form": form, "school": school}
    return render(request, "checklists/school_form.html", context)
