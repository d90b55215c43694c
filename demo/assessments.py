"""Demo assessments: last year's, signed off, and this year's, carried over and under way; and
a second agency's first, under way."""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.models import Agency, User
from checklists.assessments.comments import comment_add, comment_resolve
from checklists.assessments.evidence import attachment_add
from checklists.assessments.models import Assessment, Response
from checklists.assessments.services import (
    assessment_start,
    assessment_start_next,
    responses_confirm,
)
from checklists.catalog.models import CatalogVersion, EvidencePrompt
from checklists.signoff.services import (
    assessment_sign_off,
    assessment_submit,
    report_draft_prepare,
)

S = Response.Status


def sample_answer(prompt: EvidencePrompt, rng: random.Random):
    """A plausible answer for a prompt, within its bounds."""
    kind = EvidencePrompt.Kind
    if prompt.kind == kind.DATE:
        return (timezone.localdate() - timedelta(days=rng.randint(20, 400))).isoformat()
    if prompt.kind == kind.NUMBER:
        low = int(prompt.min_number or 0)
        high = int(prompt.max_number) if prompt.max_number is not None else low + 60
        return str(rng.randint(low, max(low, min(high, low + 60))))
    if prompt.kind == kind.BOOLEAN:
        return True
    if prompt.kind == kind.CHOICE:
        return rng.choice(prompt.choices)
    if prompt.kind == kind.TEXT:
        return f"General Order {rng.randint(1, 9)}.{rng.randint(10, 40)}"
    return None


DEMO_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def fill(response: Response, status: str, rng: random.Random, **fields) -> None:
    """Record a response the way a member would, with history (bypasses the version check)."""
    if status in (S.IN_PLACE, S.IN_PROGRESS):
        answers = {p.key: sample_answer(p, rng) for p in response.item.prompts.all()}
        response.answers = _within_wholes(response, answers)
    if status == S.IN_PLACE:
        for prompt in response.item.prompts.all():
            if prompt.kind == EvidencePrompt.Kind.FILE and prompt.required:
                upload = SimpleUploadedFile(f"{prompt.key.replace('_', '-')}.pdf", DEMO_PDF)
                attachment_add(
                    response=response,
                    upload=upload,
                    prompt_key=prompt.key,
                    by=fields.get("updated_by"),
                )
    if status == S.NOT_APPLICABLE:
        response.justification = "The agency has no such facility."
    response.status = status
    for name, value in fields.items():
        setattr(response, name, value)
    response.version += 1
    response.updated_at = timezone.now()
    response._history_user = fields.get("updated_by")
    response.save()


def _within_wholes(response: Response, answers: dict) -> dict:
    """A part never exceeds its whole (`max_of`): 12 of 40 sworn officers trained, not 58 of 10."""
    for prompt in response.item.prompts.all():
        part, whole = answers.get(prompt.key), answers.get(prompt.max_of)
        if part is not None and whole is not None and int(part) > int(whole):
            answers[prompt.key] = str(int(whole) * 3 // 4)
    return {k: v for k, v in answers.items() if v is not None}


@transaction.atomic
def demo_assessments(agency: Agency, *, password: str, seed: int = 2026) -> Assessment:
    """Last year's assessment, completed and signed off through the real services; this year's,
    carried over from it and under way, with a draft of its public summary asked for. The
    sign-off and the draft queue their renders for the task worker."""
    rng = random.Random(seed)  # noqa: S311 — repeatable demo data, not security
    lead, last_year = _started(agency, "2025 annual assessment", due_date=date(2025, 12, 1))
    for response in last_year.responses.select_related("item").prefetch_related("item__prompts"):
        fill(response, rng.choice([S.IN_PLACE, S.IN_PLACE, S.IN_PROGRESS]), rng, updated_by=lead)
    last_year.created_at = timezone.now() - timedelta(days=365)
    last_year.save(update_fields=["created_at"])
    assessment_submit(assessment=last_year, by=lead)
    _review_comments(last_year, lead)
    assessment_sign_off(
        assessment=last_year, by=lead, typed_name=lead.full_name, typed_title=lead.job_title,
        attest=True, password=password,
    )  # fmt: skip
    this_year = assessment_start_next(
        previous=last_year, title="2026 annual assessment", due_date=date(2026, 12, 15), by=lead
    )
    _progress(this_year, agency, rng)
    _work_in_progress(this_year, agency, lead)
    # The chief asked for the public summary's draft for the council: the worker prepares it.
    report_draft_prepare(assessment=this_year, edition="public", by=lead)
    return this_year


def demo_first_assessment(agency: Agency, *, seed: int = 14) -> Assessment:
    """An agency's first assessment, half of it recorded by its lead so far: some schools well
    on, others barely started."""
    rng = random.Random(seed)  # noqa: S311 — repeatable demo data, not security
    lead, assessment = _started(agency, "2026 annual assessment", due_date=date(2027, 3, 1))
    responses = list(assessment.responses.select_related("item").prefetch_related("item__prompts"))
    for response in rng.sample(responses, k=len(responses) // 2):
        status = rng.choice([S.IN_PLACE, S.IN_PLACE, S.IN_PROGRESS])
        fill(response, status, rng, carried_over=False, updated_by=lead)
    return assessment


def _started(agency: Agency, title: str, *, due_date: date) -> tuple[User, Assessment]:
    """The agency's lead and the assessment they start on the newest RAND catalog."""
    lead = User.objects.get(memberships__agency=agency, memberships__access="lead")
    version = CatalogVersion.objects.filter(catalog__slug="rand-law-enforcement-response").latest()
    assessment = assessment_start(
        agency=agency, catalog_version=version, title=title, due_date=due_date, by=lead
    )
    return lead, assessment


def _progress(assessment: Assessment, agency: Agency, rng: random.Random) -> None:
    coordinator = User.objects.filter(
        memberships__agency=agency, memberships__access="editor"
    ).first()
    responses = list(assessment.responses.select_related("item").prefetch_related("item__prompts"))
    for response in rng.sample(responses, k=len(responses) // 3):
        fill(response, S.IN_PLACE, rng, carried_over=False, updated_by=coordinator)
    overdue = timezone.localdate() - timedelta(days=10)
    for response in [r for r in responses if "training-coordinator" in _roles(r)][:4]:
        fill(
            response,
            S.IN_PROGRESS,
            rng,
            owner=coordinator,
            target_date=overdue,
            updated_by=coordinator,
        )


def _roles(response: Response) -> set[str]:
    return {role.slug for role in response.item.roles.all()}


def _review_comments(assessment: Assessment, lead: User) -> None:
    """Last year's review: the chief asked about two items, and one answer settled the first."""
    first, second = assessment.responses.filter(item__code__in=["LER-02", "LER-12"]).order_by(
        "item__order"
    )
    settled = comment_add(response=first, body="Is the roster from this year's sessions?", by=lead)
    comment_resolve(comment=settled, by=lead)
    comment_add(
        response=second,
        body="Attach the signed plan before next year's review.",
        by=lead,
    )


def _work_in_progress(assessment: Assessment, agency: Agency, lead: User) -> None:
    """This year so far: a confirmed carried-over item, supporting documents on an item with no
    file prompt, and the chief's open review comments on the coordinator's items."""
    coordinator = User.objects.filter(
        memberships__agency=agency, memberships__access="editor"
    ).first()
    to_confirm = assessment.responses.to_confirm().order_by("item__order")[:1]
    responses_confirm(assessment=assessment, responses=to_confirm, by=coordinator)
    plan = assessment.responses.get(item__code="LER-12")
    attachment_add(
        response=plan,
        upload=SimpleUploadedFile("nims-ics-plan-2026.pdf", DEMO_PDF),
        prompt_key="",
        by=coordinator,
    )
    for response in assessment.responses.filter(owner=coordinator).order_by("item__order")[:2]:
        comment_add(
            response=response,
            body="The target date has passed: what is left, and when will it be done?",
            by=lead,
        )
