"""Markup typed into Muster prints in the PDF as the characters typed, never as HTML or CSS.

A few renders only (about a second each): each payload goes into every kind of stored text at
once, with a label telling where it came from.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from accounts.models import Agency, School, User
from checklists.models import Response
from checklists.services import response_update
from tests.checklists.test_services_assessments import response_for
from tests.checklists.test_signoff import pdf_text

PAYLOADS = [
    "<b>bold</b> & <i>x</i>",
    '<script>fuzz()</script><img src="file:///etc/passwd">',
    '"</style><style>*{display:none}</style>\\"',
]


def squash(text: str) -> str:
    """Text without any whitespace: where the PDF breaks a line is the layout's business."""
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_markup_in_stored_text_prints_as_text_in_the_report(
    client_for, agency, viewer, editor, school, assessment, payload
):
    Agency.objects.filter(pk=agency.pk).update(
        name=f"Agency {payload}", jurisdiction=f"Jurisdiction {payload}"
    )
    School.objects.filter(pk=school.pk).update(name=f"School {payload}")
    User.objects.filter(pk=editor.pk).update(full_name=f"Person {payload}")
    response_update(
        response=response_for(assessment, "LER-14"),
        by=editor,
        expected_version=1,
        status=Response.Status.IN_PROGRESS,
        notes=f"Notes {payload}",
        answers={"arrangement_description": f"Answer {payload}"},
        owner=editor,
    )

    reply = client_for(viewer).get(
        reverse("assessment_report_draft", args=[agency.slug, assessment.pk, "full"])
    )

    assert reply.status_code == 200
    text = squash("".join(pdf_text(reply.content)))
    for label in ["Agency", "Jurisdiction", "School", "Person", "Notes", "Answer"]:
        assert squash(f"{label} {payload}") in text, label
