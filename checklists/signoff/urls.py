from __future__ import annotations

from django.urls import path

from checklists.signoff import views

agency = "agencies/<slug:slug>"
assessment = f"{agency}/assessments/<int:pk>"

urlpatterns = [
    path(f"{assessment}/review/", views.assessment_review, name="assessment_review"),
    path(f"{assessment}/sign-off/", views.assessment_sign_off, name="assessment_sign_off"),
    path(f"{assessment}/return/", views.assessment_return, name="assessment_return"),
    path(f"{assessment}/reopen/", views.assessment_reopen, name="assessment_reopen"),
    path(f"{assessment}/reports/", views.assessment_reports, name="assessment_reports"),
    path(f"{assessment}/drafts/<str:edition>/", views.draft_prepare, name="draft_prepare"),
    path(f"{agency}/drafts/<int:pk>/", views.draft_detail, name="draft_detail"),
    path(f"{agency}/drafts/<int:pk>/download/", views.draft_download, name="draft_download"),
    path(f"{agency}/reports/", views.report_list, name="report_list"),
    path(f"{agency}/reports/<int:pk>/", views.report_download, name="report_download"),
    path(f"{agency}/reports/<int:pk>/retry/", views.report_retry, name="report_retry"),
    path("verify/", views.verify, name="verify"),
]
