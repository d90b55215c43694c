from __future__ import annotations

from django.urls import path

from checklists.assessments import views

agency = "agencies/<slug:slug>"
assessment = f"{agency}/assessments/<int:pk>"

urlpatterns = [
    path(f"{agency}/", views.dashboard, name="agency_detail"),
    path(f"{agency}/assessments/", views.assessment_list, name="assessment_list"),
    path(f"{agency}/assessments/new/", views.assessment_create, name="assessment_create"),
    path(f"{assessment}/", views.assessment_checklist, name="assessment_checklist"),
    path(f"{assessment}/edit/", views.assessment_edit, name="assessment_edit"),
    path(f"{assessment}/delete/", views.assessment_delete, name="assessment_delete"),
    path(f"{assessment}/assign/", views.assessment_assign, name="assessment_assign"),
    path(f"{assessment}/confirm/", views.assessment_confirm, name="assessment_confirm"),
    path(f"{assessment}/next/", views.assessment_next, name="assessment_next"),
    path(
        f"{assessment}/export.csv",
        views.assessment_export,
        {"fmt": "csv"},
        name="assessment_export_csv",
    ),
    path(
        f"{assessment}/export.json",
        views.assessment_export,
        {"fmt": "json"},
        name="assessment_export_json",
    ),
    path(f"{agency}/responses/<int:pk>/", views.response_detail, name="response_detail"),
    path(f"{agency}/responses/<int:pk>/history/", views.response_history, name="response_history"),
    path(f"{agency}/responses/<int:pk>/comments/", views.comment_add, name="response_comment_add"),
    path(
        f"{agency}/comments/<int:pk>/resolve/",
        views.comment_resolve,
        {"resolved": True},
        name="comment_resolve",
    ),
    path(
        f"{agency}/comments/<int:pk>/reopen/",
        views.comment_resolve,
        {"resolved": False},
        name="comment_reopen",
    ),
    path(f"{agency}/attachments/<int:pk>/", views.attachment_download, name="attachment_download"),
    path(
        f"{agency}/attachments/<int:pk>/delete/", views.attachment_delete, name="attachment_delete"
    ),
    path(f"{agency}/my-schools/", views.my_schools, name="school_mine"),
    path(f"{agency}/schools/", views.school_list, name="school_list"),
    path(f"{agency}/schools/new/", views.school_create, name="school_create"),
    path(f"{agency}/schools/<int:pk>/", views.school_edit, name="school_edit"),
    path(f"{agency}/schools/<int:pk>/checklist/", views.school_checklist, name="school_checklist"),
]
