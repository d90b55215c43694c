"""The preparedness report: HTML and a print stylesheet, rendered by WeasyPrint.

Two editions come from the same data: the full report (Law Enforcement Sensitive) and a public
summary without item detail, evidence or school names. A signed report is PDF/A-3b, tagged, with
the sign-off's snapshot embedded as an attached file, then signed (see `rendering.report_render`).
"""

from __future__ import annotations

import mimetypes
from collections import defaultdict
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML, Attachment
from weasyprint.urls import URLFetcher, URLFetcherResponse

from checklists.assessments import scoring
from checklists.assessments.models import Assessment, Response
from checklists.signoff.models import Report, SignOff

BASE_URL = "https://muster.invalid/"
SNAPSHOT_NAME = "muster-snapshot.json"
STATUS_SHORT = {
    Response.Status.NOT_STARTED: "—",
    Response.Status.IN_PROGRESS: "Part",
    Response.Status.IN_PLACE: "Yes",
    Response.Status.NOT_APPLICABLE: "N/A",
}


class OwnFilesOnly(URLFetcher):
    """Serves our static files and the agency's logo; refuses every other URL."""

    def __init__(self, logo_name: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self.logo_name = logo_name

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        if url.startswith(BASE_URL + "static/"):
            relative = PurePosixPath(url.removeprefix(BASE_URL + "static/"))
            path = None if ".." in relative.parts else finders.find(str(relative))
            if path:
                with open(path, "rb") as handle:
                    return self._response(url, handle.read())
        if self.logo_name and url == BASE_URL + "media/" + self.logo_name:
            with default_storage.open(self.logo_name, "rb") as handle:
                return self._response(url, handle.read())
        raise ValueError(f"The report may not load {url}")

    @staticmethod
    def _response(url: str, body: bytes) -> URLFetcherResponse:
        content_type = mimetypes.guess_type(url)[0] or "application/octet-stream"
        return URLFetcherResponse(url, body, {"Content-Type": content_type})


@dataclass(frozen=True)
class FigureBar:
    label: str
    value: int
    percent: int


def _figures(assessment: Assessment) -> list[dict]:
    figures = []
    for figure in assessment.catalog_version.figures.select_related("source").prefetch_related(
        "values"
    ):
        values = list(figure.values.all())
        top = max((v.value for v in values), default=0) or 1
        bars = [FigureBar(v.label, v.value, round(100 * v.value / top)) for v in values]
        figures.append({"figure": figure, "bars": bars})
    return figures


def _matrix(responses: list[Response]) -> dict:
    """School items as a school-by-item table, so that 200 schools stay one readable grid.

    Cells are (status, text) pairs computed here: a thousand cells through template filters
    would cost more than the table's layout.
    """
    codes = sorted({r.item.code for r in responses if r.school_id}, key=lambda c: (len(c), c))
    cells = defaultdict(dict)
    for r in responses:
        if r.school_id:
            cells[r.school.name][r.item.code] = (
                r.status,
                STATUS_SHORT[r.status] + ("*" if r.carried_over else ""),
            )
    rows = [
        (school, [by_code.get(code, ("", "")) for code in codes])
        for school, by_code in sorted(cells.items())
    ]
    return {"codes": codes, "rows": rows}


def report_context(assessment: Assessment, *, edition: str, sign_off: SignOff | None) -> dict:
    responses = list(assessment.responses.for_display())
    all_responses = assessment.responses.all()
    open_actions = [r for r in responses if r.needs_action]
    sections = scoring.by_section(all_responses)
    return {
        "assessment": assessment,
        "agency": assessment.agency,
        "version": assessment.catalog_version,
        "edition": edition,
        "public": edition == Report.Edition.PUBLIC,
        "sign_off": sign_off,
        "draft": sign_off is None,
        "generated_at": timezone.now(),
        "paper": "A4" if settings.REPORT_PAPER_SIZE.lower() == "a4" else "letter",
        "overall": scoring.overall(all_responses),
        "sections": sections,
        "roles": scoring.by_role(all_responses),
        "schools": scoring.by_school(all_responses),
        "gaps": sorted(sections, key=lambda s: s.percent)[:3],
        "open_actions": open_actions,
        "agency_items": [r for r in responses if not r.school_id],
        "matrix": _matrix(responses),
        "figures": _figures(assessment),
        "sources": assessment.catalog_version.sources.all(),
        "logo_url": BASE_URL + "media/" + assessment.agency.logo.name
        if assessment.agency.logo
        else "",
    }


def report_html(assessment: Assessment, *, edition: str, sign_off: SignOff | None = None) -> str:
    context = report_context(assessment, edition=edition, sign_off=sign_off)
    return render_to_string("checklists/report/report.html", context)


def html_to_pdf(
    html: str, *, logo_name: str = "", snapshot: str | None = None, title: str = ""
) -> bytes:
    """WeasyPrint, restricted to our own files. With a snapshot: PDF/A-3b with it attached."""
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=OwnFilesOnly(logo_name=logo_name))
    options = {"pdf_tags": True, "custom_metadata": True}
    if snapshot is not None:
        attachment = Attachment(
            string=snapshot.encode("utf-8"),
            name=SNAPSHOT_NAME,
            description="Muster sign-off snapshot (canonical JSON)",
            relationship="Data",
        )
        options |= {"pdf_variant": "pdf/a-3b", "attachments": [attachment]}
    return document.write_pdf(**options)


def report_pdf(assessment: Assessment, *, edition: str, sign_off: SignOff | None = None) -> bytes:
    """The report's PDF: a draft on request, or (with a sign-off) the PDF/A file to be signed."""
    html = report_html(assessment, edition=edition, sign_off=sign_off)
    return html_to_pdf(
        html,
        logo_name=assessment.agency.logo.name if assessment.agency.logo else "",
        snapshot=sign_off.snapshot if sign_off else None,
    )
