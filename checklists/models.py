"""Every model of the app, for Django, migrations and the admin; code imports each from its room.

The models live with their concern: `checklists.catalog.models`, `checklists.assessments.models`
and `checklists.signoff.models`. Django loads this module to register them.
"""

from __future__ import annotations

from checklists.assessments.models import (
    Assessment,
    AssessmentLocked,
    Attachment,
    PendingUpload,
    Response,
    ReviewComment,
    evidence_path,
)
from checklists.catalog.models import (
    Catalog,
    CatalogVersion,
    EvidencePrompt,
    Figure,
    FigureValue,
    Item,
    Section,
    Source,
)
from checklists.signoff.models import DraftReport, Report, SignOff

__all__ = [
    "Assessment",
    "AssessmentLocked",
    "Attachment",
    "Catalog",
    "CatalogVersion",
    "DraftReport",
    "EvidencePrompt",
    "Figure",
    "FigureValue",
    "Item",
    "PendingUpload",
    "Report",
    "Response",
    "ReviewComment",
    "Section",
    "SignOff",
    "Source",
    "evidence_path",
]
