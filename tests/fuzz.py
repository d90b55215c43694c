"""Hostile input for property-based tests, and the checks every answer to it must pass.

The strategies mix random text with values known to break things: markup that would run if a
page or the PDF printed it raw, NUL (PostgreSQL text refuses it), SQL, template syntax, huge
numbers, impossible dates, very long strings. A form field may also arrive twice or not at all.
"""

from __future__ import annotations

from contextlib import contextmanager
from html.parser import HTMLParser

from django.db import transaction
from hypothesis import strategies as st

# Every markup payload names "fuzz": a tag, a script or an attribute that would run it.
MARKUP = [
    "<fuzz>bold</fuzz>",
    "<script>fuzz()</script>",
    "<img src=x onerror=fuzz()>",
    '"><fuzz onclick="fuzz()">',
    "'><fuzz>",
    "</textarea><fuzz>",
    "</title><script>fuzz()</script>",
    "<svg><script>fuzz()</script></svg>",
    "<!-- <fuzz> -->",
    "<style>*{}</style><fuzz>",
]
SPECIAL = [
    "\x00",
    "before\x00after",
    "\x1b[31m\x07\x08",
    "line\r\nbreak\rand\nmore",
    "\u202eevil\u200b\ufeff",
    "'; DROP TABLE accounts_user; --",
    "1' OR '1'='1",
    "{{ request.user.password }}{% debug %}",
    "${7*7}%s%n%x",
    "../../etc/passwd",
    "javascript:fuzz()",
    "x" * 20_000,
    "é" * 300,
    "😀" * 100,
    "",
    "   ",
]
NUMBERS = [
    "-1",
    "0",
    "1e309",
    "-1e309",
    "NaN",
    "Infinity",
    "1E+2",
    "99999999999999999999999999999999",
    "-99999999999999999999999999999999",
    "0x10",
    "1,000",
    "١٢٣",
    "12.345",
    "2147483648",
]
DATES = [
    "2026-02-30",
    "2025-13-01",
    "0000-00-00",
    "0001-01-01",
    "9999-12-31",
    "99999-01-01",
    "-2020-01-01",
    "2020-1-1",
    "yesterday",
    "2020-01-01T00:00:00",
]

hostile_text = st.one_of(
    st.sampled_from(MARKUP + SPECIAL + NUMBERS + DATES),
    st.text(max_size=80),
    st.builds(lambda a, b: a + b, st.sampled_from(MARKUP), st.text(max_size=20)),
)


def field(valid: st.SearchStrategy | None = None) -> st.SearchStrategy:
    """One POSTed field: hostile or valid text, sent once, twice (a list) or not at all."""
    value = hostile_text if valid is None else st.one_of(valid, hostile_text)
    return st.one_of(value, st.lists(value, min_size=2, max_size=3), st.just(None))


def form_data(**fields: st.SearchStrategy) -> st.SearchStrategy[dict]:
    """POST data from one `field()` strategy per name; a None value leaves the field out."""
    return st.fixed_dictionaries(fields).map(
        lambda data: {k: v for k, v in data.items() if v is not None}
    )


def mostly_valid(**valid: st.SearchStrategy) -> st.SearchStrategy[dict]:
    """POST data that is valid but for up to two fields, each sent as hostile text, twice or
    not at all: so that saves happen as well as refusals."""

    @st.composite
    def build(draw) -> dict:
        data = draw(st.fixed_dictionaries(valid))
        for name in draw(st.lists(st.sampled_from(sorted(valid)), max_size=2, unique=True)):
            data[name] = draw(field())
        return {k: v for k, v in data.items() if v is not None}

    return build()


@contextmanager
def rolled_back():
    """Run one example in a savepoint that is always rolled back, so examples never meet."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


class _Markup(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs) -> None:
        self._in_script = tag == "script"
        if "fuzz" in tag:
            self.found.append(f"element <{tag}>")
        for name, _ in attrs:
            if name.startswith("on") or "fuzz" in name:
                self.found.append(f"attribute {name} on <{tag}>")

    def handle_endtag(self, tag) -> None:
        self._in_script = False

    def handle_data(self, data) -> None:
        if self._in_script:
            self.found.append(f"script {data[:40]!r}")


def assert_no_markup_runs(response) -> None:
    """The page has no element, script or event handler that came from user input.

    Our templates have no inline script and no on* attribute (the CSP forbids both), so any
    found here was injected.
    """
    content = response.content.decode(response.charset or "utf-8", errors="replace")
    parser = _Markup()
    parser.feed(content)
    assert not parser.found, parser.found


def assert_fine(response) -> None:
    """No server error, and nothing injected."""
    assert response.status_code < 500, response.status_code
    if response.get("Content-Type", "").startswith("text/html"):
        assert_no_markup_runs(response)


def escaped(text: str) -> str:
    """`text` as Django's autoescape writes it into a page."""
    from django.utils.html import escape

    return str(escape(text))
