from __future__ import annotations

from django.contrib import admin

from training.models import Completion, Course, Person, Requirement, Session


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["full_name", "employee_number", "agency", "unit", "sworn", "status"]
    list_filter = ["agency", "status", "sworn"]
    search_fields = ["full_name", "employee_number"]


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "agency", "hours", "valid_months"]


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ["course", "agency", "starts_on", "ends_on", "hours"]


@admin.register(Completion)
class CompletionAdmin(admin.ModelAdmin):
    list_display = ["person", "course", "completed_on", "hours"]
    raw_id_fields = ["person", "session"]


@admin.register(Requirement)
class RequirementAdmin(admin.ModelAdmin):
    list_display = ["name", "agency", "measure", "window_months"]
