from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

OUR_APPS = ("accounts", "checklists", "training")
# History rows are shown through their model's admin (SimpleHistoryAdmin), not on their own.
MODELS = [
    m
    for app in OUR_APPS
    for m in apps.get_app_config(app).get_models()
    if not m.__name__.startswith("Historical")
]


@pytest.mark.parametrize("model", MODELS, ids=str)
def test_every_model_is_in_the_admin(model):
    assert admin.site.is_registered(model)


@pytest.mark.parametrize("model", MODELS, ids=str)
def test_admin_list_pages_open_with_search(admin_client, catalog_version, agency, lead, model):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")

    assert admin_client.get(url, {"q": "a"}).status_code == 200
