from __future__ import annotations

from django.urls import path

from exercises import views

base = "agencies/<slug:slug>/exercises/"
urlpatterns = [
    path(base, views.exercise_list, name="exercise_list"),
    path(f"{base}new/", views.exercise_create, name="exercise_create"),
    path(f"{base}<int:pk>/", views.exercise_detail, name="exercise_detail"),
    path(f"{base}<int:pk>/edit/", views.exercise_edit, name="exercise_edit"),
    path(f"{base}<int:pk>/review/", views.exercise_review, name="exercise_review"),
    path(f"{base}<int:pk>/findings/new/", views.observation_create, name="exercise_finding_create"),
    path(f"{base}findings/<int:pk>/edit/", views.observation_edit, name="exercise_finding_edit"),
    path(
        f"{base}findings/<int:pk>/delete/", views.observation_delete, name="exercise_finding_delete"
    ),
    path(f"{base}<int:pk>/files/new/", views.attachment_create, name="exercise_attachment_create"),
    path(f"{base}files/<int:pk>/", views.attachment_download, name="exercise_attachment"),
    path(
        f"{base}files/<int:pk>/delete/", views.attachment_delete, name="exercise_attachment_delete"
    ),
    path(f"{base}<int:pk>/aar/sign/", views.exercise_aar_sign, name="exercise_aar_sign"),
    path(f"{base}aar/<int:pk>/", views.exercise_aar_download, name="exercise_aar_download"),
    path(
        f"{base}<int:pk>/actions/new/",
        views.corrective_action_create,
        name="corrective_action_create",
    ),
    path(f"{base}actions/<int:pk>/", views.corrective_action, name="corrective_action"),
    path(
        f"{base}actions/<int:pk>/edit/", views.corrective_action_edit, name="corrective_action_edit"
    ),
    path(
        f"{base}actions/<int:pk>/advance/",
        views.corrective_action_advance,
        name="corrective_action_advance",
    ),
    path(f"{base}plan/", views.improvement_plan, name="improvement_plan"),
    path(f"{base}organizations/", views.organization_list, name="organization_list"),
    path(f"{base}organizations/<int:pk>/edit/", views.organization_edit, name="organization_edit"),
]
