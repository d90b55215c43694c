"""An item's origin and Muster's suggested practice: read, checked, loaded."""

from __future__ import annotations

from textwrap import dedent

import pytest

from checklists.catalog.models import Item
from checklists.catalog.reader import CatalogError, read_catalog
from checklists.catalog.services import catalog_load

CATALOG = dedent(
    """\
    slug: origin-test
    title: Origin test
    publisher: Test Publisher
    source_url: https://example.org/page
    version: "1.0"
    published: 2022
    roles:
      - slug: patrol
        name: Patrol
    sources:
      - key: page
        citation: Test Publisher, the page, 2022.
        url: https://example.org/page
      - key: study
        citation: A. Author, A study, 2011.
    sections:
      - code: first
        title: First section
        items:
          - code: TST-01
            title: Write the policy
            guidance: A written policy exists.
            practice: Review it at least every two years.
            why: Because the page says so.
            basis: Introduction
            origin: finding
            roles: [patrol]
            sources: [page]
            prompts:
              - key: done
                kind: boolean
                label: Done?
    """
)


def write(tmp_path, text: str):
    path = tmp_path / "catalog.yaml"
    path.write_text(text)
    return path


def problems_of(tmp_path, text: str) -> list[tuple[int, str, str]]:
    with pytest.raises(CatalogError) as caught:
        read_catalog(write(tmp_path, text))
    return [(p.line, p.field, p.message) for p in caught.value.problems]


def test_origin_and_practice_are_read(tmp_path):
    item = read_catalog(write(tmp_path, CATALOG)).sections[0].items[0]

    assert (item.origin, item.practice) == ("finding", "Review it at least every two years.")


def test_an_item_without_origin_is_marked_as_muster_practice(tmp_path):
    text = CATALOG.replace("        origin: finding\n", "").replace(
        "        practice: Review it at least every two years.\n", ""
    )
    item = read_catalog(write(tmp_path, text)).sections[0].items[0]

    assert (item.origin, item.practice) == ("practice", "")


def test_an_unknown_origin_names_its_line_and_field(tmp_path):
    problems = problems_of(tmp_path, CATALOG.replace("origin: finding", "origin: rumour"))

    assert [(line, field) for line, field, _ in problems] == [
        (26, "sections[0].items[0].origin (item TST-01)")
    ]
    assert "'finding', 'cited' or 'practice'" in problems[0][2]


def test_a_cited_item_must_cite_more_than_the_page(tmp_path):
    problems = problems_of(tmp_path, CATALOG.replace("origin: finding", "origin: cited"))

    assert problems == [
        (
            26,
            "sections[0].items[0].origin (item TST-01)",
            "is cited, but the item's sources name only the catalog's own page",
        )
    ]
    cited = CATALOG.replace("origin: finding", "origin: cited").replace(
        "sources: [page]", "sources: [page, study]"
    )
    assert read_catalog(write(tmp_path, cited)).sections[0].items[0].origin == "cited"


def test_loading_copies_origin_and_practice_to_the_item(tmp_path, db):
    version = catalog_load(path=write(tmp_path, CATALOG)).version

    item = version.items.get(code="TST-01")
    assert item.origin == Item.Origin.FINDING
    assert item.get_origin_display() == "From the research"
    assert item.practice == "Review it at least every two years."
    assert list(version.items.search("every two years")) == [item]
