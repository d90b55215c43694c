"""Every URL, checked for who may reach it.

URLS lists every named URL pattern outside the admin, and STATUSES what each kind of person gets
there by GET and by POST. A new URL without an entry in both fails, so nobody adds a page without
deciding who may see it and who may change things through it.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts.models import Agency, Invitation, Membership, School
from checklists.assessments.comments import comment_add
from checklists.assessments.evidence import attachment_add
from checklists.assessments.services import assessment_start
from checklists.models import (
    Assessment,
    Attachment,
    CatalogVersion,
    DraftReport,
    PendingUpload,
    Report,
    Response,
    ReviewComment,
    SignOff,
)
from exercises.models import (
    ActionEvent,
    AfterActionReport,
    CorrectiveAction,
    Exercise,
    Observation,
    Organization,
    Review,
    ReviewAttachment,
)
from notifications.models import Kind, Notification
from notifications.services import preference_of
from notifications.unsubscribe import token_for
from tests.factories import SchoolFactory
from tests.helpers import PDF_BYTES, PNG_BYTES, exercise_objects, training_objects
from training.models import Completion, Course, Import, Person, Requirement, Session

PUBLIC, LOGIN, AGENCY = "public", "login", "agency"


def _slug(objs):
    return {"slug": objs["agency"].slug}


URLS = {
    # name: (who may reach it, how to build its kwargs from the objects below)
    "home": (LOGIN, None),
    "login": (PUBLIC, None),
    "logout": (LOGIN, None),
    "password_change": (LOGIN, None),
    "password_change_done": (LOGIN, None),
    "password_reset": (PUBLIC, None),
    "password_reset_done": (PUBLIC, None),
    "password_reset_confirm": (PUBLIC, lambda o: {"uidb64": "MQ", "token": "set-password"}),
    "password_reset_complete": (PUBLIC, None),
    "invitation_link": (PUBLIC, lambda o: {"token": "not-a-real-token"}),  # issue 13
    "invitation_accept": (PUBLIC, None),
    # Two-factor sign-in (issue 6): the code step and one's own settings.
    "two_factor_verify": (LOGIN, None),
    "two_factor_settings": (LOGIN, None),
    "two_factor_recovery_codes": (LOGIN, None),
    "two_factor_disable": (LOGIN, None),
    "catalog_list": (LOGIN, None),
    "catalog_detail": (LOGIN, lambda o: {"slug": "rand-law-enforcement-response"}),
    "catalog_version": (LOGIN, lambda o: {"slug": "rand-law-enforcement-response", "number": 1}),
    "agency_detail": (AGENCY, _slug),
    "school_list": (AGENCY, _slug),
    "school_create": (AGENCY, _slug),
    "school_edit": (AGENCY, lambda o: _slug(o) | {"pk": o["school"].pk}),
    "people": (AGENCY, _slug),
    "people_invite": (AGENCY, _slug),
    "people_edit": (AGENCY, lambda o: _slug(o) | {"pk": o["membership"].pk}),
    "people_remove": (AGENCY, lambda o: _slug(o) | {"pk": o["membership"].pk}),
    "people_unlock": (AGENCY, lambda o: _slug(o) | {"pk": o["membership"].pk}),  # issue 6
    "people_invitation_revoke": (AGENCY, lambda o: _slug(o) | {"pk": o["invitation"].pk}),
    "assessment_list": (AGENCY, _slug),
    "assessment_create": (AGENCY, _slug),
    "assessment_checklist": (AGENCY, lambda o: _slug(o) | {"pk": o["assessment"].pk}),
    "assessment_edit": (AGENCY, lambda o: _slug(o) | {"pk": o["assessment"].pk}),  # issue 12
    "assessment_delete": (AGENCY, lambda o: _slug(o) | {"pk": o["assessment"].pk}),  # issue 12
    "assessment_assign": (AGENCY, lambda o: _slug(o) | {"pk": o["assessment"].pk}),
    "assessment_confirm": (AGENCY, lambda o: _slug(o) | {"pk": o["assessment"].pk}),  # issue 11
    "assessment_next": (AGENCY, lambda o: _slug(o) | {"pk": o["assessment"].pk}),
    "assessment_export_csv": (AGENCY, lambda o: _slug(o) | {"pk": o["assessment"].pk}),
    "assessment_export_json": (AGENCY, lambda o: _slug(o) | {"pk": o["assessment"].pk}),
    "response_detail": (AGENCY, lambda o: _slug(o) | {"pk": o["response"].pk}),
    "response_history": (AGENCY, lambda o: _slug(o) | {"pk": o["response"].pk}),
    "attachment_download": (AGENCY, lambda o: _slug(o) | {"pk": o["attachment"].pk}),
    "attachment_delete": (AGENCY, lambda o: _slug(o) | {"pk": o["attachment"].pk}),
    # Review comments (issue 12): on a response, then resolved or reopened.
    "response_comment_add": (AGENCY, lambda o: _slug(o) | {"pk": o["response"].pk}),
    "comment_resolve": (AGENCY, lambda o: _slug(o) | {"pk": o["comment"].pk}),
    "comment_reopen": (AGENCY, lambda o: _slug(o) | {"pk": o["comment"].pk}),
    "school_mine": (AGENCY, _slug),
    "school_checklist": (AGENCY, lambda o: _slug(o) | {"pk": o["school"].pk}),
    "agency_settings": (AGENCY, _slug),
    "agency_logo": (AGENCY, _slug),
    "audit_log": (AGENCY, _slug),
    "audit_log_export": (AGENCY, _slug),
    "assessment_review": (AGENCY, lambda o: _slug(o) | {"pk": o["assessment"].pk}),
    "assessment_sign_off": (AGENCY, lambda o: _slug(o) | {"pk": o["assessment"].pk}),
    "assessment_return": (AGENCY, lambda o: _slug(o) | {"pk": o["assessment"].pk}),
    "assessment_reopen": (AGENCY, lambda o: _slug(o) | {"pk": o["assessment"].pk}),
    "assessment_reports": (AGENCY, lambda o: _slug(o) | {"pk": o["assessment"].pk}),
    "draft_prepare": (
        AGENCY,
        lambda o: _slug(o) | {"pk": o["assessment"].pk, "edition": "public"},
    ),
    "draft_detail": (AGENCY, lambda o: _slug(o) | {"pk": o["draft"].pk}),
    "draft_download": (AGENCY, lambda o: _slug(o) | {"pk": o["draft"].pk}),
    "report_list": (AGENCY, _slug),
    "report_download": (AGENCY, lambda o: _slug(o) | {"pk": o["signed_report"].pk}),
    "report_retry": (AGENCY, lambda o: _slug(o) | {"pk": o["report"].pk}),
    "verify": (PUBLIC, None),
    "healthz": (PUBLIC, None),
    # Notifications (issue 16): one's own, whatever the agency; the feed and unsubscribe by secret.
    "notification_list": (LOGIN, None),
    "notification_read": (LOGIN, lambda o: {"pk": o["notification"].pk}),
    "notification_read_all": (LOGIN, None),
    "notification_preferences": (LOGIN, None),
    "notification_calendar_reset": (LOGIN, None),
    "notification_calendar": (PUBLIC, lambda o: {"token": o["calendar_token"]}),
    "notification_unsubscribe": (PUBLIC, lambda o: {"token": o["unsubscribe_token"]}),
    # Training records (issue 14).
    "training_matrix": (AGENCY, _slug),
    "training_matrix_export": (AGENCY, _slug),
    "training_completions_export": (AGENCY, _slug),
    "training_person_create": (AGENCY, _slug),
    "training_person": (AGENCY, lambda o: _slug(o) | {"pk": o["person"].pk}),
    "training_person_edit": (AGENCY, lambda o: _slug(o) | {"pk": o["person"].pk}),
    "training_sessions": (AGENCY, _slug),
    "training_session_create": (AGENCY, _slug),
    "training_session": (AGENCY, lambda o: _slug(o) | {"pk": o["session"].pk}),
    "training_completion_create": (AGENCY, _slug),
    "training_certificate": (AGENCY, lambda o: _slug(o) | {"pk": o["completion"].pk}),
    "training_courses": (AGENCY, _slug),
    "training_course_create": (AGENCY, _slug),
    "training_course_edit": (AGENCY, lambda o: _slug(o) | {"pk": o["course"].pk}),
    "training_requirements": (AGENCY, _slug),
    "training_requirement_create": (AGENCY, _slug),
    "training_requirement_edit": (AGENCY, lambda o: _slug(o) | {"pk": o["requirement"].pk}),
    "training_import_create": (AGENCY, _slug),
    "training_import": (AGENCY, lambda o: _slug(o) | {"pk": o["import"].pk}),
    "training_import_template": (AGENCY, lambda o: _slug(o) | {"kind": "completions"}),
    # Exercises and corrective actions (issue 15).
    "exercise_list": (AGENCY, _slug),
    "exercise_create": (AGENCY, _slug),
    "exercise_detail": (AGENCY, lambda o: _slug(o) | {"pk": o["exercise"].pk}),
    "exercise_edit": (AGENCY, lambda o: _slug(o) | {"pk": o["exercise"].pk}),
    "exercise_review": (AGENCY, lambda o: _slug(o) | {"pk": o["exercise"].pk}),
    "exercise_finding_create": (AGENCY, lambda o: _slug(o) | {"pk": o["exercise"].pk}),
    "exercise_attachment_create": (AGENCY, lambda o: _slug(o) | {"pk": o["exercise"].pk}),
    "exercise_attachment": (AGENCY, lambda o: _slug(o) | {"pk": o["exercise_attachment"].pk}),
    "corrective_action_create": (AGENCY, lambda o: _slug(o) | {"pk": o["exercise"].pk}),
    "corrective_action": (AGENCY, lambda o: _slug(o) | {"pk": o["corrective_action"].pk}),
    "corrective_action_edit": (AGENCY, lambda o: _slug(o) | {"pk": o["corrective_action"].pk}),
    "corrective_action_advance": (AGENCY, lambda o: _slug(o) | {"pk": o["corrective_action"].pk}),
    "improvement_plan": (AGENCY, _slug),
    "organization_list": (AGENCY, _slug),
    "organization_edit": (AGENCY, lambda o: _slug(o) | {"pk": o["organization"].pk}),
    "exercise_finding_edit": (AGENCY, lambda o: _slug(o) | {"pk": o["exercise_finding"].pk}),
    "exercise_finding_delete": (AGENCY, lambda o: _slug(o) | {"pk": o["exercise_finding"].pk}),
    "exercise_attachment_delete": (
        AGENCY,
        lambda o: _slug(o) | {"pk": o["exercise_attachment"].pk},
    ),
    "exercise_aar_sign": (AGENCY, lambda o: _slug(o) | {"pk": o["exercise"].pk}),
    "exercise_aar_download": (AGENCY, lambda o: _slug(o) | {"pk": o["exercise_aar"].pk}),
}
OBJECT_URLS = {
    "school_edit", "people_edit", "people_remove", "people_invitation_revoke", "people_unlock",
    "assessment_checklist", "assessment_edit", "assessment_delete", "assessment_assign", "assessment_confirm", "assessment_next", "assessment_export_csv",
    "assessment_export_json", "response_detail", "response_history", "attachment_download",
    "attachment_delete", "response_comment_add", "comment_resolve", "comment_reopen",
    "school_checklist", "assessment_review", "assessment_sign_off",
    "assessment_return", "assessment_reopen", "assessment_reports", "draft_prepare",
    "draft_detail", "draft_download", "report_download", "report_retry",
    "training_person", "training_person_edit", "training_session", "training_certificate",
    "training_course_edit", "training_requirement_edit", "training_import",
    "exercise_detail", "exercise_edit", "exercise_review", "exercise_finding_create",
    "exercise_attachment_create", "exercise_attachment", "corrective_action_create",
    "corrective_action", "corrective_action_edit", "corrective_action_advance",
    "organization_edit", "exercise_finding_edit", "exercise_finding_delete",
    "exercise_attachment_delete", "exercise_aar_sign", "exercise_aar_download",
}  # fmt: skip

# What each person gets at each URL, by GET and by POST (a POST with no data: a form answers with
# its errors, an action redirects, a page that only shows things refuses the method). Columns:
# lead, editor, SRO, viewer and public viewer (issue 12: the published reports only) of our
# agency, the lead of another agency, and an anonymous
# visitor ("login": sent to sign in and brought back). An action that only takes POST refuses any
# other method (405) before it looks anything up: the method alone reveals no object.
PEOPLE = ("lead", "editor", "sro", "viewer", "public", "outsider", "anonymous")
STATUSES = {
    # name: (who may reach it, GET statuses, POST statuses)
    "home": (LOGIN, "302 302 302 302 302 302 login", "405 405 405 405 405 405 login"),
    "login": (PUBLIC, "200 200 200 200 200 200 200", "200 200 200 200 200 200 200"),
    "logout": (LOGIN, "405 405 405 405 405 405 login", "302 302 302 302 302 302 login"),
    "password_change": (LOGIN, "200 200 200 200 200 200 login", "200 200 200 200 200 200 login"),
    "password_change_done": (LOGIN, "200 200 200 200 200 200 login", "405 405 405 405 405 405 login"),
    "password_reset": (PUBLIC, "200 200 200 200 200 200 200", "200 200 200 200 200 200 200"),
    "password_reset_done": (PUBLIC, "200 200 200 200 200 200 200", "405 405 405 405 405 405 405"),
    "password_reset_confirm": (PUBLIC, "200 200 200 200 200 200 200", "200 200 200 200 200 200 200"),
    "password_reset_complete": (PUBLIC, "200 200 200 200 200 200 200", "405 405 405 405 405 405 405"),
    "invitation_link": (PUBLIC, "302 302 302 302 302 302 302", "405 405 405 405 405 405 405"),
    "invitation_accept": (PUBLIC, "410 410 410 410 410 410 410", "410 410 410 410 410 410 410"),
    "catalog_list": (LOGIN, "200 200 200 200 200 200 login", "405 405 405 405 405 405 login"),
    "catalog_detail": (LOGIN, "200 200 200 200 200 200 login", "405 405 405 405 405 405 login"),
    "catalog_version": (LOGIN, "200 200 200 200 200 200 login", "405 405 405 405 405 405 login"),
    "agency_detail": (AGENCY, "200 200 200 200 302 404 login", "405 405 405 405 405 405 login"),
    "school_list": (AGENCY, "200 200 200 200 403 404 login", "405 405 405 405 405 405 login"),
    "school_create": (AGENCY, "200 403 403 403 403 404 login", "200 403 403 403 403 404 login"),
    "school_edit": (AGENCY, "200 403 403 403 403 404 login", "200 403 403 403 403 404 login"),
    "people": (AGENCY, "200 200 200 200 403 404 login", "405 405 405 405 405 405 login"),
    "people_invite": (AGENCY, "200 403 403 403 403 404 login", "200 403 403 403 403 404 login"),
    "people_edit": (AGENCY, "200 403 403 403 403 404 login", "200 403 403 403 403 404 login"),
    "people_remove": (AGENCY, "200 403 403 403 403 404 login", "400 403 403 403 403 404 login"),
    "people_invitation_revoke": (AGENCY, "405 405 405 405 405 405 login", "302 403 403 403 403 404 login"),
    "assessment_list": (AGENCY, "200 200 200 200 403 404 login", "405 405 405 405 405 405 login"),
    "assessment_create": (AGENCY, "200 403 403 403 403 404 login", "200 403 403 403 403 404 login"),
    "assessment_checklist": (AGENCY, "200 200 200 200 403 404 login", "405 405 405 405 405 405 login"),
    "assessment_assign": (AGENCY, "405 405 405 405 405 405 login", "302 302 403 403 403 404 login"),
    "assessment_confirm": (AGENCY, "405 405 405 405 405 405 login", "302 302 302 403 403 404 login"),
    "assessment_next": (AGENCY, "200 403 403 403 403 404 login", "200 403 403 403 403 404 login"),
    "assessment_export_csv": (AGENCY, "200 200 200 200 403 404 login", "405 405 405 405 405 405 login"),
    "assessment_export_json": (AGENCY, "200 200 200 200 403 404 login", "405 405 405 405 405 405 login"),
    "response_detail": (AGENCY, "200 200 200 200 403 404 login", "200 200 403 403 403 404 login"),
    "response_history": (AGENCY, "200 200 200 200 403 404 login", "405 405 405 405 405 405 login"),
    "attachment_download": (AGENCY, "200 200 200 200 403 404 login", "405 405 405 405 405 405 login"),
    "attachment_delete": (AGENCY, "200 200 403 403 403 404 login", "302 302 403 403 403 404 login"),
    "response_comment_add": (AGENCY, "405 405 405 405 405 405 login", "400 400 403 403 403 404 login"),
    "comment_resolve": (AGENCY, "405 405 405 405 405 405 login", "302 302 403 403 403 404 login"),
    "comment_reopen": (AGENCY, "405 405 405 405 405 405 login", "302 302 403 403 403 404 login"),
    "school_mine": (AGENCY, "200 200 200 200 403 404 login", "405 405 405 405 405 405 login"),
    "school_checklist": (AGENCY, "200 200 200 200 403 404 login", "405 405 405 405 405 405 login"),
    "agency_settings": (AGENCY, "200 403 403 403 403 404 login", "200 403 403 403 403 404 login"),
    "agency_logo": (AGENCY, "200 200 200 200 200 404 login", "405 405 405 405 405 405 login"),
    "assessment_review": (AGENCY, "200 200 200 200 403 404 login", "200 200 403 403 403 404 login"),
    "assessment_sign_off": (AGENCY, "200 403 403 403 403 404 login", "200 403 403 403 403 404 login"),
    "assessment_return": (AGENCY, "405 405 405 405 405 405 login", "302 403 403 403 403 404 login"),
    "assessment_reopen": (AGENCY, "302 403 403 403 403 404 login", "302 403 403 403 403 404 login"),
    "assessment_reports": (AGENCY, "200 200 200 200 403 404 login", "405 405 405 405 405 405 login"),
    "draft_prepare": (AGENCY, "405 405 405 405 405 405 login", "302 302 302 302 403 404 login"),
    "draft_detail": (AGENCY, "200 200 200 200 403 404 login", "405 405 405 405 405 405 login"),
    "draft_download": (AGENCY, "200 200 200 200 403 404 login", "405 405 405 405 405 405 login"),
    "report_list": (AGENCY, "200 200 200 200 200 404 login", "405 405 405 405 405 405 login"),
    "report_download": (AGENCY, "200 200 200 200 200 404 login", "405 405 405 405 405 405 login"),
    "report_retry": (AGENCY, "405 405 405 405 405 405 login", "302 403 403 403 403 404 login"),
    "two_factor_verify": (LOGIN, "302 302 302 302 302 302 login", "302 302 302 302 302 302 login"),
    "two_factor_settings": (LOGIN, "200 200 200 200 200 200 login", "200 200 200 200 200 200 login"),
    "two_factor_recovery_codes": (LOGIN, "302 302 302 302 302 302 login", "302 302 302 302 302 302 login"),
    "two_factor_disable": (LOGIN, "302 302 302 302 302 302 login", "302 302 302 302 302 302 login"),
    "people_unlock": (AGENCY, "405 405 405 405 405 405 login", "302 403 403 403 403 404 login"),
    "audit_log": (AGENCY, "200 403 403 403 403 404 login", "405 405 405 405 405 405 login"),
    "audit_log_export": (AGENCY, "200 403 403 403 403 404 login", "405 405 405 405 405 405 login"),
    "healthz": (PUBLIC, "200 200 200 200 200 200 200", "405 405 405 405 405 405 405"),
    "verify": (PUBLIC, "200 200 200 200 200 200 200", "400 400 400 400 400 400 400"),
    "notification_list": (LOGIN, "200 200 200 200 200 200 login", "405 405 405 405 405 405 login"),
    "notification_read": (LOGIN, "405 405 405 405 405 405 login", "302 404 404 404 404 404 login"),
    "notification_read_all": (LOGIN, "405 405 405 405 405 405 login", "302 302 302 302 302 302 login"),
    "notification_preferences": (LOGIN, "200 200 200 200 200 200 login", "400 400 400 400 400 400 login"),
    "notification_calendar_reset": (LOGIN, "405 405 405 405 405 405 login", "302 302 302 302 302 302 login"),
    "notification_calendar": (PUBLIC, "200 200 200 200 200 200 200", "405 405 405 405 405 405 405"),
    "notification_unsubscribe": (PUBLIC, "200 200 200 200 200 200 200", "200 200 200 200 200 200 200"),
    "assessment_edit": (AGENCY, "200 403 403 403 403 404 login", "200 403 403 403 403 404 login"),
    "assessment_delete": (AGENCY, "200 403 403 403 403 404 login", "302 403 403 403 403 404 login"),
    # Training: leads and training coordinators keep the records, editors and SROs read them,
    # viewers see only the dashboard's shares.
    "training_matrix": (AGENCY, "200 200 200 403 403 404 login", "405 405 405 405 405 405 login"),
    "training_matrix_export": (AGENCY, "200 200 200 403 403 404 login", "405 405 405 405 405 405 login"),
    "training_completions_export": (AGENCY, "200 200 200 403 403 404 login", "405 405 405 405 405 405 login"),
    "training_person_create": (AGENCY, "200 403 403 403 403 404 login", "200 403 403 403 403 404 login"),
    "training_person": (AGENCY, "200 200 200 403 403 404 login", "405 405 405 405 405 405 login"),
    "training_person_edit": (AGENCY, "200 403 403 403 403 404 login", "200 403 403 403 403 404 login"),
    "training_sessions": (AGENCY, "200 200 200 403 403 404 login", "405 405 405 405 405 405 login"),
    "training_session_create": (AGENCY, "200 403 403 403 403 404 login", "200 403 403 403 403 404 login"),
    "training_session": (AGENCY, "200 200 200 403 403 404 login", "405 405 405 405 405 405 login"),
    "training_completion_create": (AGENCY, "200 403 403 403 403 404 login", "200 403 403 403 403 404 login"),
    "training_certificate": (AGENCY, "200 200 200 403 403 404 login", "405 405 405 405 405 405 login"),
    "training_courses": (AGENCY, "200 200 200 403 403 404 login", "405 405 405 405 405 405 login"),
    "training_course_create": (AGENCY, "200 403 403 403 403 404 login", "200 403 403 403 403 404 login"),
    "training_course_edit": (AGENCY, "200 403 403 403 403 404 login", "200 403 403 403 403 404 login"),
    "training_requirements": (AGENCY, "200 200 200 403 403 404 login", "405 405 405 405 405 405 login"),
    "training_requirement_create": (AGENCY, "200 403 403 403 403 404 login", "200 403 403 403 403 404 login"),
    "training_requirement_edit": (AGENCY, "200 403 403 403 403 404 login", "200 403 403 403 403 404 login"),
    "training_import_create": (AGENCY, "200 403 403 403 403 404 login", "200 403 403 403 403 404 login"),
    "training_import": (AGENCY, "200 403 403 403 403 404 login", "302 403 403 403 403 404 login"),
    "training_import_template": (AGENCY, "200 200 200 403 403 404 login", "405 405 405 405 405 405 login"),
    # Exercises: every member reads; leads and editors record and keep the plan; an SRO records
    # exercises at their schools (the table's exercise is at the SRO's school).
    "exercise_list": (AGENCY, "200 200 200 200 403 404 login", "405 405 405 405 405 405 login"),
    "exercise_create": (AGENCY, "200 200 200 403 403 404 login", "200 200 200 403 403 404 login"),
    "exercise_detail": (AGENCY, "200 200 200 200 403 404 login", "405 405 405 405 405 405 login"),
    "exercise_edit": (AGENCY, "200 200 200 403 403 404 login", "200 200 200 403 403 404 login"),
    "exercise_review": (AGENCY, "200 200 200 403 403 404 login", "200 200 200 403 403 404 login"),
    "exercise_finding_create": (AGENCY, "200 200 200 403 403 404 login", "200 200 200 403 403 404 login"),
    "exercise_attachment_create": (AGENCY, "200 200 200 403 403 404 login", "200 200 200 403 403 404 login"),
    "exercise_attachment": (AGENCY, "200 200 200 200 403 404 login", "405 405 405 405 405 405 login"),
    "corrective_action_create": (AGENCY, "200 200 403 403 403 404 login", "200 200 403 403 403 404 login"),
    "corrective_action": (AGENCY, "200 200 200 200 403 404 login", "405 405 405 405 405 405 login"),
    "corrective_action_edit": (AGENCY, "200 200 403 403 403 404 login", "200 200 403 403 403 404 login"),
    "corrective_action_advance": (AGENCY, "405 405 405 405 405 405 login", "400 400 403 403 403 404 login"),
    "improvement_plan": (AGENCY, "200 200 200 200 403 404 login", "405 405 405 405 405 405 login"),
    "organization_list": (AGENCY, "200 200 200 200 403 404 login", "200 200 403 403 403 404 login"),
    "organization_edit": (AGENCY, "200 200 403 403 403 404 login", "200 200 403 403 403 404 login"),
    # Findings and review files: whoever records the exercise changes and removes them (a
    # removal asks first, by GET, and happens by POST).
    "exercise_finding_edit": (AGENCY, "200 200 200 403 403 404 login", "200 200 200 403 403 404 login"),
    "exercise_finding_delete": (AGENCY, "200 200 200 403 403 404 login", "302 302 302 403 403 404 login"),
    "exercise_attachment_delete": (AGENCY, "200 200 200 403 403 404 login", "302 302 302 403 403 404 login"),
    # The signed after-action report: leads sign it; the agency's staff download it; a public
    # viewer never gets it (Law Enforcement Sensitive).
    "exercise_aar_sign": (AGENCY, "200 403 403 403 403 404 login", "200 403 403 403 403 404 login"),
    "exercise_aar_download": (AGENCY, "200 200 200 200 403 404 login", "405 405 405 405 405 405 login"),
}  # fmt: skip


def named_patterns(patterns=None, namespace=None) -> set[str]:
    names = set()
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace != "admin":
                names |= named_patterns(entry.url_patterns, entry.namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            names.add(f"{namespace}:{entry.name}" if namespace else entry.name)
    return names


def objects_of(agency, lead) -> dict:
    """One of everything an agency URL can point at, with real stored files."""
    school = SchoolFactory(agency=agency)
    agency.logo.save("logo.png", ContentFile(PNG_BYTES))
    version = CatalogVersion.objects.get()
    assessment = assessment_start(
        agency=agency, catalog_version=version, title="2026", due_date=None, by=lead
    )
    response = assessment.responses.filter(school=school).first()
    signed = assessment_start(
        agency=agency, catalog_version=version, title="2025", due_date=None, by=lead
    )
    sign_off = SignOff.objects.create(
        assessment=signed, signer=lead, typed_name="L", typed_title="Chief", statement="S",
        snapshot="{}", snapshot_sha256=f"{agency.pk:064d}",
    )  # fmt: skip
    signed_report = Report(sign_off=sign_off, edition="public", state="done")
    signed_report.file.save("report.pdf", ContentFile(PDF_BYTES))
    draft = DraftReport(
        assessment=assessment, edition="full", requested_by=lead, state="done",
    )  # fmt: skip
    draft.file.save("draft.pdf", ContentFile(PDF_BYTES))
    return {
        "draft": draft,
        "comment": comment_add(response=response, body="Which roster is this?", by=lead),
        "report": Report.objects.create(sign_off=sign_off, edition="full", state="failed"),
        "signed_report": signed_report,
        "agency": agency,
        "school": school,
        "assessment": assessment,
        "response": response,
        "attachment": attachment_add(
            response=response,
            upload=SimpleUploadedFile("x.pdf", PDF_BYTES),
            prompt_key=response.item.prompts.first().key,
            by=lead,
        ),
        "membership": lead.memberships.get(agency=agency),
        "notification": Notification.objects.create(
            user=lead, agency=agency, kind=Kind.ASSIGNED, key="access", title="LER-02 is yours"
        ),
        "calendar_token": preference_of(lead).calendar_token,
        "unsubscribe_token": token_for(user_id=lead.pk, kind=Kind.DIGEST),
        **training_objects(agency, lead),
        **exercise_objects(agency, lead, school),
        "invitation": Invitation.objects.create(
            agency=agency,
            email="someone@agency.example",
            token_hash=f"{agency.pk:064d}",
            expires_at=timezone.now() + timedelta(days=1),
        ),
    }


@pytest.fixture
def ours(agency, lead, sro, catalog_version):  # the SRO first: the exercise is at their school
    return objects_of(agency, lead)


# What a refused request must leave exactly as it was.
WATCHED = [
    Agency,
    School,
    Membership,
    Invitation,
    Assessment,
    Response,
    Attachment,
    PendingUpload,
    ReviewComment,
    SignOff,
    Report,
    DraftReport,
    Notification,
    Person,
    Session,
    Completion,
    Course,
    Requirement,
    Import,
    Organization,
    Exercise,
    Observation,
    Review,
    ReviewAttachment,
    CorrectiveAction,
    ActionEvent,
    AfterActionReport,
]


def rows() -> dict[str, list[dict]]:
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in WATCHED}


def url_of(name: str, objs: dict) -> str:
    kwargs = URLS[name][1]
    return reverse(name, kwargs=kwargs(objs) if kwargs else None)


def test_every_url_is_in_the_table():
    assert named_patterns() == set(URLS)


def test_the_status_table_covers_every_url_and_agrees_with_the_audiences():
    assert set(STATUSES) == set(URLS)
    for name, (who, *rows) in STATUSES.items():
        assert who == URLS[name][0], name
        for row in rows:
            assert len(row.split()) == len(PEOPLE), name
            anonymous, outsider = row.split()[-1], row.split()[-2]
            assert (anonymous == "login") == (who != PUBLIC), name
            assert outsider in ("404", "405") or who != AGENCY, name


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("name", list(STATUSES))
def test_each_person_gets_the_expected_status(
    request, client, ours, lead, editor, sro, viewer, public_viewer, outsider, name, method
):
    url = url_of(name, ours)
    expected = STATUSES[name][1 if method == "get" else 2].split()
    people = {
        "lead": lead,
        "editor": editor,
        "sro": sro,
        "viewer": viewer,
        "public": public_viewer,
        "outsider": outsider,
    }
    got, changed_when_refused = [], []
    before = rows() if method == "post" else None
    for person in PEOPLE:
        client.logout()
        if person != "anonymous":
            client.force_login(people[person])
        with transaction.atomic():  # each person meets the same data: undo what a POST changed
            response = getattr(client, method)(url)
            sent_to_sign_in = (
                response.status_code == 302 and response.url == f"{reverse('login')}?next={url}"
            )
            refused = sent_to_sign_in or 400 <= response.status_code < 500
            if before is not None and refused and rows() != before:
                changed_when_refused.append(person)
            transaction.set_rollback(True)
        got.append("login" if sent_to_sign_in else str(response.status_code))

    assert dict(zip(PEOPLE, got, strict=True)) == dict(zip(PEOPLE, expected, strict=True))
    assert not changed_when_refused, f"a refused POST changed rows for {changed_when_refused}"


@pytest.mark.parametrize("name", sorted(OBJECT_URLS))
@pytest.mark.parametrize("method", ["get", "post"])
def test_another_agencys_object_under_our_address_is_404(
    client_for, ours, lead, other_agency, outsider, name, method
):
    theirs = objects_of(other_agency, outsider)
    url = reverse(name, kwargs=URLS[name][1](theirs) | {"slug": ours["agency"].slug})
    # A page that only shows things refuses POST before all, and an action that only takes POST
    # refuses GET: neither looks the object up.
    refused = {"get": STATUSES[name][1], "post": STATUSES[name][2]}[method].split()[0] == "405"

    expected = 405 if refused else 404
    before = rows()
    assert getattr(client_for(lead), method)(url).status_code == expected
    assert rows() == before


def test_admin_asks_anonymous_visitors_to_sign_in(client, db):
    response = client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_members_without_staff_status_cannot_use_the_admin(client_for, lead):
    response = client_for(lead).get(reverse("admin:index"))

    assert response.status_code == 302
