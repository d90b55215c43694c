"""Hostile catalog files: the loader loads them or names their problems, and writes nothing then.

Random YAML documents, and the shipped catalog with one part broken: wrong types, huge numbers,
control characters, deep nesting, YAML tags, aliases, impossible dates.
"""

from __future__ import annotations

import time
from textwrap import dedent

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from checklists.catalog.reader import CatalogError, read_catalog
from checklists.catalog.services import catalog_load
from tests.helpers import (
    MARKUP,
    MINIMAL,
    SHIPPED_CATALOG,
    SPECIAL,
    catalog_row_counts,
    problems_of,
    rolled_back,
    write,
)

SHIPPED_TEXT = SHIPPED_CATALOG.read_text()
SHIPPED = yaml.safe_load(SHIPPED_TEXT)


def _locations(node, at=()):
    yield at
    if isinstance(node, dict | list):
        for key, child in node.items() if isinstance(node, dict) else enumerate(node):
            yield from _locations(child, (*at, key))


LOCATIONS = list(_locations(SHIPPED))[1:]


def _nested(depth: int):
    value = "x"
    for _ in range(depth):
        value = [value]
    return value


hostile_value = st.one_of(
    st.sampled_from(MARKUP + SPECIAL),
    st.text(max_size=30),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(),
    st.booleans(),
    st.none(),
    st.dates(),
    st.datetimes(),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    st.integers(min_value=1, max_value=150).map(_nested),
)


def _mutated(location: tuple, action: str, value) -> dict:
    data = yaml.safe_load(SHIPPED_TEXT)
    *parents, last = location
    parent = data
    for key in parents:
        parent = parent[key]
    if action == "delete":
        del parent[last]
    elif action == "duplicate" and isinstance(parent, list):
        parent.append(parent[last])
    else:
        parent[last] = value
    return data


def assert_loads_or_explains(path) -> None:
    """Either a catalog version, or a `CatalogError` whose every problem has a line; and then
    no row was written."""
    before = catalog_row_counts()
    error = None
    with rolled_back():
        try:
            result = catalog_load(path=path)
        except CatalogError as caught:
            error = caught
            assert catalog_row_counts() == before
        else:
            assert result.version.items.exists()
    if error is not None:
        assert error.problems
        assert all(p.line >= 1 and p.message for p in error.problems)
        assert str(error).startswith(str(path))


@given(
    location=st.sampled_from(LOCATIONS),
    action=st.sampled_from(["replace", "replace", "delete", "duplicate"]),
    value=hostile_value,
)
def test_shipped_catalog_with_one_part_broken_loads_or_is_explained(
    db, tmp_path, location, action, value
):
    data = _mutated(location, action, value)
    path = write(tmp_path, yaml.safe_dump(data, allow_unicode=True, sort_keys=False))

    assert_loads_or_explains(path)


# Raw YAML put in place of a value in the shipped file: what a dumper would never write.
RAW_VALUES = [
    '!!python/object/apply:os.system ["touch {sentinel}"]',
    '!!python/object/new:subprocess.Popen [["touch", "{sentinel}"]]',
    "!!python/name:os.system",
    "&anchor value",
    "*anchor",
    '"\\0 NUL"',
    '"\\x85 NEL \\u2028"',
    "!!binary AAAA",
    "!!timestamp 2020-02-30",
    "2021-02-29",
    "!!int " + "9" * 5000,
    "!!float 1e99999",
    "!!set {a, b}",
    "!!omap [a: 1, b: 2]",
    "[" * 500 + "]" * 500,
    "{a: 1, a: 2}",
    "'unterminated",
    "@reserved",
    "\t tab",
    "- a\n- b",
    "{{ 7*7 }}",
    "!unknown-tag x",
    ".nan",
    "-.inf",
    "0o777",
    "0x_ff",
]


@given(
    line=st.integers(min_value=0, max_value=len(SHIPPED_TEXT.splitlines()) - 1),
    raw=st.sampled_from(RAW_VALUES),
)
def test_raw_yaml_in_place_of_a_value_never_runs_and_is_explained(db, tmp_path, line, raw):
    sentinel = tmp_path / "executed"
    lines = SHIPPED_TEXT.splitlines()
    if ": " in lines[line]:
        key = lines[line].split(": ", 1)[0]
        lines[line] = f"{key}: {raw.replace('{sentinel}', str(sentinel))}"
    path = write(tmp_path, "\n".join(lines) + "\n")

    assert_loads_or_explains(path)
    assert not sentinel.exists()


yaml_documents = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20) | st.dates(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


@given(document=yaml_documents)
def test_any_yaml_document_is_refused_with_reasons(tmp_path, document):
    path = write(tmp_path, yaml.safe_dump(document, allow_unicode=True))

    with pytest.raises(CatalogError) as caught:
        read_catalog(path)
    assert caught.value.problems


@given(text=st.text(max_size=300))
def test_any_text_is_refused_with_reasons(tmp_path, text):
    path = tmp_path / "catalog.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")

    with pytest.raises(CatalogError) as caught:
        read_catalog(path)
    assert all(p.line >= 1 for p in caught.value.problems)


# Each of these used to escape as an exception other than CatalogError (or hang).
def test_impossible_date_is_a_problem_on_its_line(tmp_path):
    problems = problems_of(tmp_path, MINIMAL.replace("published: 2022", "published: 2022-02-30"))

    assert problems == [(6, "", "is not valid YAML: day is out of range for month")]


def test_integer_too_long_to_read_is_a_problem_on_its_line(tmp_path):
    problems = problems_of(tmp_path, MINIMAL.replace("max: 500", "max: " + "9" * 5000))

    assert [(line, field) for line, field, _ in problems] == [(29, "")]


def test_nul_escaped_in_a_quoted_string_is_refused(tmp_path):
    text = MINIMAL.replace("title: Write the policy", 'title: "Write\\0the policy"')

    assert problems_of(tmp_path, text) == [
        (18, "sections[0].items[0].title (item TST-01)", "contains a control character")
    ]


@pytest.mark.parametrize(
    ("nesting", "message"),
    [
        ("[" * 20_000 + "]" * 20_000, "is not valid YAML: exceeded maximum nesting depth"),
        (
            "".join(f"\n{'  ' * n}a:" for n in range(1, 100)) + " x",
            "is not valid YAML: is nested too deeply",
        ),
    ],
)
def test_deep_nesting_is_refused_quickly(tmp_path, nesting, message):
    started = time.monotonic()
    problems = problems_of(tmp_path, MINIMAL + "extra: " + nesting + "\n")

    assert [text for _, _, text in problems] == [message]
    assert time.monotonic() - started < 1


def test_billion_laughs_is_refused_before_expanding(tmp_path):
    levels = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for n, name in enumerate("bcdefghi"):
        ref = "abcdefghi"[n]
        levels.append(f"{name}: &{name} [" + ", ".join([f"*{ref}"] * 10) + "]")
    started = time.monotonic()

    problems = problems_of(tmp_path, "\n".join(levels) + "\n")

    assert problems == [(2, "", "is not valid YAML: aliases (*name) are not allowed")]
    assert time.monotonic() - started < 1


def test_python_tags_are_refused_without_running(tmp_path):
    sentinel = tmp_path / "executed"
    text = MINIMAL.replace(
        "title: Test catalog", f'title: !!python/object/apply:os.system ["touch {sentinel}"]'
    )

    problems = problems_of(tmp_path, text)

    assert problems[0][0] == 2
    assert "could not determine a constructor" in problems[0][2]
    assert not sentinel.exists()


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("code: first", "code: " + "s" * 51, "sections[0].code"),
        ("source_url: https://example.org/page", "source_url: http://x", "source_url"),
    ],
)
def test_what_the_database_would_refuse_is_a_problem_of_the_file(tmp_path, db, old, new, field):
    path = write(tmp_path, MINIMAL.replace(old, new))
    before = catalog_row_counts()

    with pytest.raises(CatalogError) as caught:
        catalog_load(path=path)

    assert [p.field for p in caught.value.problems] == [field]
    assert catalog_row_counts() == before


def test_figure_value_beyond_the_integer_column_is_a_problem_of_the_file(tmp_path, db):
    figure = dedent(
        """\
        figures:
          - key: counts
            title: Counts
            unit: incidents
            source: page
            values:
              - label: Many
                value: 2147483648
        """
    )
    path = write(tmp_path, MINIMAL + figure)

    with pytest.raises(CatalogError) as caught:
        catalog_load(path=path)

    assert [(p.line, p.field) for p in caught.value.problems] == [
        (37, "figures[0].values[0].value")
    ]
    assert "less than or equal to 2147483647" in caught.value.problems[0].message


@pytest.mark.parametrize("field", ["roles", "sources"])
def test_a_role_or_source_listed_twice_on_an_item_is_a_problem_of_the_file(tmp_path, db, field):
    text = MINIMAL.replace("roles: [patrol]", "roles: [patrol, patrol]").replace(
        "sources: [page]", "sources: [page, page]"
    )
    before = catalog_row_counts()

    with pytest.raises(CatalogError) as caught:
        catalog_load(path=write(tmp_path, text))

    line = {"roles": 22, "sources": 23}[field]
    assert (
        line,
        f"sections[0].items[0].{field}[1] (item TST-01)",
        "'%s' is listed more than once" % ("patrol" if field == "roles" else "page"),
    ) in [(p.line, p.field, p.message) for p in caught.value.problems]
    assert catalog_row_counts() == before
