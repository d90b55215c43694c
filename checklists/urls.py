from __future__ import annotations

from django.urls import path

from checklists import views

urlpatterns = [
    path("", views.catalog_list, name="catalog_list"),
    path("<slug:slug>/", views.catalog_detail, name="catalog_detail"),
    path("<slug:slug>/versions/<int:number>/", views.catalog_detail, name="catalog_version"),
]
