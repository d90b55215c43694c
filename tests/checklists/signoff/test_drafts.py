"""Draft reports: prepared in the task worker, not in the request; served again while nothing
has changed; a limit on how many one member has under way; a failure shown by its reference."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.tasks import default_task_backend
from django.urls import resolve

from checklists.assessments.services import response_update
from checklists.models import DraftReport, Report, Response
from checklists.signoff.rendering import draft_render
from tests.helpers import pdf_text, response_for, url


@pytest.fixture(autouse=True)
def _no_earlier_tasks():
    default_task_backend.clear()  # the dummy backend keeps what every test queued


@pytest.fixture
def prepare(django_capture_on_commit_callbacks):
    """Press "Prepare draft"; what is queued on commit reaches the (dummy) queue."""

    def press(client, agency, assessment, edition="full"):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url("draft_prepare", agency, assessment.pk, edition))

    return press


def draft_of(response) -> DraftReport:
    return DraftReport.objects.get(pk=resolve(response.url).kwargs["pk"])


def test_prepare_draft_queues_a_render_and_the_page_polls_until_the_download(
    client_for, agency, assessment, viewer, prepare
):
    client = client_for(viewer)
    asked = prepare(client, agency, assessment)
    draft = draft_of(asked)
    waiting = client.get(asked.url)
    polled = client.get(asked.url, headers={"HX-Request": "true"})

    assert draft.state == Report.State.PENDING
    assert [r.args for r in default_task_backend.results] == [[draft.pk]]  # queued, not rendered
    assert 'hx-trigger="every 2s"' in waiting.content.decode()
    assert "Waiting its turn" in waiting.content.decode()
    assert polled.content.decode().lstrip().startswith('<section id="draft-status"')
    assert url("draft_download", agency, draft.pk) not in waiting.content.decode()

    draft_render(draft=draft)  # the worker
    done = client.get(asked.url, headers={"HX-Request": "true"}).content.decode()

    assert "hx-trigger" not in done  # polling stops
    assert url("draft_download", agency, draft.pk) in done
    download = client.get(url("draft_download", agency, draft.pk))
    assert b"".join(download.streaming_content).startswith(b"%PDF")


def test_a_draft_not_yet_rendered_is_not_downloaded(
    client_for, agency, assessment, viewer, prepare
):
    client = client_for(viewer)
    draft = draft_of(prepare(client, agency, assessment))

    assert client.get(url("draft_download", agency, draft.pk)).status_code == 404


def test_asking_again_while_a_draft_waits_gives_that_draft(
    client_for, agency, assessment, viewer, editor, prepare
):
    first = draft_of(prepare(client_for(viewer), agency, assessment))
    again = draft_of(prepare(client_for(editor), agency, assessment))

    assert again == first
    assert len(default_task_backend.results) == 1  # one render queued


def test_an_unchanged_draft_is_served_again_and_a_change_renders_a_new_one(
    client_for, agency, assessment, viewer, editor, prepare
):
    first = draft_render(draft=draft_of(prepare(client_for(viewer), agency, assessment)))
    again = draft_render(draft=draft_of(prepare(client_for(editor), agency, assessment)))
    page = client_for(editor).get(url("draft_detail", agency, again.pk)).content.decode()

    assert again != first
    assert (again.reused, again.file.name) == (True, first.file.name)  # not rendered again
    assert again.snapshot_sha256 == first.snapshot_sha256
    assert "Nothing had changed since the last draft" in page
    assert len(list(Path(settings.MEDIA_ROOT).rglob("*.pdf"))) == 1
    response_update(
        response=response_for(assessment, "LER-14"),
        by=editor,
        expected_version=1,
        status=Response.Status.IN_PROGRESS,
        notes="Drafting the mutual-aid agreement.",
    )
    changed = draft_render(draft=draft_of(prepare(client_for(viewer), agency, assessment)))

    assert not changed.reused
    assert changed.snapshot_sha256 != first.snapshot_sha256
    assert changed.file.name != first.file.name
    assert "Drafting the mutual-aid agreement." in "".join(pdf_text(changed.file.open().read()))


def test_a_change_of_paper_size_renders_the_draft_again(
    client_for, agency, assessment, viewer, settings, prepare
):
    letter = draft_render(draft=draft_of(prepare(client_for(viewer), agency, assessment)))
    settings.REPORT_PAPER_SIZE = "A4"
    a4 = draft_render(draft=draft_of(prepare(client_for(viewer), agency, assessment)))

    assert not a4.reused
    assert a4.file.name != letter.file.name


def test_a_member_past_the_limit_of_drafts_under_way_is_told_to_wait(
    client_for, agency, assessment, viewer, editor, settings, prepare
):
    settings.DRAFT_RENDERS_PER_MEMBER = 1
    client = client_for(viewer)
    prepare(client, agency, assessment, "full")
    refused = prepare(client, agency, assessment, "public")
    page = client.get(refused.url).content.decode()

    assert refused.url == url("report_list", agency)
    assert "You already have 1 draft report being prepared" in page
    assert DraftReport.objects.filter(requested_by=viewer).count() == 1
    # Another member is not held up by this one's drafts.
    assert draft_of(prepare(client_for(editor), agency, assessment, "public"))


def test_a_failed_draft_shows_members_a_reference_and_operators_the_detail(
    client_for, agency, assessment, viewer, caplog, prepare, settings, tmp_path
):
    client = client_for(viewer)
    draft = draft_of(prepare(client, agency, assessment))
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    settings.MEDIA_ROOT = str(blocked / "media")  # the file cannot be stored

    with pytest.raises(OSError, match="not-a-folder"):
        draft_render(draft=draft)

    draft.refresh_from_db()
    page = client.get(url("draft_detail", agency, draft.pk)).content.decode()
    assert draft.state == Report.State.FAILED
    assert "not-a-folder" in draft.error  # for operators, in the admin
    assert draft.error_reference in page
    assert str(tmp_path) not in page
    assert draft.error.split(":")[0] not in page  # the exception's name
    logged = [r for r in caplog.records if draft.error_reference in r.getMessage()]
    assert logged
    assert "not-a-folder" in str(logged[0].exc_info[1])
    # Asking again queues a new draft.
    again = draft_of(prepare(client, agency, assessment))
    assert again != draft
    assert again.state == Report.State.PENDING


def test_the_reports_page_lists_recent_drafts_in_a_fixed_number_of_queries(
    client_for, agency, assessment, viewer, editor, lead, prepare, count_queries
):
    client = client_for(viewer)
    first = draft_of(prepare(client, agency, assessment, "public"))
    draft_render(draft=first)
    page = client.get(url("report_list", agency)).content.decode()
    few = count_queries(lambda: client.get(url("report_list", agency)))
    prepare(client_for(editor), agency, assessment, "full")
    prepare(client_for(lead), agency, assessment, "full")

    assert url("draft_detail", agency, first.pk) in page
    assert "Public summary, asked for" in page
    assert "ready" in page
    assert count_queries(lambda: client.get(url("report_list", agency))) == few
