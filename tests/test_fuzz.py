"""The checks of tests/fuzz.py find what they look for, so a passing fuzz test means something."""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.template import engines

from tests.fuzz import MARKUP, assert_no_markup_runs

PAGE = '<p title="{{ value }}">{{ value }}</p><textarea>{{ value }}</textarea>'


@pytest.mark.parametrize("value", MARKUP)
def test_escaped_markup_passes(value):
    html = engines["django"].from_string(PAGE).render({"value": value})

    assert_no_markup_runs(HttpResponse(html))


@pytest.mark.parametrize("value", [m for m in MARKUP if "<!--" not in m])
def test_raw_markup_is_found(value):
    html = engines["django"].from_string(PAGE).render({"value": value}).replace("&lt;", "<")
    html = html.replace("&gt;", ">").replace("&quot;", '"').replace("&#x27;", "'")

    with pytest.raises(AssertionError):
        assert_no_markup_runs(HttpResponse(html))
