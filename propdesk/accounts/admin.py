"""Django admin of staff and owner logins, departments and community scopes.

Role, department and scope changes made here are audited like those made by
`accounts.services` (password hashes never enter the audit trail).
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from propdesk.core.admin import AuditedAdminMixin, ModelAdmin, TabularInline

from .models import AuthFailure, Department, StaffScope, User
from .services import STAFF_AUDIT_FIELDS


@admin.register(Department)
class DepartmentAdmin(AuditedAdminMixin, ModelAdmin):
    list_display = ("name", "kind", "community", "company")
    list_filter = ("company", "community", "kind")
    search_fields = ("name",)
    list_select_related = ("company", "community")
    audit_fields = ("company", "community", "kind", "name")


class StaffScopeInline(TabularInline):
    model = StaffScope
    fields = ("community", "granted_at")
    readonly_fields = ("granted_at",)
    extra = 0
    verbose_name = _("community served")
    verbose_name_plural = _("communities served")


@admin.register(User)
class UserAdmin(AuditedAdminMixin, DjangoUserAdmin):  # type: ignore[type-arg]
    list_display = (
        "username",
        "display_name",
        "kind",
        "role",
        "department",
        "company",
        "all_communities",
        "is_active",
    )
    list_filter = ("kind", "role", "company", "department__kind", "is_active", "is_staff")
    search_fields = ("username", "display_name", "phone", "email")
    list_select_related = ("department", "company")
    ordering = ("username",)
    audit_fields = STAFF_AUDIT_FIELDS
    inlines = (StaffScopeInline,)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (
            _("PropDesk"),
            {
                "fields": (
                    "kind",
                    "display_name",
                    "role",
                    "department",
                    "company",
                    "all_communities",
                    "phone",
                    "email",
                    "language",
                )
            },
        ),
        (
            _("Django admin access"),
            {
                "classes": ("collapse",),
                "fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions"),
            },
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "username",
                    "password1",
                    "password2",
                    "kind",
                    "display_name",
                    "role",
                    "department",
                    "company",
                    "all_communities",
                ),
            },
        ),
    )


@admin.register(AuthFailure)
class AuthFailureAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Wrong passwords being counted; deleting a key's rows unlocks it at once."""

    list_display = ("key", "at")
    search_fields = ("key",)
    ordering = ("-at",)

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
