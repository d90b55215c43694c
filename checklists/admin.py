from __future__ import annotations

from django.contrib import admin

from checklists.models import (
    Catalog,
    CatalogVersion,
    EvidencePrompt,
    Figure,
    FigureValue,
    Item,
    Section,
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
    list_display = ["code", "title", "section", "scope", "weight", "catalog_version"]
    list_filter = ["catalog_version", "scope", "weight", "roles", "section__title"]
    search_fields = ["code", "title", "guidance", "why"]
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
