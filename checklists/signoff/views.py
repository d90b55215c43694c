"""Pages of review and sign-off, the signed reports, and the public verification page."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_ratelimit.decorators import ratelimit

from accounts.access import get_agency
from accounts.audit import client_ip
from accounts.lockout import password_confirm
from accounts.once import submitted_once
from checklists.assessments import extensions, scoring
from checklists.assessments.access import get_assessment
from checklists.assessments.forms import add_service_errors
from checklists.assessments.models import Assessment
from checklists.assessments.services import IncompleteAssessment, assessment_gaps
from checklists.signoff import services
from checklists.signoff.access import get_draft, get_report
from checklists.signoff.forms import ReopenForm, SignOffForm, VerifyForm
from checklists.signoff.models import DraftReport, Report, SignOff
from checklists.signoff.verify import verify_report


@require_http_methods(["GET", "POST"])
def assessment_review(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """What is missing before submission, with links; and the submission itself."""
    agency = get_agency(request, slug)
    assessment = get_assessment(request, agency, pk)
    can_submit = request.user.has_perm("checklists.submit_assessment", agency)
    if request.method == "POST":
        if not can_submit:
            raise PermissionDenied
        try:
            services.assessment_submit(assessment=assessment, by=request.user)
        except IncompleteAssessment as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "Submitted for review. A lead can now sign it off.")
            return redirect("assessment_review", slug=agency.slug, pk=assessment.pk)
    draft = assessment.state == Assessment.State.DRAFT
    context = {
        "agency": agency,
        "assessment": assessment,
        "gaps": assessment_gaps(assessment) if draft else [],
        "overall": scoring.overall(assessment.responses.all()),
        "can_submit": can_submit,
        "can_sign": request.user.has_perm("checklists.sign_off_assessment", agency),
        "panels": extensions.review_panels(assessment),
    }
    return render(request, "checklists/assessment_review.html", context)


@require_http_methods(["GET", "POST"])
def assessment_sign_off(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The attestation form while the assessment is in review; once signed off, the page says
    who signed and when and links to the reports, and a late POST is told so once."""
    agency = get_agency(request, slug, "checklists.sign_off_assessment")
    assessment = get_assessment(request, agency, pk)
    if assessment.is_locked:
        if request.method == "POST":
            messages.info(request, "This assessment has already been signed off.")
            return redirect("assessment_sign_off", slug=agency.slug, pk=assessment.pk)
        sign_off = SignOff.objects.of_revisions([assessment]).select_related("signer").first()
        context = {"agency": agency, "assessment": assessment, "sign_off": sign_off}
        return render(request, "checklists/assessment_signed.html", context)
    form = SignOffForm(
        request.POST or None,
        initial={"typed_name": request.user.full_name, "typed_title": request.user.job_title},
    )
    if request.method == "POST" and form.is_valid():
        try:
            # Counted and audited as a sign-in would be: no unthrottled password oracle.
            password_confirm(
                request, user=request.user, password=form.cleaned_data["password"], act="sign-off"
            )
            services.assessment_sign_off(
                assessment=assessment, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            if getattr(error, "code", None) == "signed":  # a lead signed it a moment ago
                messages.info(request, error.message)
                return redirect("assessment_sign_off", slug=agency.slug, pk=assessment.pk)
            add_service_errors(form, error)
        else:
            messages.success(request, "Signed off. The signed reports are being produced.")
            return redirect("assessment_reports", slug=agency.slug, pk=assessment.pk)
    responses = assessment.responses.all()
    context = {
        "agency": agency,
        "assessment": assessment,
        "form": form,
        "statement": services.ATTESTATION,
        "overall": scoring.overall(responses),
        "sections": scoring.by_section(responses),
    }
    return render(request, "checklists/assessment_sign_off.html", context)


@require_POST
def assessment_return(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = get_agency(request, slug, "checklists.sign_off_assessment")
    assessment = get_assessment(request, agency, pk)
    services.assessment_return(assessment=assessment, by=request.user)
    messages.success(request, "Returned to draft for more work.")
    return redirect("assessment_review", slug=agency.slug, pk=assessment.pk)


@require_http_methods(["GET", "POST"])
@submitted_once
def assessment_reopen(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Reopen a signed-off assessment as a new revision: asks for the reason, and a confirmation."""
    agency = get_agency(request, slug, "checklists.sign_off_assessment")
    assessment = get_assessment(request, agency, pk)
    reopened = Assessment.objects.filter(revision_of=assessment).first()
    if reopened is not None:
        messages.info(
            request, f"{assessment} was already reopened as revision {reopened.revision}."
        )
        return redirect(reopened)
    if not assessment.is_locked:
        messages.info(request, "Only a signed-off assessment can be reopened.")
        return redirect("assessment_reports", slug=agency.slug, pk=assessment.pk)
    form = ReopenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            revision = services.assessment_reopen(
                assessment=assessment, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                f"Revision {revision.revision} is open for editing; "
                "the signed revision stays as it was.",
            )
            return redirect(revision)
    context = {"agency": agency, "assessment": assessment, "form": form}
    return render(request, "checklists/assessment_reopen.html", context)


@require_safe
def assessment_reports(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = get_agency(request, slug)
    assessment = get_assessment(request, agency, pk)
    revisions = Assessment.objects.revisions_of(assessment)
    sign_offs = {s.assessment_id: s for s in SignOff.objects.of_revisions(revisions)}
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
    """The agency's signed reports, newest first, and draft reports of the open assessment.

    A public viewer gets the published page instead: each signed public summary and its scores.
    """
    agency = get_agency(request, slug, "accounts.view_published")
    if not request.user.has_perm("accounts.view_agency", agency):
        context = {"agency": agency, "published": services.published_summaries(agency)}
        return render(request, "checklists/report_published.html", context)
    current = Assessment.objects.current_for(agency)
    current = current if current and not current.is_locked else None
    context = {
        "agency": agency,
        "sign_offs": SignOff.objects.for_agency(agency),
        "current": current,
        "drafts": DraftReport.objects.filter(assessment=current)[:5] if current else [],
        "can_sign": request.user.has_perm("checklists.sign_off_assessment", agency),
        "editions": Report.Edition.choices,
    }
    return render(request, "checklists/report_list.html", context)


@require_POST
def draft_prepare(request: HttpRequest, slug: str, pk: int, edition: str) -> HttpResponse:
    """Ask for a draft report; its page shows the progress and then the download."""
    agency = get_agency(request, slug)
    assessment = get_assessment(request, agency, pk)
    if edition not in Report.Edition.values:
        raise Http404("No such edition.")
    try:
        draft = services.report_draft_prepare(
            assessment=assessment, edition=edition, by=request.user
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("report_list", slug=agency.slug)
    return redirect(draft)


@require_safe
def draft_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """A draft's progress (htmx asks again every few seconds while it renders) and download."""
    agency = get_agency(request, slug)
    draft = get_draft(request, agency, pk)
    template = "checklists/draft_detail.html"
    if request.htmx:
        template += "#status"
    return render(request, template, {"agency": agency, "draft": draft})


@require_safe
def draft_download(request: HttpRequest, slug: str, pk: int) -> FileResponse:
    agency = get_agency(request, slug)
    draft = get_draft(request, agency, pk)
    if draft.state != Report.State.DONE:
        raise Http404("This draft is not ready yet.")
    name = f"muster-{agency.slug}-{draft.assessment_id}-draft-{draft.edition}.pdf"
    response = FileResponse(
        services.report_draft_open(draft=draft, by=request.user),
        filename=name,
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_safe
def report_download(request: HttpRequest, slug: str, pk: int) -> FileResponse:
    agency = get_agency(request, slug, "accounts.view_published")
    report = get_report(request, agency, pk, "checklists.download_report")
    if report.state != Report.State.DONE:
        raise Http404("This report is not ready yet.")
    response = FileResponse(
        services.report_open(report=report, by=request.user),
        as_attachment=True,
        filename=report.file.name.rsplit("/", 1)[-1],
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
def report_retry(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = get_agency(request, slug, "checklists.sign_off_assessment")
    report = get_report(request, agency, pk, "checklists.retry_report")
    try:
        services.report_retry(report=report)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "The report is queued to render again.")
    return redirect("assessment_reports", slug=agency.slug, pk=report.sign_off.assessment_id)


def _client_address(group: str, request: HttpRequest) -> str:
    """Whom the verify page's rate limit counts: the client address as the sign-in lockout reads
    it (TRUSTED_PROXIES), an IPv6 client by its /64, which one household or host holds."""
    address = client_ip(request)
    if address is None:
        return "unknown"
    prefix = 64 if ":" in address else 32
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def _verify_rate(group: str, request: HttpRequest) -> str:
    return settings.VERIFY_RATE


@login_not_required
@require_http_methods(["GET", "POST"])
@ratelimit(key=_client_address, rate=_verify_rate, method="POST")
def verify(request: HttpRequest) -> HttpResponse:
    """Public: anyone holding a report can check that it is authentic and unaltered.

    Any upload gets a verdict: 200 for a file that was checked, 400 for a form error, 413 for a
    file over VERIFY_MAX_BYTES; past VERIFY_RATE a client address gets the 429 page.
    """
    form = VerifyForm(request.POST or None, request.FILES or None)
    verdict = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            verdict = verify_report(form.cleaned_data["file"].read())
        else:
            status = 413 if form.has_error("file", "too_large") else 400
    return render(
        request, "checklists/verify.html", {"form": form, "verdict": verdict}, status=status
    )
