from __future__ import annotations

from django.urls import path

from checklists.catalog import views

urlpatterns = [
    path("catalogs/", views.catalog_list, name="catalog_list"),
    path("catalogs/<slug:slug>/", views.catalog_detail, name="catalog_detail"),
    path(
        "catalogs/<slug:slug>/versions/<int:number>/", views.catalog_detail, name="catalog_version"
    ),
]
