"""Hostile input to the catalog browser's filters: never a 500, never injected markup."""

from __future__ import annotations

from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from tests.helpers import assert_fine, escaped, field, form_data, last


@given(params=form_data(q=field(), role=field(st.sampled_from(["patrol", "fire-ems"]))))
def test_catalog_filters_take_hostile_input(client_for, viewer, catalog_version, params):
    reply = client_for(viewer).get(
        reverse("catalog_detail", args=[catalog_version.catalog.slug]), params
    )

    assert_fine(reply)
    assert reply.status_code == 200
    query = last(params.get("q", ""))
    if query.strip() and "\x00" not in query and len(query) <= 200:
        assert escaped(query.strip()) in reply.content.decode()
