from __future__ import annotations

from django.urls import path

from checklists import views

agency = "agencies/<slug:slug>"

urlpatterns = [
    path("catalogs/", views.catalog_list, name="catalog_list"),
    path("catalogs/<slug:slug>/", views.catalog_detail, name="catalog_detail"),
    path(
        "catalogs/<slug:slug>/versions/<int:number>/", views.catalog_detail, name="catalog_version"
    ),
    path(f"{agency}/", views.dashboard, name="agency_detail"),
    path(f"{agency}/assessments/", views.assessment_list, name="assessment_list"),
    path(f"{agency}/assessments/new/", views.assessment_create, name="assessment_create"),
    path(
        f"{agency}/assessments/<int:pk>/", views.assessment_checklist, name="assessment_checklist"
    ),
    path(
        f"{agency}/assessments/<int:pk>/assign/", views.assessment_assign, name="assessment_assign"
    ),
    path(f"{agency}/assessments/<int:pk>/next/", views.assessment_next, name="assessment_next"),
    path(
        f"{agency}/assessments/<int:pk>/export.csv",
        views.assessment_export,
        {"fmt": "csv"},
        name="assessment_export_csv",
    ),
    path(
        f"{agency}/assessments/<int:pk>/export.json",
        views.assessment_export,
        {"fmt": "json"},
        name="assessment_export_json",
    ),
    path(
        f"{agency}/assessments/<int:pk>/review/", views.assessment_review, name="assessment_review"
    ),
    path(
        f"{agency}/assessments/<int:pk>/sign-off/",
        views.assessment_sign_off,
        name="assessment_sign_off",
    ),
    path(
        f"{agency}/assessments/<int:pk>/return/", views.assessment_return, name="assessment_return"
    ),
    path(
        f"{agency}/assessments/<int:pk>/reopen/", views.assessment_reopen, name="assessment_reopen"
    ),
    path(
        f"{agency}/assessments/<int:pk>/reports/",
        views.assessment_reports,
        name="assessment_reports",
    ),
    path(
        f"{agency}/assessments/<int:pk>/draft-<str:edition>.pdf",
        views.report_draft,
        name="assessment_report_draft",
    ),
    path(f"{agency}/reports/", views.report_list, name="report_list"),
    path(f"{agency}/reports/<int:pk>/", views.report_download, name="report_download"),
    path(f"{agency}/reports/<int:pk>/retry/", views.report_retry, name="report_retry"),
    path("verify/", views.verify, name="verify"),
    path(f"{agency}/responses/<int:pk>/", views.response_detail, name="response_detail"),
    path(f"{agency}/responses/<int:pk>/history/", views.response_history, name="response_history"),
    path(f"{agency}/attachments/<int:pk>/", views.attachment_download, name="attachment_download"),
    path(
        f"{agency}/attachments/<int:pk>/delete/", views.attachment_delete, name="attachment_delete"
    ),
    path(f"{agency}/my-schools/", views.my_schools, name="school_mine"),
    path(f"{agency}/schools/<int:pk>/checklist/", views.school_checklist, name="school_checklist"),
]
