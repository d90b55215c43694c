from __future__ import annotations

from itertools import pairwise

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_safe

from accounts.access import get_agency
from accounts.audit import record
from accounts.models import AuditEvent, Role, User
from checklists import exports, scoring, services
from checklists.access import get_assessment, get_attachment, get_response
from checklists.forms import (
    AssessmentForm,
    AssignForm,
    CatalogFilterForm,
    ChecklistFilterForm,
    NextAssessmentForm,
    ResponseForm,
    SignOffForm,
    VerifyForm,
    add_service_errors,
)
from checklists.models import Assessment, Catalog, CatalogVersion, Report, Response, SignOff
from checklists.report import report_pdf
from checklists.templatetags.checklist_tags import get_answer
from checklists.verify import verify_report


@require_safe
def catalog_list(request: HttpRequest) -> HttpResponse:
    versions = CatalogVersion.objects.latest_of_each().with_counts().select_related("catalog")
    return render(request, "checklists/catalog_list.html", {"versions": versions})


@require_safe
def catalog_detail(request: HttpRequest, slug: str, number: int | None = None) -> HttpResponse:
    """Browse one version of a catalog (the newest unless a number is given)."""
    catalog = get_object_or_404(Catalog, slug=slug)
    versions = list(catalog.versions.latest_first())
    version = next((v for v in versions if number is None or v.number == number), None)
    if version is None:
        raise Http404("No such catalog version.")
    roles = Role.objects.filter(items__catalog_version=version).distinct()
    form = CatalogFilterForm(request.GET or None, roles=roles)
    items = version.items.select_related("section").prefetch_related("roles", "sources", "prompts")
    if form.is_valid():
        items = items.search(form.cleaned_data["q"])
        if form.cleaned_data["role"]:
            items = items.for_role(form.cleaned_data["role"])
    context = {
        "catalog": catalog,
        "version": version,
        "versions": versions,
        "form": form,
        "filtered": form.is_bound and form.is_valid() and any(form.cleaned_data.values()),
        "items": items,
        "item_total": version.items.count(),
        "sources": version.sources.all(),
        "figures": version.figures.select_related("source").prefetch_related("values"),
    }
    return render(request, "checklists/catalog_detail.html", context)


# Assessments -----------------------------------------------------------------------------------

PAGE_SIZE = 50


def _current_assessment(agency) -> Assessment | None:
    return agency.assessments.newest_first().select_related("catalog_version", "previous").first()


def _membership(request: HttpRequest, agency):
    return request.user.membership_in(agency)


@require_safe
def dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    agency = get_agency(request, slug)
    assessment = _current_assessment(agency)
    context = {
        "agency": agency,
        "assessment": assessment,
        "school_count": agency.schools.active().count(),
    }
    if assessment is not None:
        responses = assessment.responses.all()
        context |= {
            "overall": scoring.overall(responses),
            "sections": scoring.by_section(responses),
            "roles": scoring.by_role(responses),
            "schools": scoring.by_school(responses),
            "overdue": responses.overdue().for_display()[:10],
            "overdue_count": responses.overdue().count(),
            "mine": responses.assigned_to(request.user).open().for_display()[:10],
            "mine_count": responses.assigned_to(request.user).open().count(),
            "changes": recent_changes(assessment),
        }
        if assessment.previous_id:
            earlier = assessment.previous.responses.all()
            context["comparison"] = _comparison(
                scoring.by_section(responses), scoring.by_section(earlier),
                scoring.overall(responses), scoring.overall(earlier),
            )  # fmt: skip
    return render(request, "checklists/dashboard.html", context)


def _comparison(now_sections, then_sections, now_overall, then_overall) -> list[tuple]:
    then = {s.label: s for s in then_sections}
    rows = [(now_overall.label, then_overall, now_overall)]
    return rows + [(s.label, then.get(s.label), s) for s in now_sections]


def recent_changes(assessment: Assessment, limit: int = 10):
    return (
        Response.history.filter(assessment_id=assessment.pk, history_type="~")
        .select_related("history_user", "item", "school", "owner")
        .order_by("-history_date")[:limit]
    )


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
    membership = _membership(request, agency)
    form = ChecklistFilterForm(request.GET or None, agency=agency)
    filtered = form.filter(responses, user=request.user, membership=membership)
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
        "can_assign": not assessment.is_locked
        and request.user.has_perm("checklists.assign_responses", agency),
        "assign_form": AssignForm(assessment=assessment),
    }


@require_safe
def assessment_checklist(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = get_agency(request, slug)
    assessment = get_assessment(request, agency, pk)
    context = _checklist_context(request, agency, assessment, assessment.responses.all())
    return render(request, "checklists/checklist.html", context)


def assessment_assign(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = get_agency(request, slug, "checklists.assign_responses")
    assessment = get_assessment(request, agency, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = AssignForm(request.POST, assessment=assessment)
    if form.is_valid():
        count = services.responses_assign(
            assessment=assessment, by=request.user, **form.cleaned_data
        )
        messages.success(request, f"{count} item(s) assigned to {form.cleaned_data['owner']}.")
    else:
        messages.error(request, "Choose at least one item and the person to assign them to.")
    return redirect(_safe_next(request, assessment.get_absolute_url()))


@require_safe
def assessment_export(request: HttpRequest, slug: str, pk: int, fmt: str) -> HttpResponse:
    agency = get_agency(request, slug)
    assessment = get_assessment(request, agency, pk)
    filename = f"muster-{agency.slug}-assessment-{assessment.pk}.{fmt}"
    record(
        AuditEvent.Action.ASSESSMENT_EXPORTED,
        agency=agency,
        actor=request.user,
        target=assessment,
        summary=f"Exported {assessment.title} as {fmt.upper()}",
        format=fmt,
    )
    if fmt == "csv":
        response = StreamingHttpResponse(
            exports.assessment_csv(assessment), content_type="text/csv"
        )
    else:
        response = JsonResponse(
            exports.assessment_json(assessment), json_dumps_params={"indent": 2}
        )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next")
    # A path on this site only: redirect() would take "name" without a slash for a view's name.
    if (
        target
        and target.startswith("/")
        and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure())
    ):
        return target
    return default


# Responses -------------------------------------------------------------------------------------


def _row_context(request: HttpRequest, response: Response) -> dict:
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
        return render(request, "checklists/checklist.html#row", _row_context(request, response))
    can_edit = request.user.has_perm("checklists.change_response", response)
    if request.method == "POST" and not can_edit:
        raise PermissionDenied
    form = ResponseForm(request.POST or None, request.FILES or None, response=response)
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.response_update(
                response=response, by=request.user, **form.service_arguments()
            )
        except services.ResponseConflict as error:
            conflict = error.current
            form = _conflict_form(request, error.current)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            return _saved(request, saved)
    context = _row_context(request, response) | {
        "form": form,
        "can_edit": can_edit,
        "conflict": conflict,
        "next": _safe_next(request, response.assessment.get_absolute_url()),
    }
    if request.htmx:
        return render(request, "checklists/response_detail.html#edit", context)
    return render(request, "checklists/response_detail.html", context)


def _conflict_form(request: HttpRequest, current: Response) -> ResponseForm:
    """The editor's own values, now based on the stored version, so saving again keeps theirs."""
    data = request.POST.copy()
    data["version"] = current.version
    return ResponseForm(data, request.FILES or None, response=current)


def _saved(request: HttpRequest, response: Response) -> HttpResponse:
    if not request.htmx:
        messages.success(request, f"{response.item.code} saved.")
        return redirect(
            _safe_next(request, response.assessment.get_absolute_url()) + f"#response-{response.pk}"
        )
    response = (
        Response.objects.for_display().select_related("assessment__agency").get(pk=response.pk)
    )
    context = _row_context(request, response) | {
        "overall": scoring.overall(response.assessment.responses.all()),
        "oob": True,
    }
    return render(request, "checklists/checklist.html#saved", context)


@require_safe
def response_history(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = get_agency(request, slug)
    response = get_response(request, agency, pk)
    history = response.history.select_related("history_user")
    records = list(history.order_by("history_date", "history_id"))
    ignored = ["version", "updated_at", "updated_by", "carried_over"]
    diffs = [
        (new, new.diff_against(old, excluded_fields=ignored).changes)
        for old, new in pairwise(records)
    ]
    owner_ids = {
        v for _, changes in diffs for c in changes if c.field == "owner" for v in (c.old, c.new)
    }
    names = dict(User.objects.filter(pk__in=owner_ids - {None}).values_list("pk", "full_name"))
    prompts = {p.key: p for p in response.item.prompts.all()}
    changes = [
        (record, _change_rows(changes, names, prompts)) for record, changes in reversed(diffs)
    ]
    context = _row_context(request, response) | {"changes": changes}
    return render(request, "checklists/response_history.html", context)


def _change_rows(changes, names: dict, prompts: dict) -> list[tuple[str, str, str]]:
    """(what, before, after) as a person reads them, one row per field or evidence answer."""
    statuses = dict(Response.Status.choices)
    rows = []
    for change in changes:
        if change.field == "answers":
            old, new = change.old or {}, change.new or {}
            for key in sorted(set(old) | set(new)):
                if old.get(key) != new.get(key) and key in prompts:
                    rows.append(
                        (
                            prompts[key].label,
                            get_answer(old, prompts[key]),
                            get_answer(new, prompts[key]),
                        )
                    )
        elif change.field == "status":
            rows.append(("Status", statuses.get(change.old, ""), statuses.get(change.new, "")))
        elif change.field == "owner":
            rows.append(("Owner", names.get(change.old, ""), names.get(change.new, "")))
        else:
            label = Response._meta.get_field(change.field).verbose_name.capitalize()
            rows.append((label, change.old or "", change.new or ""))
    return rows


def _open_stored(file):
    """A stored file, opened for download: one lost from storage is a 404, not a crash."""
    try:
        return file.open("rb")
    except FileNotFoundError as error:
        raise Http404("The stored file is missing.") from error


@require_safe
def attachment_download(request: HttpRequest, slug: str, pk: int) -> FileResponse:
    agency = get_agency(request, slug)
    attachment = get_attachment(request, agency, pk)
    handle = _open_stored(attachment.file)
    record(
        AuditEvent.Action.EVIDENCE_DOWNLOADED,
        agency=agency,
        actor=request.user,
        target=attachment,
        summary=f"Downloaded {attachment.original_name}",
        response_id=attachment.response_id,
        sha256=attachment.sha256,
    )
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def attachment_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = get_agency(request, slug)
    attachment = get_attachment(request, agency, pk, "checklists.change_response")
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    services.attachment_delete(attachment=attachment, by=request.user)
    messages.success(request, f"{attachment.original_name} was removed.")
    return redirect(attachment.response)


# Schools ---------------------------------------------------------------------------------------


@require_safe
def my_schools(request: HttpRequest, slug: str) -> HttpResponse:
    agency = get_agency(request, slug)
    membership = _membership(request, agency)
    schools = agency.schools.active()
    if membership.access == membership.Access.SRO:
        schools = schools.filter(pk__in=membership.school_ids)
    assessment = _current_assessment(agency)
    scores = {}
    if assessment is not None:
        scores = {s.key: s for s in scoring.by_school(assessment.responses.for_schools(schools))}
    rows = [(school, scores.get(school.pk)) for school in schools]
    context = {
        "agency": agency,
        "assessment": assessment,
        "rows": rows,
        "can_manage": request.user.has_perm("accounts.manage_schools", agency),
    }
    return render(request, "checklists/my_schools.html", context)


@require_safe
def school_checklist(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = get_agency(request, slug)
    school = get_object_or_404(agency.schools, pk=pk)
    assessment = _current_assessment(agency)
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


# Review, sign-off and reports ------------------------------------------------------------------


def _revisions(assessment: Assessment) -> list[Assessment]:
    """Every revision of this assessment, oldest first (a short chain: reopened sign-offs)."""
    root = assessment
    while root.revision_of_id:
        root = Assessment.objects.get(pk=root.revision_of_id)
    chain = [root]
    while nxt := Assessment.objects.filter(revision_of=chain[-1]).first():
        chain.append(nxt)
    return chain


@require_http_methods(["GET", "POST"])
def assessment_review(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """What is missing before submission, with links; and the submission itself."""
    agency = get_agency(request, slug)
    assessment = get_assessment(request, agency, pk)
    if request.method == "POST":
        if not request.user.has_perm("checklists.submit_assessment", agency):
            raise PermissionDenied
        try:
            services.assessment_submit(assessment=assessment, by=request.user)
        except services.IncompleteAssessment as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "Submitted for review. A lead can now sign it off.")
            return redirect("assessment_review", slug=agency.slug, pk=assessment.pk)
    context = {
        "agency": agency,
        "assessment": assessment,
        "gaps": services.assessment_gaps(assessment)
        if assessment.state == Assessment.State.DRAFT
        else [],
        "overall": scoring.overall(assessment.responses.all()),
        "can_submit": request.user.has_perm("checklists.submit_assessment", agency),
        "can_sign": request.user.has_perm("checklists.sign_off_assessment", agency),
    }
    return render(request, "checklists/assessment_review.html", context)


@require_http_methods(["GET", "POST"])
def assessment_sign_off(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = get_agency(request, slug, "checklists.sign_off_assessment")
    assessment = get_assessment(request, agency, pk)
    form = SignOffForm(
        request.POST or None,
        initial={"typed_name": request.user.full_name, "typed_title": request.user.job_title},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.assessment_sign_off(
                assessment=assessment, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Signed off. The signed reports are being produced.")
            return redirect("assessment_reports", slug=agency.slug, pk=assessment.pk)
    context = {
        "agency": agency,
        "assessment": assessment,
        "form": form,
        "statement": services.ATTESTATION,
        "overall": scoring.overall(assessment.responses.all()),
        "sections": scoring.by_section(assessment.responses.all()),
    }
    return render(request, "checklists/assessment_sign_off.html", context)


def assessment_return(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = get_agency(request, slug, "checklists.sign_off_assessment")
    assessment = get_assessment(request, agency, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    services.assessment_return(assessment=assessment, by=request.user)
    messages.success(request, "Returned to draft for more work.")
    return redirect("assessment_review", slug=agency.slug, pk=assessment.pk)


def assessment_reopen(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = get_agency(request, slug, "checklists.sign_off_assessment")
    assessment = get_assessment(request, agency, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        revision = services.assessment_reopen(assessment=assessment, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("assessment_reports", slug=agency.slug, pk=assessment.pk)
    messages.success(
        request,
        f"Revision {revision.revision} is open for editing; the signed revision stays as it was.",
    )
    return redirect(revision)


@require_safe
def assessment_reports(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = get_agency(request, slug)
    assessment = get_assessment(request, agency, pk)
    revisions = _revisions(assessment)
    sign_offs = {
        s.assessment_id: s
        for s in SignOff.objects.filter(assessment__in=revisions).prefetch_related("reports")
    }
    context = {
        "agency": agency,
        "assessment": assessment,
        "rows": [(r, sign_offs.get(r.pk)) for r in revisions],
        "can_sign": request.user.has_perm("checklists.sign_off_assessment", agency),
        "editions": Report.Edition.choices,
    }
    return render(request, "checklists/assessment_reports.html", context)


@require_safe
def report_list(request: HttpRequest, slug: str) -> HttpResponse:
    """The agency's signed reports, newest first, and draft reports of the open assessment."""
    agency = get_agency(request, slug)
    current = _current_assessment(agency)
    context = {
        "agency": agency,
        "sign_offs": SignOff.objects.for_agency(agency),
        "current": current if current and current.state != Assessment.State.SIGNED_OFF else None,
        "can_sign": request.user.has_perm("checklists.sign_off_assessment", agency),
        "editions": Report.Edition.choices,
    }
    return render(request, "checklists/report_list.html", context)


@require_safe
def report_draft(request: HttpRequest, slug: str, pk: int, edition: str) -> HttpResponse:
    """A draft report, rendered on request (signed reports come from storage)."""
    agency = get_agency(request, slug)
    assessment = get_assessment(request, agency, pk)
    if edition not in Report.Edition.values:
        raise Http404("No such edition.")
    pdf = report_pdf(assessment, edition=edition)
    record(
        AuditEvent.Action.DRAFT_REPORT_DOWNLOADED,
        agency=agency,
        actor=request.user,
        target=assessment,
        summary=f"Downloaded a draft {Report.Edition(edition).label.lower()} of {assessment.title}",
        edition=edition,
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"muster-{agency.slug}-{assessment.pk}-draft-{edition}.pdf"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


@require_safe
def report_download(request: HttpRequest, slug: str, pk: int) -> FileResponse:
    agency = get_agency(request, slug)
    report = get_object_or_404(
        Report.objects.select_related("sign_off__assessment"),
        sign_off__assessment__agency=agency,
        pk=pk,
    )
    if report.state != Report.State.DONE:
        raise Http404("This report is not ready yet.")
    handle = _open_stored(report.file)
    record(
        AuditEvent.Action.REPORT_DOWNLOADED,
        agency=agency,
        actor=request.user,
        target=report,
        summary=f"Downloaded the signed {report.get_edition_display().lower()} "
        f"of {report.sign_off.assessment.title}",
        edition=report.edition,
        sha256=report.sha256,
    )
    response = FileResponse(
        handle, as_attachment=True, filename=report.file.name.rsplit("/", 1)[-1],
        content_type="application/pdf",
    )  # fmt: skip
    response["X-Content-Type-Options"] = "nosniff"
    return response


def report_retry(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = get_agency(request, slug, "checklists.sign_off_assessment")
    report = get_object_or_404(
        Report.objects.select_related("sign_off"), sign_off__assessment__agency=agency, pk=pk
    )
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        services.report_retry(report=report)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "The report is queued to render again.")
    return redirect("assessment_reports", slug=agency.slug, pk=report.sign_off.assessment_id)


@login_not_required
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Public: anyone holding a report can check that it is authentic and unaltered."""
    form = VerifyForm(request.POST or None, request.FILES or None)
    verdict = None
    if request.method == "POST" and form.is_valid():
        verdict = verify_report(form.cleaned_data["file"].read())
    status = 400 if request.method == "POST" and not form.is_valid() else 200
    return render(
        request, "checklists/verify.html", {"form": form, "verdict": verdict}, status=status
    )
