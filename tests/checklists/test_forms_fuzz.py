"""Hostile input to every checklist form: never a 500, never injected markup, never half a save.

Each example posts through the test client as the right member, inside a savepoint rolled back
afterwards (tests/fuzz.py), so examples start from the same assessment.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import yaml
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import event, example, given
from hypothesis import strategies as st

from checklists.models import Attachment, Response
from tests.conftest import PDF_BYTES, PNG_BYTES, SHIPPED_CATALOG
from tests.fuzz import (
    DATES,
    MARKUP,
    assert_fine,
    escaped,
    field,
    form_data,
    hostile_text,
    mostly_valid,
    rolled_back,
)

PROMPTS = {
    item["code"]: item["prompts"]
    for section in yaml.safe_load(SHIPPED_CATALOG.read_text())["sections"]
    for item in section["items"]
}
# LER-06: date, choice, number and file; LER-14: yes/no and a long text.
CODES = ["LER-06", "LER-14"]


def url(name, agency, *args):
    return reverse(name, args=[agency.slug, *args])


def _answer(prompt: dict) -> st.SearchStrategy:
    """A valid answer to a prompt (mostly_valid adds the hostile ones), or a tricky one."""
    kind = prompt["kind"]
    if kind == "number":
        return st.one_of(
            st.integers(min_value=0, max_value=10**6).map(str),
            st.sampled_from(["100", "2000", "1.50", "0.00", " 7 "]),
            st.decimals(min_value=0, max_value=10**6, places=2).map(str),
        )
    if kind == "date":
        valid = st.dates(min_value=date(1990, 1, 1), max_value=date(2025, 12, 31))
        return st.one_of(valid.map(date.isoformat), st.sampled_from(DATES))
    if kind == "boolean":
        return st.sampled_from(["yes", "no", "", "maybe"])
    if kind == "choice":
        return st.sampled_from([*prompt["choices"], "", "Other"])
    return hostile_text  # any text is an answer, markup and all


def response_posts(code: str) -> st.SearchStrategy[dict]:
    fields = {
        "version": st.just("1"),
        "status": st.sampled_from(["in_progress", "not_started", "not_applicable", "in_place"]),
        "justification": hostile_text,
        "notes": hostile_text,
        "owner": st.sampled_from(["MEMBER", "OUTSIDER", ""]),
        "target_date": st.dates().map(date.isoformat),
        "next": st.sampled_from(["/", "//evil.example/", "https://evil.example/", "checklist"]),
    }
    for prompt in PROMPTS[code]:
        if prompt["kind"] != "file":
            fields[f"answer_{prompt['key']}"] = _answer(prompt)
    return mostly_valid(**fields)


def _with_people(data: dict, member, outsider) -> dict:
    """Stand-ins for a member's and an outsider's id, known only once the database is set up."""
    ids = {"MEMBER": str(member.pk), "OUTSIDER": str(outsider.pk)}

    def swap(value):
        return [swap(v) for v in value] if isinstance(value, list) else ids.get(value, value)

    return {key: swap(value) for key, value in data.items()}


def _last(value):
    return value[-1] if isinstance(value, list) else value


@pytest.fixture
def viewer_client(viewer):
    client = Client()
    client.force_login(viewer)
    return client


def assert_stored_as_sent(stored: Response, data: dict) -> None:
    """What was saved is what was sent, cleaned as a form cleans (stripped, typed)."""
    assert stored.notes == _last(data.get("notes", "")).strip()
    assert stored.justification == _last(data.get("justification", "")).strip()
    for prompt in PROMPTS[stored.item.code]:
        sent = _last(data.get(f"answer_{prompt['key']}", "")).strip()
        answer = stored.answers.get(prompt["key"])
        if prompt["kind"] == "file" or sent == "":
            assert answer is None
        elif prompt["kind"] == "number":
            assert Decimal(answer) == Decimal(sent)
            assert "E" not in answer.upper(), answer  # as written, not 1E+2
        elif prompt["kind"] == "date":
            assert date.fromisoformat(answer) <= timezone.localdate()
        elif prompt["kind"] == "boolean":
            assert answer is (sent == "yes")
        else:
            assert answer == sent


@pytest.mark.parametrize("code", CODES)
@given(data=st.data(), htmx=st.booleans())
def test_response_form_takes_hostile_input_without_harm(
    client_for, viewer_client, agency, editor, outsider, assessment, code, data, htmx
):
    target = assessment.responses.get(item__code=code)
    post = _with_people(data.draw(response_posts(code)), editor, outsider)
    client = client_for(editor)
    headers = {"HX-Request": "true"} if htmx else {}

    with rolled_back():
        reply = client.post(url("response_detail", agency, target.pk), post, headers=headers)
        assert_fine(reply)
        stored = Response.objects.get(pk=target.pk)
        saved = stored.version == target.version + 1
        event("saved" if saved else "refused")
        if saved:
            assert reply.status_code == (200 if htmx else 302)
            if not htmx:
                assert reply["Location"].startswith("/")
                assert not reply["Location"].startswith("//")
            assert_stored_as_sent(stored, post)
            page = viewer_client.get(url("response_detail", agency, target.pk))
            assert_fine(page)
            texts = [a for a in stored.answers.values() if isinstance(a, str)]
            for text in [stored.notes, stored.justification, *texts]:
                if text.strip():
                    assert escaped(text.splitlines()[0]) in page.content.decode()
            assert_fine(viewer_client.get(url("response_history", agency, target.pk)))
        else:
            assert reply.status_code == 200
            assert reply.context["form"].errors or reply.context["conflict"]
            assert stored.version == target.version
            assert (stored.notes, stored.answers) == (target.notes, target.answers)


@pytest.mark.parametrize("notes", MARKUP)
def test_markup_in_notes_is_shown_as_text(
    client_for, viewer_client, agency, editor, assessment, notes
):
    target = assessment.responses.get(item__code="LER-14")

    reply = client_for(editor).post(
        url("response_detail", agency, target.pk),
        {
            "version": 1,
            "status": "in_progress",
            "notes": notes,
            "answer_arrangement_description": notes,
        },
    )

    assert reply.status_code == 302
    page = viewer_client.get(url("response_detail", agency, target.pk))
    assert_fine(page)
    assert page.content.decode().count(escaped(notes)) == 2


hostile_names = st.one_of(
    st.sampled_from(
        [
            "<fuzz>.pdf",
            "<img src=x onerror=fuzz()>.pdf",
            "../../../etc/passwd.pdf",
            "..\\..\\boot.ini.pdf",
            "a\x00b.pdf",
            "\x1b[31m.pdf",
            "x" * 300 + ".pdf",
            ".pdf",
            "CON.pdf",
            "résumé 😀.PDF",
            "evidence.html",
            "evidence.pdf.exe",
        ]
    ),
    st.text(max_size=40).map(lambda name: name + ".pdf"),  # (a nameless file is no file)
)
contents = st.sampled_from(
    [PDF_BYTES, PNG_BYTES, b"<html><script>fuzz()</script></html>", b"", b"\x00" * 100]
)


@given(name=hostile_names, content=contents)
@example(name="<fuzz>.pdf", content=PDF_BYTES)
def test_evidence_upload_with_hostile_name_and_content(
    client_for, viewer_client, agency, editor, assessment, upload, name, content
):
    target = assessment.responses.get(item__code="LER-06")
    post = {"version": 1, "status": "in_progress", "answer_after_action": upload(name, content)}

    with rolled_back():
        reply = client_for(editor).post(url("response_detail", agency, target.pk), post)
        assert_fine(reply)
        stored = Attachment.objects.filter(response=target).first()
        if reply.status_code != 302:
            assert stored is None
            return
        assert stored is not None
        assert stored.original_name
        assert not set(stored.original_name) & set('<>:"/\\|?*\x00')
        assert all(c.isprintable() for c in stored.original_name)
        page = viewer_client.get(url("response_detail", agency, target.pk))
        assert_fine(page)
        assert escaped(stored.original_name) in page.content.decode()
        download = viewer_client.get(url("attachment_download", agency, stored.pk))
        assert download.status_code == 200
        assert download["X-Content-Type-Options"] == "nosniff"
        assert download["Content-Type"] in {"application/pdf", "image/png"}


@given(
    post=form_data(
        responses=field(st.sampled_from(["RESPONSE", "0", "-1", "99999999999999999999"])),
        owner=field(st.sampled_from(["MEMBER", "OUTSIDER"])),
        target_date=field(st.dates().map(date.isoformat)),
        next=field(st.sampled_from(["/", "//evil.example/", "javascript:fuzz()"])),
    )
)
def test_assign_form_takes_hostile_input(client_for, agency, lead, outsider, assessment, post):
    some = assessment.responses.first()
    post = {("assign-" + k if k != "next" else k): v for k, v in post.items()}
    post = _with_people(post, lead, outsider)
    post = {k: (str(some.pk) if v == "RESPONSE" else v) for k, v in post.items()}

    with rolled_back():
        reply = client_for(lead).post(url("assessment_assign", agency, assessment.pk), post)
        assert_fine(reply)
        assert reply.status_code == 302
        assert reply["Location"].startswith("/")
        assert not reply["Location"].startswith("//")
        assert not Response.objects.filter(owner=outsider).exists()


@given(
    params=form_data(
        q=field(),
        role=field(st.sampled_from(["patrol", "fire-ems"])),
        status=field(st.sampled_from(Response.Status.values)),
        school=field(st.sampled_from(["1", "0", "99999999999999999999", "-1"])),
        owner=field(st.sampled_from(["1", "99999999999999999999"])),
        overdue=field(st.just("on")),
        mine=field(st.just("on")),
        my_roles=field(st.just("on")),
        page=field(st.sampled_from(["1", "2", "0", "-1", "last", "99999999999999999999"])),
    )
)
def test_checklist_filters_take_hostile_input(client_for, agency, viewer, assessment, params):
    client = client_for(viewer)

    for name in ("assessment_checklist",):
        reply = client.get(url(name, agency, assessment.pk), params)
        assert_fine(reply)
        assert reply.status_code == 200


@given(params=form_data(q=field(), role=field(st.sampled_from(["patrol", "fire-ems"]))))
def test_catalog_filters_take_hostile_input(client_for, viewer, catalog_version, params):
    reply = client_for(viewer).get(
        reverse("catalog_detail", args=[catalog_version.catalog.slug]), params
    )

    assert_fine(reply)
    assert reply.status_code == 200
    query = _last(params.get("q", ""))
    if query.strip() and "\x00" not in query and len(query) <= 200:
        assert escaped(query.strip()) in reply.content.decode()


@given(
    post=mostly_valid(
        title=hostile_text,
        catalog_version=st.sampled_from(["VERSION", "VERSION", "0", "99999999999999999999"]),
        due_date=st.dates().map(date.isoformat),
    )
)
def test_assessment_form_takes_hostile_input(client_for, agency, lead, catalog_version, post):
    post = {k: (str(catalog_version.pk) if v == "VERSION" else v) for k, v in post.items()}
    before = agency.assessments.count()

    with rolled_back():
        reply = client_for(lead).post(url("assessment_create", agency), post)
        assert_fine(reply)
        if reply.status_code == 302:
            created = agency.assessments.get()
            assert created.title == _last(post["title"]).strip()
            page = client_for(lead).get(reply["Location"])
            assert_fine(page)
            assert escaped(created.title) in page.content.decode()
        else:
            assert reply.context["form"].errors or not post  # nothing posted: the empty form
            assert agency.assessments.count() == before


@given(post=mostly_valid(title=hostile_text, due_date=st.dates().map(date.isoformat)))
def test_next_assessment_form_takes_hostile_input(client_for, agency, lead, assessment, post):
    before = agency.assessments.count()

    with rolled_back():
        reply = client_for(lead).post(url("assessment_next", agency, assessment.pk), post)
        assert_fine(reply)
        if reply.status_code == 302:
            assert agency.assessments.count() == before + 1
        else:
            assert reply.context["form"].errors or not post  # nothing posted: the empty form
            assert agency.assessments.count() == before


@given(
    post=mostly_valid(
        typed_name=hostile_text,
        typed_title=hostile_text,
        attest=st.just("on"),
        password=st.sampled_from(["correct-horse-battery", "wrong", "\x00"]),
    )
)
def test_sign_off_form_takes_hostile_input(client_for, agency, lead, complete_assessment, post):
    from checklists.signoff.services import assessment_submit

    with rolled_back():
        assessment_submit(assessment=complete_assessment, by=lead)
        reply = client_for(lead).post(
            url("assessment_sign_off", agency, complete_assessment.pk), post
        )
        assert_fine(reply)
        complete_assessment.refresh_from_db()
        if reply.status_code == 302:
            sign_off = complete_assessment.sign_offs.get()
            assert sign_off.typed_name == _last(post["typed_name"]).strip()
        else:
            assert reply.context["form"].errors or not post
            assert complete_assessment.state == complete_assessment.State.IN_REVIEW


@given(name=hostile_names, content=contents | st.binary(max_size=200))
def test_verify_takes_any_file(client, name, content, upload):
    reply = client.post(reverse("verify"), {"file": upload(name, content)})

    assert_fine(reply)
    assert reply.status_code in (200, 400)


@given(post=form_data(file=field()))
def test_verify_takes_text_in_place_of_a_file(client, post):
    assert_fine(client.post(reverse("verify"), post))


# Found by the tests above; each was a server error or a wrong value.
def test_next_that_is_not_a_path_goes_back_to_the_checklist(client_for, agency, editor, assessment):
    target = assessment.responses.get(item__code="LER-14")
    post = {"version": 1, "status": "in_progress", "next": "checklist"}  # was taken for a view name

    reply = client_for(editor).post(url("response_detail", agency, target.pk), post)

    assert reply.status_code == 302
    assert reply["Location"] == f"{assessment.get_absolute_url()}#response-{target.pk}"


def test_assigning_an_id_too_large_for_the_database_is_refused(
    client_for, agency, lead, assessment
):
    post = {"assign-responses": "99999999999999999999", "assign-owner": lead.pk}

    reply = client_for(lead).post(
        url("assessment_assign", agency, assessment.pk), post, follow=True
    )

    assert reply.status_code == 200
    assert "Choose at least one item" in reply.content.decode()
    assert not assessment.responses.filter(owner=lead).exists()


@pytest.mark.parametrize(("sent", "stored"), [("100", "100"), ("2000.00", "2000"), ("1.50", "1.5")])
def test_a_number_is_stored_as_written_not_in_exponent_form(
    client_for, agency, editor, assessment, sent, stored
):
    target = assessment.responses.get(item__code="LER-06")
    post = {"version": 1, "status": "in_progress", "answer_hours_per_officer": sent}

    client_for(editor).post(url("response_detail", agency, target.pk), post)

    assert Response.objects.get(pk=target.pk).answers["hours_per_officer"] == stored


@pytest.mark.parametrize("value", ["¹", "+99999999999999999999", "٣", "9" * 5000])
def test_odd_ids_in_a_multiple_choice_are_refused(client_for, agency, lead, assessment, value):
    post = {"assign-responses": value, "assign-owner": lead.pk}

    reply = client_for(lead).post(url("assessment_assign", agency, assessment.pk), post)

    assert reply.status_code == 302
    assert not assessment.responses.filter(owner=lead).exists()
