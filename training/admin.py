from __future__ import annotations

from django.contrib import admin

from training import currency
from training.models import Completion, Course, Currency, Import, Person, Requirement, Session


class RefreshesCurrency:
    """An admin change to completions or requirements stores the agency's currency again, as
    the services do (`currency.refresh`)."""

    def _agency(self, obj):
        return obj.person.agency if isinstance(obj, Completion) else obj.agency

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        currency.refresh(self._agency(form.instance))

    def delete_model(self, request, obj) -> None:
        agency = self._agency(obj)
        super().delete_model(request, obj)
        currency.refresh(agency)

    def delete_queryset(self, request, queryset) -> None:
        agencies = {self._agency(obj) for obj in queryset}
        super().delete_queryset(request, queryset)
        for agency in agencies:
            currency.refresh(agency)


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
class SessionAdmin(RefreshesCurrency, admin.ModelAdmin):
    list_display = ["course", "agency", "starts_on", "ends_on", "hours"]
    search_fields = ["course__name", "instructor", "location"]


@admin.register(Completion)
class CompletionAdmin(RefreshesCurrency, admin.ModelAdmin):
    list_display = ["person", "course", "completed_on", "hours"]
    search_fields = ["person__full_name", "person__employee_number", "course__code"]
    raw_id_fields = ["person", "session"]


@admin.register(Requirement)
class RequirementAdmin(RefreshesCurrency, admin.ModelAdmin):
    list_display = ["name", "agency", "measure", "window_months"]
    search_fields = ["name"]


@admin.register(Import)
class ImportAdmin(admin.ModelAdmin):
    list_display = ["file_name", "agency", "kind", "uploaded_at", "applied_at"]
    list_filter = ["kind"]
    search_fields = ["file_name"]


@admin.register(Currency)
class CurrencyAdmin(admin.ModelAdmin):
    """Read only: stored by `currency.refresh` from the completions, never edited by hand."""

    list_display = ["person", "requirement", "lapses_on"]
    search_fields = ["person__full_name", "person__employee_number", "requirement__name"]
    list_select_related = ["person", "requirement"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
