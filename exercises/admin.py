from __future__ import annotations

from django.contrib import admin

from exercises.models import CorrectiveAction, Exercise, Organization


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
