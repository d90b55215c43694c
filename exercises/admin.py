from __future__ import annotations

from django.contrib import admin

from checklists.admin import ReadOnlyAdmin
from exercises.models import (
    ActionEvent,
    AfterActionReport,
    CorrectiveAction,
    Exercise,
    Objective,
    Observation,
    Organization,
    Review,
    ReviewAttachment,
)


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "agency"]
    list_filter = ["kind"]


@admin.register(Exercise)
class ExerciseAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "starts_on", "agency"]
    list_filter = ["kind"]
    raw_id_fields = ["items", "attendees", "school", "session"]


@admin.register(CorrectiveAction)
class CorrectiveActionAdmin(admin.ModelAdmin):
    list_display = ["description", "status", "due_on", "exercise"]
    list_filter = ["status"]
    raw_id_fields = ["exercise", "observation", "owner", "items", "schools"]
    readonly_fields = ["done_by", "verified_by"]


@admin.register(AfterActionReport)
class AfterActionReportAdmin(ReadOnlyAdmin):
    """Signed AAR/IPs are only ever added; the admin shows them, with a failed render's detail."""

    list_display = ["exercise", "number", "typed_name", "signed_at", "state", "error_reference"]
    list_filter = ["state"]
    search_fields = ["snapshot_sha256", "sha256", "exercise__title", "error_reference"]
    list_select_related = ["exercise"]
    exclude = ["snapshot"]


@admin.register(Objective)
class ObjectiveAdmin(admin.ModelAdmin):
    list_display = ["text", "capability", "exercise"]
    search_fields = ["text", "capability", "exercise__title"]
    raw_id_fields = ["exercise"]


@admin.register(Observation)
class ObservationAdmin(admin.ModelAdmin):
    list_display = ["text", "kind", "objective"]
    list_filter = ["kind"]
    search_fields = ["text", "objective__exercise__title"]
    raw_id_fields = ["objective", "recorded_by"]


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ["exercise", "evaluator", "reviewed_on"]
    search_fields = ["evaluator", "exercise__title"]
    raw_id_fields = ["exercise"]


@admin.register(ReviewAttachment)
class ReviewAttachmentAdmin(admin.ModelAdmin):
    list_display = ["name", "exercise", "size", "uploaded_at"]
    search_fields = ["name", "sha256", "exercise__title"]
    raw_id_fields = ["exercise", "uploaded_by"]
    readonly_fields = ["sha256", "size"]


@admin.register(ActionEvent)
class ActionEventAdmin(ReadOnlyAdmin):
    """A corrective action's history is only ever added to."""

    list_display = ["action", "status", "by", "at"]
    list_filter = ["status"]
    search_fields = ["note", "action__description"]
