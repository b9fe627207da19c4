"""Admin for the service desk's master data: categories, price list, reply wording.

Cases themselves change only through the services (console / API); the admin
shows them read-only.
"""

from __future__ import annotations

from django.contrib import admin

from propdesk.core.admin import AuditedAdminMixin, ModelAdmin, ReadOnlyAdminMixin

from .models import Case, CaseEvent, Category, ChargeRequest, ReplyTemplate, ServiceItem


@admin.register(Category)
class CategoryAdmin(AuditedAdminMixin, ModelAdmin):
    list_display = (
        "name",
        "kind",
        "parent",
        "company",
        "is_safety_facility",
        "is_leak",
        "is_public_facility",
        "is_paid_default",
        "warranty_months",
        "is_active",
    )
    list_filter = ("kind", "is_safety_facility", "is_leak", "is_public_facility", "is_active")
    search_fields = ("name", "code")


@admin.register(ServiceItem)
class ServiceItemAdmin(AuditedAdminMixin, ModelAdmin):
    list_display = ("code", "name", "unit", "price", "department_kind", "community", "is_active")
    list_filter = ("is_active", "department_kind")
    search_fields = ("name", "code")


@admin.register(ReplyTemplate)
class ReplyTemplateAdmin(AuditedAdminMixin, ModelAdmin):
    list_display = ("title", "kind", "category", "company", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("title", "body")


class ReadOnlyAdmin(ReadOnlyAdminMixin, ModelAdmin):
    pass


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ("number", "kind", "status", "community", "title", "received_at", "assignee")
    list_filter = ("kind", "status", "community")
    search_fields = ("number", "title")
    date_hierarchy = "received_at"


@admin.register(CaseEvent)
class CaseEventAdmin(ReadOnlyAdmin):
    list_display = ("case", "action", "from_status", "to_status", "actor", "at")
    list_filter = ("action",)


@admin.register(ChargeRequest)
class ChargeRequestAdmin(ReadOnlyAdmin):
    list_display = ("case", "description", "amount", "state", "created_at", "posted_at")
    list_filter = ("state",)
