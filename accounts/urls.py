from __future__ import annotations

from django.urls import include, path

from accounts import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/code/", views.two_factor_verify, name="two_factor_verify"),
    # Django's own password views, with the audit log's record (same names, so they win).
    path(
        "accounts/password_change/",
        views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("accounts/two-factor/", views.two_factor_settings, name="two_factor_settings"),
    path(
        "accounts/two-factor/recovery-codes/",
        views.two_factor_recovery_codes,
        name="two_factor_recovery_codes",
    ),
    path("accounts/two-factor/disable/", views.two_factor_disable, name="two_factor_disable"),
    # The emailed link (with its token) and the page it leads to (without), in this order.
    path("invitations/accept/", views.invitation_accept, name="invitation_accept"),
    path("invitations/<str:token>/", views.invitation_link, name="invitation_link"),
    path("agencies/<slug:slug>/settings/", views.agency_settings, name="agency_settings"),
    path("agencies/<slug:slug>/logo/", views.agency_logo, name="agency_logo"),
    path("agencies/<slug:slug>/audit/", views.audit_log, name="audit_log"),
    path("agencies/<slug:slug>/audit/export.csv", views.audit_log_export, name="audit_log_export"),
    path("agencies/<slug:slug>/people/", views.people, name="people"),
    path("agencies/<slug:slug>/people/invite/", views.invite, name="people_invite"),
    path("agencies/<slug:slug>/people/<int:pk>/", views.membership_edit, name="people_edit"),
    path(
        "agencies/<slug:slug>/people/<int:pk>/remove/",
        views.membership_remove,
        name="people_remove",
    ),
    path(
        "agencies/<slug:slug>/people/<int:pk>/unlock/",
        views.membership_unlock,
        name="people_unlock",
    ),
    path(
        "agencies/<slug:slug>/invitations/<int:pk>/revoke/",
        views.invitation_revoke,
        name="people_invitation_revoke",
    ),
]
