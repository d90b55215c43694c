"""Markup typed into Muster prints in the PDF as the characters typed, never as HTML or CSS.

A few renders only (about a second each): each payload goes into every kind of stored text at
once, with a label telling where it came from.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from accounts.models import Agency, School, User
from checklists.assessments.services import response_update
from checklists.models import Response
from checklists.signoff.rendering import report_render
from tests.helpers import PASSWORD, draft_through_pages, pdf_text, response_for

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

    reply = draft_through_pages(client_for(viewer), agency, assessment, "full")

    assert reply.status_code == 200
    text = squash("".join(pdf_text(reply.pdf)))
    for label in ["Agency", "Jurisdiction", "School", "Person", "Notes", "Answer"]:
        assert squash(f"{label} {payload}") in text, label


def test_a_signed_report_takes_markup_and_line_breaks_in_names(
    client_for, agency, lead, complete_assessment
):
    """The signer's typed name and the agency's name also go into the PDF signature."""
    payload = PAYLOADS[0]
    Agency.objects.filter(pk=agency.pk).update(name=f"Agency {payload}\r\nBcc: x")
    client = client_for(lead)

    client.post(reverse("assessment_review", args=[agency.slug, complete_assessment.pk]))
    reply = client.post(
        reverse("assessment_sign_off", args=[agency.slug, complete_assessment.pk]),
        {
            "typed_name": f"Signer {payload}",
            "typed_title": f"Title {payload}",
            "attest": "on",
            "password": PASSWORD,
        },
    )
    # Rendered and signed for real, as the task worker would (the public edition stays queued).
    report = report_render(report=complete_assessment.sign_offs.get().reports.get(edition="full"))

    assert reply.status_code == 302
    assert (report.state, report.error) == ("done", "")
    text = squash("".join(pdf_text(report.file.read())))
    for label in ["Agency", "Signer", "Title"]:
        assert squash(f"{label} {payload}") in text, label
