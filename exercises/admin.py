from __future__ import annotations

from django.contrib import admin

from checklists.admin import ReadOnlyAdmin
from exercises.models import AfterActionReport, CorrectiveAction, Exercise, Organization


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
