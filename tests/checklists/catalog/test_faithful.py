"""The shipped catalog against the page it comes from, RAND's "Law Enforcement Response".

The page's text is read from the seed file: its figures must be in the catalog with the page's
numbers, titles and notes, and whatever Muster adds (intervals, frequencies, importance weights)
must be marked as Muster's wherever it is shown.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.urls import reverse
from pypdf import PdfReader

from checklists.catalog.models import Item
from checklists.signoff.pdf import draft_pdf, report_html
from checklists.signoff.snapshot import assessment_snapshot

SEED_PAGE = Path(settings.BASE_DIR).parent / "shared" / "seeds" / "000_a319c562b6b77486.txt"
SHIPPED = Path(settings.CATALOG_DIR) / "rand-law-enforcement-response.yaml"
FREQUENCIES = re.compile(
    r"once a year|every two years|annually|each year|every year|yearly|at least every", re.I
)
# "two-day", "40 hours", "4-hour": the length of a course.
COURSE_LENGTH = re.compile(r"\b(\d+|one|two|three|four|five)[- ](hours?|days?)\b", re.I)
WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}


@pytest.fixture(scope="module")
def page() -> str:
    assert SEED_PAGE.exists(), f"The seed page is missing: {SEED_PAGE}"
    return " ".join(SEED_PAGE.read_text(encoding="utf-8").split())


def figure(version, key: str):
    return version.figures.select_related("source").prefetch_related("values").get(key=key)


def values(figure) -> dict[str, int]:
    return {v.label: v.value for v in figure.values.all()}


def flat(text: str) -> str:
    return " ".join(text.split())


def test_subject_outcome_has_the_page_title_labels_and_numbers(catalog_version, page):
    outcome = figure(catalog_version, "subject-outcome")
    given = dict(re.findall(r"(Self-Inflicted|NA-Subject did not Die|Killed by \w+): (\d+)", page))

    assert len(given) == 4
    assert outcome.title == "Subject Outcome or Cause of Death"
    assert outcome.title in page
    for label, number in given.items():
        [(ours, value)] = [(k, v) for k, v in values(outcome).items() if k.startswith(label)]
        assert value == int(number), ours
    assert "Killed by LE (law enforcement)" in values(outcome)
    assert outcome.source.key == "rand-toolkit"


def test_subject_outcome_carries_the_page_note_on_foiled_attacks(catalog_version, page):
    note = flat(figure(catalog_version, "subject-outcome").note)

    assert 'exclude attacks that we categorized as "Foiled."' in page
    assert re.search(r'exclude attacks .*categorized as "Foiled"', note)
    assert "killed by law enforcement" in note


def test_apprehensions_are_counted_in_incidents_with_the_page_numbers(catalog_version, page):
    scene, fled = re.search(
        r"In (\d+) incidents, the subject was apprehended on the scene, and in (\d+) incidents, "
        r"the subject was apprehended after fleeing",
        page,
    ).groups()
    apprehension = figure(catalog_version, "subject-apprehension")
    by_label = values(apprehension)

    assert apprehension.unit == "incidents"
    assert "incidents" in apprehension.title.lower()
    assert [v for k, v in by_label.items() if "on the scene" in k] == [int(scene)]
    assert [v for k, v in by_label.items() if "after fleeing" in k] == [int(fled)]
    note = flat(apprehension.note)
    assert "in incidents" in note
    assert "not present them as a breakdown of the cases in which the subject did not die" in note
    assert apprehension.source.key == "rand-toolkit"


def test_officer_deaths_are_events_and_deaths_over_the_page_period(catalog_version, page):
    start, end, events, deaths = re.search(
        r"From (\d{4}) to (\d{4}), we identified (\w+) events in which a responding officer was "
        r"killed by a shooter, yielding (\w+) total officer deaths",
        page,
    ).groups()
    officers = figure(catalog_version, "officer-deaths")
    by_label = values(officers)

    assert officers.period == f"{start}–{end}"
    assert by_label["Events in which a responding officer was killed by a shooter"] == WORDS[events]
    assert by_label["Officer deaths in all"] == WORDS[deaths]
    assert officers.source.key == "rand-toolkit"


def test_no_figure_calls_anyone_a_surviving_subject(catalog_version):
    for f in catalog_version.figures.prefetch_related("values"):
        text = " ".join([f.title, f.note, f.unit, *(v.label for v in f.values.all())])
        assert "surviv" not in text.lower(), f.key


def test_every_shipped_item_states_its_origin():
    items = [i for s in yaml.safe_load(SHIPPED.read_text())["sections"] for i in s["items"]]

    assert len(items) == 26
    assert {i["code"]: i.get("origin") in Item.Origin.values for i in items} == {
        i["code"]: True for i in items
    }


def test_items_citing_a_study_are_marked_cited(catalog_version):
    for item in catalog_version.items.prefetch_related("sources"):
        keys = {s.key for s in item.sources.all()}
        if keys & {"blair-2011", "sandel-2021", "alerrt-level-1", "alerrt-crase", "alerrt-sord"}:
            assert item.origin == Item.Origin.CITED, item.code


def test_guidance_holds_no_frequency_of_muster_own(catalog_version):
    for item in catalog_version.items.all():
        for field in ("title", "guidance", "why"):
            assert not FREQUENCIES.search(getattr(item, field)), f"{item.code} {field}"
    practice = {i.code: i.practice for i in catalog_version.items.all()}
    # Moved, not lost: Muster's intervals are still offered, as its own suggestion.
    assert "every two years" in practice["LER-01"]
    assert "once a year" in practice["LER-26"]


def test_alerrt_course_lengths_cite_alerrt(catalog_version):
    lengths = 0
    for item in catalog_version.items.prefetch_related("sources"):
        if COURSE_LENGTH.search(f"{item.guidance} {item.practice}"):
            lengths += 1
            keys = [s.key for s in item.sources.all()]
            assert any(k.startswith("alerrt-") for k in keys), item.code
    assert lengths >= 3  # Level I, its train-the-trainer course, CRASE


def practiced(version) -> Item:
    return version.items.exclude(practice="").exclude(origin=Item.Origin.PRACTICE).first()


def test_checklist_and_response_page_set_muster_practice_apart(
    client_for, agency, viewer, assessment
):
    item = practiced(assessment.catalog_version)
    response = assessment.responses.get(item=item, school=None)
    client = client_for(viewer)

    checklist = client.get(
        reverse("assessment_checklist", args=[agency.slug, assessment.pk]), {"q": item.code}
    ).content.decode()
    detail = client.get(response.get_absolute_url()).content.decode()

    assert "From the research" in checklist or "From a cited work" in checklist
    assert "Muster's suggested practice" in checklist
    assert "Muster's suggested practice:</span> " + item.practice in detail
    assert "(Muster's weighting)" in detail


def test_catalog_page_marks_origins_practice_and_weights(client_for, viewer, catalog_version):
    page = (
        client_for(viewer)
        .get(reverse("catalog_detail", args=[catalog_version.catalog.slug]))
        .content.decode()
    )

    assert "Suggested practice (Muster)" in page
    assert "From a cited work" in page
    assert "Muster's suggested practice:</span> " + practiced(catalog_version).practice in page
    assert "Importance 3 of 3 (Muster's weighting)" in page
    assert "NA-Subject did not Die" in page


def test_snapshot_items_carry_origin_and_practice(assessment):
    data = assessment_snapshot(assessment, signer=None, as_of=assessment.created_at.date())
    items = {i["code"]: i for i in data["items"]}

    assert items["LER-01"]["origin"] == "finding"
    assert "every two years" in items["LER-01"]["practice"]
    assert items["LER-08"]["origin"] == "cited"
    assert data["format"] == "muster-snapshot/2"


def test_a_snapshot_signed_before_origins_still_renders(assessment):
    data = assessment_snapshot(assessment, signer=None, as_of=assessment.created_at.date())
    for item in data["items"]:
        del item["origin"], item["practice"]

    html = report_html(data, edition="full", draft_state="Draft")

    assert "LER-01" in html
    assert "Muster's suggested practice:</strong>" not in html


def test_the_full_report_shows_origins_practice_and_the_figures_as_the_page_gives_them(
    assessment,
):
    text = flat(
        " ".join(
            page.extract_text()
            for page in PdfReader(io.BytesIO(draft_pdf(assessment, edition="full"))).pages
        )
    )

    assert "Muster's suggested practice: Review the policy at least every two years" in text
    assert "From the research · Muster importance 3 of 3 · Owner" in text
    assert "Subject Outcome or Cause of Death" in text
    assert "NA-Subject did not Die 139" in text
    assert 'categorized as "Foiled"' in text
    assert "Incidents in which the subject was apprehended" in text
    assert "surviv" not in text.lower()
