"""The catalog file reader: a file is checked whole, and every problem names file, line and field."""

from __future__ import annotations

from decimal import Decimal

import pytest

from checklists.catalog.reader import read_catalog
from tests.helpers import MINIMAL, SHIPPED_CATALOG, problems_of, write


def test_minimal_catalog_reads(tmp_path):
    spec = read_catalog(write(tmp_path, MINIMAL))

    assert spec.slug == "test-catalog"
    assert spec.published == "2022"
    prompt = spec.sections[0].items[0].prompts[0]
    assert (prompt.min, prompt.max) == (Decimal(0), Decimal(500))


def test_shipped_catalog_reads_with_every_item_sourced_and_provable():
    spec = read_catalog(SHIPPED_CATALOG)

    items = [item for _, item in spec.items()]
    assert len(items) >= 20
    assert all(item.roles and item.sources and item.prompts for item in items)
    assert all(any(p.required for p in item.prompts) for item in items)
    assert {item.scope for item in items} == {"agency", "school"}


# Each case edits MINIMAL (old -> new) and names where the problem must be reported.
@pytest.mark.parametrize(
    ("old", "new", "line", "field", "message"),
    [
        ("title: Test catalog\n", "title: Test catalog\ncolour: blue\n", 3, "colour", "not a known field"),
        ("items:\n", "item:\n", 16, "sections[0].item", "not a known field"),
        ("roles: [patrol]", "roles: [sergeant]", 22, "sections[0].items[0].roles[0] (item TST-01)", "'sergeant' is not one of the catalog's roles"),
        ("sources: [page]", "sources: [book]", 23, "sections[0].items[0].sources[0] (item TST-01)", "'book' is not one of the catalog's sources"),
        ("kind: number", "kind: colour", 26, "sections[0].items[0].prompts[0].kind (item TST-01)", "input should be"),
        ("max: 500", "max: 2020-01-01", 29, "sections[0].items[0].prompts[0].max (item TST-01)", "must be a number"),
        ("min: 0", "min: 900", 28, "sections[0].items[0].prompts[0].min (item TST-01)", "greater than max"),
        ("code: TST-01", "code: tst one", 17, "sections[0].items[0].code (item tst one)", "string should match pattern"),
        ("published: 2022", "published: last year", 6, "published", "string should match pattern"),
        ("title: Test catalog\n", "title: Test catalog\ntitle: Again\n", 3, "title", "appears twice"),
        ("guidance: A written policy exists.", "# guidance removed", 17, "sections[0].items[0].guidance (item TST-01)", "is required"),
    ],
)  # fmt: skip
def test_problem_names_line_and_field(tmp_path, old, new, line, field, message):
    assert MINIMAL.count(old) == 1
    problems = problems_of(tmp_path, MINIMAL.replace(old, new))

    assert any(
        (p_line, p_field) == (line, field) and message in text for p_line, p_field, text in problems
    ), problems


def test_duplicate_item_code_is_reported_on_both_items(tmp_path):
    item = MINIMAL[MINIMAL.index("      - code: TST-01") :]
    problems = problems_of(tmp_path, MINIMAL + item)

    assert [(line, message) for line, _, message in problems] == [
        (17, "'TST-01' is used by more than one item"),
        (30, "'TST-01' is used by more than one item"),
    ]


def test_every_problem_is_listed_not_just_the_first(tmp_path):
    text = MINIMAL.replace("[patrol]", "[sergeant]").replace("[page]", "[book]")

    assert len(problems_of(tmp_path, text)) == 2


def test_yaml_syntax_error_names_its_line(tmp_path):
    problems = problems_of(
        tmp_path, MINIMAL.replace("    title: First section\n", "    title: [unclosed\n")
    )

    assert problems[0][0] in (15, 16)  # PyYAML marks where it noticed
    assert "not valid YAML" in problems[0][2]


def test_a_file_that_is_not_a_mapping_is_refused(tmp_path):
    assert problems_of(tmp_path, "- just\n- a list\n") == [
        (1, "", "must be a mapping of catalog fields")
    ]


def test_date_bounds_accept_today_and_iso_dates(tmp_path):
    text = MINIMAL.replace("kind: number", "kind: date").replace("min: 0", "min: 2000-01-01")
    text = text.replace("max: 500", "max: today")
    prompt = read_catalog(write(tmp_path, text)).sections[0].items[0].prompts[0]

    assert (str(prompt.min), prompt.max) == ("2000-01-01", "today")


def test_fingerprint_ignores_comments_and_layout(tmp_path):
    first = read_catalog(write(tmp_path, MINIMAL)).sha256()
    second = read_catalog(
        write(tmp_path, "# a comment\n" + MINIMAL.replace('"1.0"', "'1.0'"))
    ).sha256()
    changed = read_catalog(
        write(tmp_path, MINIMAL.replace("Write the policy", "Adopt the policy"))
    ).sha256()

    assert first == second
    assert first != changed


# Relations between prompts (issue 12): counts are whole, a part never exceeds its whole.
WITH_WHOLE = MINIMAL + (
    "          - key: sworn\n            kind: number\n            label: Sworn officers\n"
)


def test_a_prompt_declares_a_whole_count_no_larger_than_another(tmp_path):
    text = WITH_WHOLE.replace(
        "max: 500\n", "max: 500\n            whole: true\n            max_of: sworn\n"
    )

    prompt = read_catalog(write(tmp_path, text)).sections[0].items[0].prompts[0]

    assert (prompt.whole, prompt.max_of) == (True, "sworn")


@pytest.mark.parametrize(
    ("relation", "message"),
    [
        ("max_of: sowrn", "'sowrn' is not a prompt of this item"),
        ("max_of: officers", "names the prompt itself"),
        ("max_of: policy", "'policy' is a text prompt, not a number"),
    ],
)
def test_a_relation_to_an_unknown_or_wrong_prompt_is_a_load_error(tmp_path, relation, message):
    text = WITH_WHOLE.replace("max: 500\n", f"max: 500\n            {relation}\n") + (
        "          - key: policy\n            kind: text\n            label: Policy reference\n"
    )

    problems = problems_of(tmp_path, text)

    assert [(field, text) for _, field, text in problems] == [
        ("sections[0].items[0].prompts[0].max_of (item TST-01)", message)
    ]


def test_whole_and_max_of_apply_only_to_numbers(tmp_path):
    text = WITH_WHOLE + (
        "          - key: policy\n"
        "            kind: text\n"
        "            label: Policy reference\n"
        "            whole: true\n"
        "            max_of: sworn\n"
    )

    problems = {(field, text) for _, field, text in problems_of(tmp_path, text)}

    assert problems == {
        ("sections[0].items[0].prompts[2].whole (item TST-01)", "does not apply to a text prompt"),
        ("sections[0].items[0].prompts[2].max_of (item TST-01)", "does not apply to a text prompt"),
    }


def test_the_shipped_catalog_declares_its_counts_and_relations():
    items = {item.code: item for _, item in read_catalog(SHIPPED_CATALOG).items()}
    prompts = {p.key: p for p in items["LER-02"].prompts}

    assert prompts["officers_trained"].whole
    assert prompts["officers_trained"].max_of == "sworn_total"
    assert prompts["sworn_total"].whole
