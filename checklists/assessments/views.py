"""Pages of an agency's assessments: dashboard, checklist, one response, schools, exports."""

from __future__ import annotations

from urllib.parse import quote

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
from accounts.once import OnceForm, submitted_once
from accounts.redirects import safe_next
from checklists.assessments import comments, evidence, exports, extensions, scoring, services
from checklists.assessments.access import (
    get_assessment,
    get_attachment,
    get_comment,
    get_response,
)
from checklists.assessments.dashboard import dashboard_figures
from checklists.assessments.forms import (
    AssessmentChangeForm,
    AssessmentForm,
    AssignForm,
    ChecklistFilterForm,
    CommentForm,
    ConfirmForm,
    NextAssessmentForm,
    ResponseForm,
)
from checklists.assessments.history import response_changes
from checklists.assessments.models import Assessment, Response

PAGE_SIZE = 50


@require_safe
def dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    agency = get_agency(request, slug, "accounts.view_published")
    if not request.user.has_perm("accounts.view_agency", agency):
        return redirect(
            "report_list", slug=agency.slug
        )  # a public viewer's page is the published one
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


def _warn_if_past_due(request: HttpRequest, form) -> None:
    if form.due_date_passed:
        messages.warning(
            request,
            f"The due date, {form.cleaned_data['due_date']:%-d %B %Y}, has already passed. "
            "Change it on the assessment's settings if that was not meant.",
        )


@require_http_methods(["GET", "POST"])
@submitted_once
def assessment_create(request: HttpRequest, slug: str) -> HttpResponse:
    agency = get_agency(request, slug, "checklists.start_assessment")
    form = AssessmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        assessment = services.assessment_start(agency=agency, by=request.user, **form.cleaned_data)
        messages.success(request, f"{assessment.title} has started: every item is ready to record.")
        _warn_if_past_due(request, form)
        return redirect(assessment)
    return render(request, "checklists/assessment_form.html", {"agency": agency, "form": form})


@require_http_methods(["GET", "POST"])
def assessment_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """A lead renames or re-dates an assessment that is not signed off."""
    agency = get_agency(request, slug, "checklists.change_assessment")
    assessment = get_assessment(request, agency, pk)
    if assessment.is_locked:
        messages.info(
            request, "A signed-off assessment keeps the title and date it was signed with."
        )
        return redirect("assessment_reports", slug=agency.slug, pk=assessment.pk)
    form = AssessmentChangeForm(request.POST or None, instance=Assessment.objects.get(pk=pk))
    if request.method == "POST" and form.is_valid():
        services.assessment_change(assessment=assessment, by=request.user, **form.cleaned_data)
        messages.success(request, "The assessment was saved.")
        _warn_if_past_due(request, form)
        return redirect(assessment)
    context = {"agency": agency, "assessment": assessment, "form": form}
    return render(request, "checklists/assessment_edit.html", context)


@require_http_methods(["GET", "POST"])
@submitted_once
def assessment_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Delete a draft, after a confirmation page; a second POST lands on the list."""
    agency = get_agency(request, slug, "checklists.delete_assessment")
    assessment = get_assessment(request, agency, pk)
    if not assessment.can_be_deleted:
        messages.error(request, "Only a draft can be deleted: this assessment is past review.")
        return redirect(assessment)
    form = OnceForm(request.POST or None)
    if request.method == "POST":
        services.assessment_delete(assessment=assessment, by=request.user)
        messages.success(request, f"{assessment} was deleted. The audit log keeps the record.")
        return redirect("assessment_list", slug=agency.slug)
    context = {
        "agency": agency,
        "assessment": assessment,
        "form": form,
        "response_count": assessment.responses.count(),
        "changed_count": assessment.responses.exclude(version=1).count(),
    }
    return render(request, "checklists/assessment_delete.html", context)


@require_http_methods(["GET", "POST"])
@submitted_once
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
        _warn_if_past_due(request, form)
        return redirect(assessment)
    context = {"agency": agency, "form": form, "previous": previous}
    return render(request, "checklists/assessment_next.html", context)


def _checklist_context(
    request: HttpRequest, agency, assessment: Assessment, responses, school=None
) -> dict:
    form = ChecklistFilterForm(request.GET or None, agency=agency)
    filtered = form.filter(
        responses, user=request.user, membership=request.user.membership_in(agency)
    )
    paginator = Paginator(filtered.for_checklist(), PAGE_SIZE)
    paginator.count = filtered.count()  # counted without the joins that the rows read through
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return {
        "agency": agency,
        "assessment": assessment,
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "can_assign": _can_assign(request, assessment),
        "can_confirm": _can_confirm(request, assessment),
        # Leads and editors edit every row of a draft: asked once, not once per row.
        "edits_every_row": assessment.is_editable
        and request.user.has_perm("checklists.edit_any_response", agency),
        "next_query": "?next=" + quote(request.get_full_path(), safe="/"),
        "can_review": request.user.has_perm("checklists.submit_assessment", agency)
        or request.user.has_perm("checklists.sign_off_assessment", agency),
        "can_change": request.user.has_perm("checklists.change_assessment", agency),
        "assign_form": AssignForm(assessment=assessment, people=form.people),
        # What apps above add to each row (open corrective actions), for this page of rows.
        "row_flags": extensions.row_flags(agency, page.object_list),
    } | _figures_context(assessment, school)


def _editable(request: HttpRequest, agency, responses):
    """The responses this person may change: all for an editor, an SRO's schools' for an SRO."""
    if request.user.has_perm("checklists.edit_any_response", agency):
        return responses
    return responses.for_schools(request.user.membership_in(agency).school_ids)


def _can_confirm(request: HttpRequest, assessment: Assessment) -> bool:
    """An SRO, who assigns nothing, still confirms their schools' carried-over items in bulk."""
    return assessment.is_editable and request.user.has_perm(
        "checklists.confirm_responses", assessment.agency
    )


def _can_assign(request: HttpRequest, assessment: Assessment) -> bool:
    return assessment.is_editable and request.user.has_perm(
        "checklists.assign_responses", assessment.agency
    )


def _figures_context(assessment: Assessment, school=None) -> dict:
    """Every figure a checklist page shows; its `figures` fragment is fetched again after a save."""
    overall = scoring.overall(assessment.responses.all())
    figures = {"overall": overall, "to_confirm_count": overall.to_confirm}
    if school is not None:
        responses = assessment.responses.for_school(school)
        figures["school_score"] = scoring.overall(responses, label=school.name)
        figures["to_confirm_count"] = figures["school_score"].to_confirm  # what the page lists
    return figures


def _figures(request: HttpRequest, agency, assessment: Assessment, school=None) -> HttpResponse:
    context = {
        "agency": agency,
        "assessment": assessment,
        "school": school,
        "can_assign": _can_assign(request, assessment),
        "can_confirm": _can_confirm(request, assessment),
        "oob": True,
    }
    context |= _figures_context(assessment, school)
    return render(request, "checklists/checklist.html#figures", context)


def _wants_figures(request: HttpRequest) -> bool:
    return bool(request.htmx) and request.GET.get("view") == "figures"


@require_safe
def assessment_checklist(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = get_agency(request, slug)
    assessment = get_assessment(request, agency, pk)
    if _wants_figures(request):
        return _figures(request, agency, assessment)
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
        target = form.cleaned_data["target_date"]
        if target is not None and target < timezone.localdate():
            messages.warning(
                request,
                f"The target date, {target:%B %-d, %Y}, is in the past: every open item among "
                "them is overdue at once. Assign them again with a later date if that was not "
                "meant.",
            )
    else:
        messages.error(request, "Choose at least one item and the person to assign them to.")
    return redirect(safe_next(request, assessment.get_absolute_url()))


@require_POST
def assessment_confirm(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Confirm the ticked carried-over items as still true for this assessment."""
    agency = get_agency(request, slug, "checklists.confirm_responses")
    assessment = get_assessment(request, agency, pk)
    form = ConfirmForm(request.POST, responses=_editable(request, agency, assessment.responses))
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
        response = StreamingHttpResponse(content, content_type="text/csv; charset=utf-8")
    else:
        response = JsonResponse(content, json_dumps_params={"indent": 2})
    filename = f"muster-{agency.slug}-assessment-{assessment.pk}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# Responses -------------------------------------------------------------------------------------


def _row_context(response: Response) -> dict:
    agency = response.assessment.agency
    return {
        "response": response,
        "agency": agency,
        "assessment": response.assessment,
        "row_flags": extensions.row_flags(agency, [response]),
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
        request.POST or None,
        request.FILES or None,
        response=response,
        user=request.user,
        computed=computed,
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
    if request.method == "POST":
        _keep_uploads(form, by=request.user)
    context = (
        _row_context(response)
        | _comments_context(request, response)
        | {
            "form": form,
            "can_edit": can_edit,
            "conflict": conflict,
            "computed": {key: answer for (_, key), answer in computed.items()},
            "item_panels": extensions.item_panels(agency, response.item.code),
            "next": safe_next(request, response.assessment.get_absolute_url()),
        }
    )
    if request.htmx:
        return render(request, "checklists/response_detail.html#edit", context)
    return render(request, "checklists/response_detail.html", context)


def _conflict_form(request: HttpRequest, current: Response, computed: dict) -> ResponseForm:
    """The editor's own values, now based on the stored version, so saving again keeps theirs."""
    data = request.POST.copy()
    data["version"] = current.version
    form = ResponseForm(
        data, request.FILES or None, response=current, user=request.user, computed=computed
    )
    form.is_valid()
    return form


def _keep_uploads(form: ResponseForm, *, by) -> None:
    """The form could not be saved: keep the files it brought, so nobody chooses them again."""
    for prompt_key, upload in form.uploads():
        try:
            kept = evidence.pending_add(
                response=form.response, upload=upload, prompt_key=prompt_key, by=by
            )
        except ValidationError as error:
            form.add_error(f"answer_{prompt_key}" if prompt_key else "documents", error)
        else:
            form.pending_uploads.append(kept)


def _saved(request: HttpRequest, response: Response) -> HttpResponse:
    if not request.htmx:
        messages.success(request, f"{response.item.code} saved.")
        return redirect(
            safe_next(request, response.assessment.get_absolute_url()) + f"#response-{response.pk}"
        )
    response = (
        Response.objects.for_checklist().select_related("assessment__agency").get(pk=response.pk)
    )
    context = _row_context(response) | {"can_assign": _can_assign(request, response.assessment)}
    saved = render(request, "checklists/checklist.html#row", context)
    # The page's figures (this school, the whole agency, items to confirm) fetch themselves again.
    saved["HX-Trigger"] = "figures-changed"
    return saved


def _comments_context(request: HttpRequest, response: Response, form=None) -> dict:
    return {
        "comments": response.comments.select_related("author", "resolved_by"),
        "can_comment": request.user.has_perm("checklists.comment_response", response),
        "comment_form": form or CommentForm(),
    }


@require_POST
def comment_add(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """A review comment on an item: htmx replaces the item's comments, else back to the item."""
    agency = get_agency(request, slug)
    response = get_response(request, agency, pk, "checklists.comment_response")
    form = CommentForm(request.POST)
    if form.is_valid():
        comments.comment_add(response=response, body=form.cleaned_data["body"], by=request.user)
        form = None
    elif not request.htmx:
        context = _row_context(response) | _comments_context(request, response, form)
        return render(request, "checklists/comment_form.html", context, status=400)
    if not request.htmx:
        messages.success(request, "Your comment was added.")
        return redirect(response.get_absolute_url() + f"#comments-{response.pk}")
    context = _row_context(response) | _comments_context(request, response, form)
    return render(request, "checklists/response_detail.html#comments", context)


@require_POST
def comment_resolve(request: HttpRequest, slug: str, pk: int, resolved: bool) -> HttpResponse:
    agency = get_agency(request, slug)
    comment = get_comment(request, agency, pk, "checklists.resolve_comment")
    act = comments.comment_resolve if resolved else comments.comment_reopen
    act(comment=comment, by=request.user)
    response = get_response(request, agency, comment.response_id)
    if not request.htmx:
        messages.success(request, "Comment resolved." if resolved else "Comment reopened.")
        return redirect(response.get_absolute_url() + f"#comments-{response.pk}")
    context = _row_context(response) | _comments_context(request, response)
    return render(request, "checklists/response_detail.html#comments", context)


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


@require_http_methods(["GET", "POST"])
def attachment_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Remove one file, after a confirmation: with htmx only the item's file list is replaced,
    so what the person has typed in the item's form stays; without, a page asks first."""
    agency = get_agency(request, slug)
    attachment = get_attachment(request, agency, pk, "checklists.change_response")
    response = attachment.response
    if request.method == "GET":
        context = _row_context(response) | {"attachment": attachment}
        return render(request, "checklists/attachment_delete.html", context)
    evidence.attachment_delete(attachment=attachment, by=request.user)
    if request.htmx:
        context = _row_context(response) | {"can_edit": True, "removed": attachment}
        return render(request, "checklists/response_detail.html#files", context)
    messages.success(request, f"{attachment.original_name} was removed.")
    return redirect(response)


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
    lines = extensions.school_lines(agency, [school.pk for school in schools])
    context = {
        "agency": agency,
        "assessment": assessment,
        "rows": [(school, scores.get(school.pk), lines.get(school.pk, ())) for school in schools],
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
    if _wants_figures(request):
        return _figures(request, agency, assessment, school)
    responses = assessment.responses.for_school(school)
    context = _checklist_context(request, agency, assessment, responses, school) | {
        "school": school
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
@submitted_once
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
