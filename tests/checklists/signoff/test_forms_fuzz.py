"""Hostile input to the sign-off form and the public verification page: never a 500, never
injected markup, never half a sign-off."""

from __future__ import annotations

from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from checklists.signoff.services import assessment_submit
from tests.helpers import (
    PASSWORD,
    assert_fine,
    field,
    file_contents,
    form_data,
    hostile_file_names,
    hostile_text,
    last,
    mostly_valid,
    rolled_back,
    url,
)


@given(
    post=mostly_valid(
        typed_name=hostile_text,
        typed_title=hostile_text,
        attest=st.just("on"),
        password=st.sampled_from([PASSWORD, "wrong", "\x00"]),
    )
)
def test_sign_off_form_takes_hostile_input(client_for, agency, lead, complete_assessment, post):
    with rolled_back():
        assessment_submit(assessment=complete_assessment, by=lead)
        reply = client_for(lead).post(
            url("assessment_sign_off", agency, complete_assessment.pk), post
        )
        assert_fine(reply)
        complete_assessment.refresh_from_db()
        if reply.status_code == 302:
            sign_off = complete_assessment.sign_offs.get()
            assert sign_off.typed_name == last(post["typed_name"]).strip()
        else:
            assert reply.context["form"].errors or not post
            assert complete_assessment.state == complete_assessment.State.IN_REVIEW


@given(name=hostile_file_names, content=file_contents | st.binary(max_size=200))
def test_verify_takes_any_file(client, name, content, upload):
    reply = client.post(reverse("verify"), {"file": upload(name, content)})

    assert_fine(reply)
    assert reply.status_code in (200, 400)


@given(post=form_data(file=field()))
def test_verify_takes_text_in_place_of_a_file(client, post):
    assert_fine(client.post(reverse("verify"), post))
