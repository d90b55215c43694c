from __future__ import annotations

from django.contrib import admin

from training.models import Completion, Course, Import, Person, Requirement, Session


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["full_name", "employee_number", "agency", "unit", "sworn", "status"]
    list_filter = ["agency", "status", "sworn"]
    search_fields = ["full_name", "employee_number"]


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "agency", "hours", "valid_months"]
    search_fields = ["name", "code"]


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ["course", "agency", "starts_on", "ends_on", "hours"]
    search_fields = ["course__name", "instructor", "location"]


@admin.register(Completion)
class CompletionAdmin(admin.ModelAdmin):
    list_display = ["person", "course", "completed_on", "hours"]
    search_fields = ["person__full_name", "person__employee_number", "course__code"]
    raw_id_fields = ["person", "session"]


@admin.register(Requirement)
class RequirementAdmin(admin.ModelAdmin):
    list_display = ["name", "agency", "measure", "window_months"]
    search_fields = ["name"]


@admin.register(Import)
class ImportAdmin(admin.ModelAdmin):
    list_display = ["file_name", "agency", "kind", "uploaded_at", "applied_at"]
    list_filter = ["kind"]
    search_fields = ["file_name"]
