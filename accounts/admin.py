from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from accounts.models import Agency, AuditEvent, Invitation, Membership, Role, School, User


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ["email", "full_name", "job_title"]


class UserChangeFormWithEmail(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["agency"]
    filter_horizontal = ["roles", "schools"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserChangeFormWithEmail
    add_form = UserCreationForm
    ordering = ["email"]
    list_display = ["email", "full_name", "job_title", "is_active", "is_staff", "last_login"]
    list_filter = ["is_active", "is_staff", "is_superuser", "memberships__agency"]
    search_fields = ["email", "full_name", "job_title"]
    readonly_fields = ["last_login", "date_joined"]
    inlines = [MembershipInline]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Person", {"fields": ["full_name", "job_title"]}),
        (
            "Permissions",
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["email", "full_name", "job_title", "password1", "password2"],
            },
        ),
    ]


class SchoolInline(admin.TabularInline):
    model = School
    extra = 0
    fields = ["name", "district", "is_active"]


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "jurisdiction", "state", "created_at"]
    list_filter = ["kind", "state"]
    search_fields = ["name", "jurisdiction"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [SchoolInline]


@admin.register(School)
class SchoolAdmin(admin.ModelAdmin):
    list_display = ["name", "agency", "district", "is_active"]
    list_filter = ["is_active", "agency"]
    search_fields = ["name", "district", "address"]
    autocomplete_fields = ["agency"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "agency", "access", "created_at"]
    list_filter = ["access", "agency", "roles"]
    search_fields = ["user__email", "user__full_name", "agency__name"]
    autocomplete_fields = ["user", "agency"]
    filter_horizontal = ["roles", "schools"]
    list_select_related = ["user", "agency"]


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "order"]
    search_fields = ["name", "slug", "description"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = [
        "email",
        "agency",
        "access",
        "created_at",
        "expires_at",
        "accepted_at",
        "revoked_at",
    ]
    list_filter = ["access", "agency"]
    search_fields = ["email", "agency__name"]
    list_select_related = ["agency"]
    readonly_fields = ["token_hash", "created_at", "accepted_at", "accepted_by", "invited_by"]
    filter_horizontal = ["roles", "schools"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit log, to read only: nobody, superusers included, adds, changes or deletes."""

    list_display = ["at", "action", "agency", "actor_email", "summary", "ip_address"]
    list_filter = ["action", "agency"]
    search_fields = ["actor_email", "summary", "target_id"]
    list_select_related = ["agency"]
    date_hierarchy = "at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
