from __future__ import annotations

from django.urls import path

from training import views

base = "agencies/<slug:slug>/training/"
urlpatterns = [
    path(base, views.matrix, name="training_matrix"),
    path(f"{base}matrix.csv", views.matrix_export, name="training_matrix_export"),
    path(f"{base}completions.csv", views.completions_export, name="training_completions_export"),
    path(f"{base}people/new/", views.person_edit, name="training_person_create"),
    path(f"{base}people/<int:pk>/", views.person_detail, name="training_person"),
    path(f"{base}people/<int:pk>/edit/", views.person_edit, name="training_person_edit"),
    path(f"{base}sessions/", views.session_list, name="training_sessions"),
    path(f"{base}sessions/new/", views.session_create, name="training_session_create"),
    path(f"{base}sessions/<int:pk>/", views.session_detail, name="training_session"),
    path(f"{base}completions/new/", views.completion_create, name="training_completion_create"),
    path(
        f"{base}completions/<int:pk>/certificate/",
        views.certificate_download,
        name="training_certificate",
    ),
    path(f"{base}courses/", views.course_list, name="training_courses"),
    path(f"{base}courses/new/", views.course_edit, name="training_course_create"),
    path(f"{base}courses/<int:pk>/edit/", views.course_edit, name="training_course_edit"),
    path(f"{base}requirements/", views.requirement_list, name="training_requirements"),
    path(f"{base}requirements/new/", views.requirement_edit, name="training_requirement_create"),
    path(
        f"{base}requirements/<int:pk>/edit/",
        views.requirement_edit,
        name="training_requirement_edit",
    ),
    path(f"{base}imports/new/", views.import_create, name="training_import_create"),
    path(f"{base}imports/<int:pk>/", views.import_detail, name="training_import"),
    path(
        f"{base}imports/template/<slug:kind>.csv",
        views.import_template,
        name="training_import_template",
    ),
]
