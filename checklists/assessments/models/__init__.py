"""An agency's assessments (`assessments`) and their responses, with evidence files, pending
uploads and review comments (`responses`). Code imports the models from here."""

from __future__ import annotations

from checklists.assessments.models.assessments import (
    CHECKLIST_ORDER,
    TO_CONFIRM,
    Assessment,
    AssessmentLocked,
    AssessmentQuerySet,
)
from checklists.assessments.models.responses import (
    Attachment,
    PendingUpload,
    Response,
    ResponseHistory,
    ResponseQuerySet,
    ReviewComment,
    ReviewCommentQuerySet,
    evidence_path,
    pending_path,
)

__all__ = [
    "CHECKLIST_ORDER",
    "TO_CONFIRM",
    "Assessment",
    "AssessmentLocked",
    "AssessmentQuerySet",
    "Attachment",
    "PendingUpload",
    "Response",
    "ResponseHistory",
    "ResponseQuerySet",
    "ReviewComment",
    "ReviewCommentQuerySet",
    "evidence_path",
    "pending_path",
]
