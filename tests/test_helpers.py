"""The suite's own machinery: the fuzz checks of tests/helpers.py find what they look for (so a
passing fuzz test means something), and sign-offs render their reports only when asked to."""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.tasks.backends.dummy import DummyBackend
from django.tasks.backends.immediate import ImmediateBackend
from django.template import engines

from checklists.signoff.tasks import report_render_task
from tests.helpers import MARKUP, assert_no_markup_runs, sign

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


def test_a_sign_off_queues_its_reports_where_nothing_renders_them(
    complete_assessment, lead, django_capture_on_commit_callbacks
):
    sign_off = sign(complete_assessment, lead, django_capture_on_commit_callbacks)

    assert isinstance(report_render_task.get_backend(), DummyBackend)
    reports = sign_off.reports.all()
    assert {(r.state, bool(r.task_id), r.file.name) for r in reports} == {("pending", True, "")}


def test_render_reports_has_them_rendered_at_once(render_reports):
    assert isinstance(report_render_task.get_backend(), ImmediateBackend)
