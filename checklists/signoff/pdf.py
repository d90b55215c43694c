"""The preparedness report: HTML and a print stylesheet, rendered by WeasyPrint.

Two editions: the full report (Law Enforcement Sensitive) and a public summary without item
detail, evidence or school names. Each is rendered from a snapshot alone: a signed edition from
its sign-off's frozen snapshot for that audience (embedded as an attached file, PDF/A-3b, then
signed by `rendering.report_render`), a draft from a snapshot of the live rows taken now.
"""

from __future__ import annotations

import gc
import json
import mimetypes
import ssl
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import PurePosixPath

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from weasyprint import HTML, Attachment
from weasyprint.urls import URLFetcher, URLFetcherResponse

from checklists.assessments.models import Assessment, Response
from checklists.catalog.models import Item, answer_text
from checklists.signoff.models import Report, SignOff
from checklists.signoff.snapshot import (
    FORMAT,
    PUBLIC_FORMAT,
    assessment_snapshot,
    public_snapshot,
)

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
        # It never opens a connection; one shared context spares loading the system's
        # certificate store for every render (a twentieth of a small report's time).
        super().__init__(ssl_context=_unused_ssl_context(), **kwargs)
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


_COLLECTOR_THRESHOLDS = gc.get_threshold()


@contextmanager
def _fewer_collections(young: int = 10_000):
    """A render allocates millions of short-lived objects, and Python's collector would stop to
    scan them every 700: every 10,000 saves an eighth of a large report's time for some 30 MB.
    The thresholds are the process's; they go back to what they were when Muster started."""
    gc.set_threshold(young, *_COLLECTOR_THRESHOLDS[1:])
    try:
        yield
    finally:
        gc.set_threshold(*_COLLECTOR_THRESHOLDS)


@cache
def _unused_ssl_context() -> ssl.SSLContext:
    return ssl.create_default_context()


@dataclass(frozen=True)
class FigureBar:
    label: str
    value: int
    percent: int


def _figures(data: dict) -> list[dict]:
    figures = []
    for figure in data["figures"]:
        top = max((v["value"] for v in figure["values"]), default=0) or 1
        bars = [
            FigureBar(v["label"], v["value"], round(100 * v["value"] / top))
            for v in figure["values"]
        ]
        figures.append({"figure": figure, "bars": bars})
    return figures


STATUS_LABELS = dict(Response.Status.choices)
STATUS_ORDER = list(STATUS_LABELS.values())  # not started, in progress, in place, not applicable
ORIGIN_LABELS = dict(Item.Origin.choices)
OPEN = set(Response.OPEN_STATUSES)


def _items(data: dict) -> list[dict]:
    """The snapshot's items, each with the words for its origin ("" in snapshots without one)."""
    return [
        item | {"origin_label": ORIGIN_LABELS.get(item.get("origin", ""), "")}
        for item in data.get("items", [])
    ]


def _rows(data: dict) -> list[dict]:
    """The snapshot's responses, each with its item and the words the report prints."""
    items = {item["code"]: item for item in _items(data)}
    return [
        r
        | {
            "item": items[r["item"]],
            "status_label": STATUS_LABELS[r["status"]],
            "target": parse_date(r["target_date"] or ""),
            "needs_action": r["status"] in OPEN or r["carried_over"],
        }
        for r in data["responses"]
    ]


def _matrix(rows: list[dict]) -> dict:
    """School items school by school: one line each, "LER-15 Yes · LER-16 Part · …".

    Lines, not a table: for 200 schools a thousand-cell table costs WeasyPrint more than the rest
    of the report together, and a line per school reads as well. The text is made here, not by
    template filters, for the same reason.
    """
    codes = sorted({r["item"]["code"] for r in rows if r["school"]}, key=lambda c: (len(c), c))
    cells = defaultdict(dict)
    for r in rows:
        if r["school"]:
            cells[r["school"]][r["item"]["code"]] = STATUS_SHORT[r["status"]] + (
                "*" if r["carried_over"] else ""
            )
    return {
        "codes": codes,
        "rows": [
            (school, " · ".join(f"{code} {by_code[code]}" for code in codes if code in by_code))
            for school, by_code in sorted(cells.items())
        ],
    }


def _school_actions(rows: list[dict]) -> list[dict]:
    """The school items still needing action, by item, then by status, with the schools named
    once each ("*" carried over, to confirm; "(overdue)" past its target date)."""
    by_item: dict[str, dict] = {}
    for r in rows:
        if r["school"] and r["needs_action"]:
            entry = by_item.setdefault(r["item"]["code"], {"item": r["item"], "groups": {}})
            mark = ("*" if r["carried_over"] else "") + (" (overdue)" if r["overdue"] else "")
            entry["groups"].setdefault(r["status_label"], []).append(r["school"] + mark)
    return [
        entry
        | {
            "count": sum(len(names) for names in entry["groups"].values()),
            "groups": [
                (status, len(names), ", ".join(names))
                for status, names in sorted(
                    entry["groups"].items(), key=lambda group: STATUS_ORDER.index(group[0])
                )
            ],
        }
        for entry in by_item.values()
    ]


def _answers(row: dict) -> list[tuple[str, str]]:
    return [
        (p["label"], answer_text(row["answers"].get(p["key"]), kind=p["kind"], unit=p["unit"]))
        for p in row["item"]["prompts"]
        if p["kind"] != "file"
    ]


def paper_size() -> str:
    """The paper every signed document is printed on (REPORT_PAPER_SIZE): letter unless A4."""
    return "A4" if settings.REPORT_PAPER_SIZE.lower() == "a4" else "letter"


def report_context(
    data: dict,
    *,
    edition: str,
    fingerprint: str = "",
    draft_state: str = "",
    logo_name: str = "",
) -> dict:
    """What the report template shows, computed from a snapshot alone (never from live rows)."""
    public = edition == Report.Edition.PUBLIC
    rows = [] if public else _rows(data)
    sections = data["scores"]["sections"]
    signer = data["sign_off"]
    return {
        "data": data,
        "agency": data["agency"],
        "assessment": data["assessment"],
        "version": data["catalog"],
        "counts": data["counts"],
        "edition": edition,
        "public": public,
        "draft": bool(draft_state),
        "draft_state": draft_state,
        "sign_off": signer,
        "signed_at": parse_datetime(signer["at"]) if signer else None,
        "fingerprint": fingerprint,
        "generated_at": timezone.now() if draft_state else parse_datetime(signer["at"]),
        "started": parse_datetime(data["assessment"]["started"]),
        "due": parse_date(data["assessment"]["due_date"] or ""),
        "paper": paper_size(),
        "overall": data["scores"]["overall"],
        "sections": sections,
        "roles": data["scores"]["roles"],
        "gaps": sorted(sections, key=lambda s: s["percent"])[:3],
        "agency_actions": [r for r in rows if not r["school"] and r["needs_action"]],
        "school_actions": _school_actions(rows),
        "agency_items": [r | {"answer_rows": _answers(r)} for r in rows if not r["school"]],
        "school_items": [i for i in _items(data) if i["scope"] == "school"],
        "school_comments": [r for r in rows if r["school"] and r.get("comments")],
        "matrix": _matrix(rows),
        "figures": _figures(data),
        "sources": data["sources"],
        "logo_url": BASE_URL + "media/" + logo_name if logo_name else "",
    }


def report_html(data: dict, **options) -> str:
    return render_to_string("checklists/report/report.html", report_context(data, **options))


def html_to_pdf(
    html: str, *, logo_name: str = "", snapshot: str | None = None, title: str = ""
) -> bytes:
    """WeasyPrint, restricted to our own files. With a snapshot: PDF/A-3b with it attached."""
    fetcher = OwnFilesOnly(logo_name=logo_name)
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher)
    options = {"pdf_tags": True, "custom_metadata": True}
    if snapshot is not None:
        attachment = Attachment(
            string=snapshot.encode("utf-8"),
            url_fetcher=fetcher,
            name=SNAPSHOT_NAME,
            description="Muster sign-off snapshot (canonical JSON)",
            relationship="Data",
        )
        options |= {"pdf_variant": "pdf/a-3b", "attachments": [attachment]}
    with _fewer_collections():
        return document.write_pdf(**options)


def draft_snapshot(assessment: Assessment, *, edition: str) -> dict:
    """What a draft of the edition shows: a snapshot of the live rows, taken now."""
    data = assessment_snapshot(assessment, signer=None, as_of=timezone.localdate())
    return public_snapshot(data) if edition == Report.Edition.PUBLIC else data


def draft_pdf_from(data: dict, *, edition: str, assessment_state: str, logo_name: str) -> bytes:
    """A draft report from its snapshot: watermarked, unsigned."""
    html = report_html(data, edition=edition, draft_state=assessment_state, logo_name=logo_name)
    return html_to_pdf(html, logo_name=logo_name)


def draft_pdf(assessment: Assessment, *, edition: str) -> bytes:
    """A draft report of the assessment as it stands now (live rows), watermarked, unsigned."""
    return draft_pdf_from(
        draft_snapshot(assessment, edition=edition),
        edition=edition,
        assessment_state=assessment.get_state_display(),
        logo_name=assessment.agency.logo.name if assessment.agency.logo else "",
    )


def signed_pdf(sign_off: SignOff, *, edition: str) -> bytes:
    """The PDF/A file of a signed edition, from its sign-off's frozen snapshot alone."""
    text = sign_off.snapshot_for(edition)
    data = json.loads(text)
    if data.get("format") not in (FORMAT, PUBLIC_FORMAT):
        raise ValueError(f"A {data.get('format')} snapshot cannot be rendered again.")
    logo = sign_off.logo.name if sign_off.logo else ""
    html = report_html(
        data, edition=edition, fingerprint=sign_off.fingerprint_for(edition), logo_name=logo
    )
    return html_to_pdf(html, logo_name=logo, snapshot=text)
