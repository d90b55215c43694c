from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from checklists.models import (
    Assessment,
    Attachment,
    Catalog,
    CatalogVersion,
    DraftReport,
    EvidencePrompt,
    Figure,
    FigureValue,
    Item,
    PendingUpload,
    Report,
    Response,
    ReviewComment,
    Section,
    SignOff,
    Source,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Catalog rows come from YAML files and are frozen once loaded: the admin only shows them."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Catalog)
class CatalogAdmin(ReadOnlyAdmin):
    list_display = ["title", "slug"]
    search_fields = ["title", "slug"]


class SectionInline(ReadOnlyInline):
    model = Section
    fields = ["order", "code", "title"]


@admin.register(CatalogVersion)
class CatalogVersionAdmin(ReadOnlyAdmin):
    list_display = ["title", "catalog", "version", "number", "published", "loaded_at"]
    list_filter = ["catalog"]
    search_fields = ["title", "version", "content_sha256"]
    inlines = [SectionInline]


@admin.register(Source)
class SourceAdmin(ReadOnlyAdmin):
    list_display = ["key", "citation", "catalog_version"]
    list_filter = ["catalog_version"]
    search_fields = ["key", "citation", "doi"]


@admin.register(Section)
class SectionAdmin(ReadOnlyAdmin):
    list_display = ["title", "code", "order", "catalog_version"]
    list_filter = ["catalog_version"]
    search_fields = ["title", "code"]


class PromptInline(ReadOnlyInline):
    model = EvidencePrompt
    fields = ["order", "key", "kind", "label", "required"]


@admin.register(Item)
class ItemAdmin(ReadOnlyAdmin):
    list_display = ["code", "title", "section", "origin", "scope", "weight", "catalog_version"]
    list_filter = ["catalog_version", "origin", "scope", "weight", "roles", "section__title"]
    search_fields = ["code", "title", "guidance", "practice", "why"]
    list_select_related = ["section", "catalog_version"]
    inlines = [PromptInline]


@admin.register(EvidencePrompt)
class EvidencePromptAdmin(ReadOnlyAdmin):
    list_display = ["label", "item", "kind", "required"]
    list_filter = ["kind", "required", "item__catalog_version"]
    search_fields = ["label", "key", "item__code"]
    list_select_related = ["item"]


class FigureValueInline(ReadOnlyInline):
    model = FigureValue
    fields = ["order", "label", "value"]
    show_change_link = False


@admin.register(Figure)
class FigureAdmin(ReadOnlyAdmin):
    list_display = ["title", "key", "unit", "period", "catalog_version"]
    list_filter = ["catalog_version"]
    search_fields = ["title", "key"]
    inlines = [FigureValueInline]


@admin.register(FigureValue)
class FigureValueAdmin(ReadOnlyAdmin):
    list_display = ["label", "value", "figure"]
    list_filter = ["figure"]
    search_fields = ["label"]


class AttachmentInline(admin.TabularInline):
    model = Attachment
    extra = 0
    fields = [
        "original_name",
        "prompt_key",
        "content_type",
        "size",
        "sha256",
        "uploaded_by",
        "uploaded_at",
    ]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin):
    list_display = ["title", "agency", "catalog_version", "state", "due_date", "created_at"]
    list_filter = ["state", "agency", "catalog_version"]
    search_fields = ["title", "agency__name"]
    list_select_related = ["agency", "catalog_version"]
    raw_id_fields = ["previous", "created_by"]


@admin.register(Response)
class ResponseAdmin(SimpleHistoryAdmin):
    list_display = [
        "__str__",
        "assessment",
        "school",
        "status",
        "carried_over",
        "owner",
        "target_date",
        "updated_at",
    ]
    list_filter = ["status", "carried_over", "assessment__agency", "assessment"]
    search_fields = ["item__code", "item__title", "school__name", "notes"]
    list_select_related = ["item", "school", "owner", "assessment"]
    raw_id_fields = ["assessment", "item", "school", "owner", "previous", "updated_by"]
    inlines = [AttachmentInline]


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = [
        "original_name",
        "response",
        "content_type",
        "size",
        "uploaded_by",
        "uploaded_at",
    ]
    list_filter = ["content_type"]
    search_fields = ["original_name", "sha256", "response__item__code"]
    list_select_related = ["response__item", "response__school", "uploaded_by"]
    raw_id_fields = ["response", "uploaded_by"]
    readonly_fields = ["sha256", "size", "content_type"]


@admin.register(SignOff)
class SignOffAdmin(ReadOnlyAdmin):
    list_display = ["assessment", "typed_name", "typed_title", "signed_at", "snapshot_sha256"]
    list_filter = ["assessment__agency"]
    search_fields = ["typed_name", "snapshot_sha256", "assessment__title"]
    list_select_related = ["assessment"]


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    list_display = ["sign_off", "edition", "state", "sha256", "size", "attempts", "rendered_at"]
    list_filter = ["state", "edition"]
    search_fields = ["sha256", "sign_off__assessment__title"]
    list_select_related = ["sign_off__assessment"]


@admin.register(DraftReport)
class DraftReportAdmin(ReadOnlyAdmin):
    list_display = [
        "assessment",
        "edition",
        "state",
        "requested_by",
        "created_at",
        "error_reference",
    ]
    list_filter = ["state", "edition"]
    search_fields = ["error_reference", "snapshot_sha256", "assessment__title"]
    list_select_related = ["assessment", "requested_by"]


@admin.register(PendingUpload)
class PendingUploadAdmin(ReadOnlyAdmin):
    """Files kept from a form that was not saved yet; attached or forgotten when it is."""

    list_display = ["original_name", "response", "uploaded_by", "uploaded_at"]
    search_fields = ["original_name", "sha256", "response__item__code"]
    list_select_related = ["response__item", "response__school", "uploaded_by"]


@admin.register(ReviewComment)
class ReviewCommentAdmin(ReadOnlyAdmin):
    """Review comments are written and resolved in the app, where the review freeze applies."""

    list_display = ["response", "author", "created_at", "resolved_at"]
    search_fields = ["body", "response__item__code", "author__full_name"]
    list_select_related = ["response__item", "response__school", "author"]
