"""Django admin of customers: tags are master data; customer records are read-only.

Customers carry personal information (R-CUS-3): the admin shows masks only,
never the ciphertexts or blind indexes, and nothing here can change them —
customers, occupancies and the archive are edited in the console or the API,
whose services validate, audit and log.
"""

from __future__ import annotations

from django.contrib import admin

from propdesk.core.admin import AuditedAdminMixin, ModelAdmin, ReadOnlyAdminMixin, TabularInline

from .models import (
    Customer,
    CustomerTag,
    Document,
    Occupancy,
    OwnerAccount,
    Tag,
    TimelineEntry,
    Vehicle,
)


@admin.register(Tag)
class TagAdmin(AuditedAdminMixin, ModelAdmin):
    list_display = ("name", "code", "is_class", "color", "company")
    list_filter = ("company", "is_class")
    search_fields = ("name", "code")
    audit_fields = ("company", "code", "name", "is_class", "color")


class OccupancyInline(ReadOnlyAdminMixin, TabularInline):
    model = Occupancy
    fields = ("house", "role", "start_date", "end_date", "is_primary_contact")
    readonly_fields = fields
    extra = 0


class CustomerTagInline(ReadOnlyAdminMixin, TabularInline):
    model = CustomerTag
    fields = ("tag", "added_by", "added_at")
    readonly_fields = fields
    extra = 0


class VehicleInline(ReadOnlyAdminMixin, TabularInline):
    model = Vehicle
    fields = ("plate", "description", "parking_space")
    readonly_fields = fields
    extra = 0


# Only these columns are ever shown: names, masks, the non-sensitive rest.
CUSTOMER_FIELDS = (
    "community",
    "kind",
    "name",
    "name_pinyin",
    "gender",
    "birth_date",
    "id_type",
    "id_number_masked",
    "phone_masked",
    "email",
    "work_unit",
    "accepts_parcels",
    "created_at",
    "updated_at",
)


@admin.register(Customer)
class CustomerAdmin(ReadOnlyAdminMixin, ModelAdmin):
    list_display = ("name", "community", "kind", "id_number_masked", "phone_masked", "created_at")
    list_filter = ("community", "kind", "id_type", "tags")
    search_fields = ("name", "name_pinyin", "name_initials", "phone_last4")
    list_select_related = ("community",)
    fields = CUSTOMER_FIELDS
    readonly_fields = CUSTOMER_FIELDS
    inlines = (OccupancyInline, CustomerTagInline, VehicleInline)
    list_per_page = 50


@admin.register(Occupancy)
class OccupancyAdmin(ReadOnlyAdminMixin, ModelAdmin):
    list_display = ("house", "customer", "role", "start_date", "end_date", "is_primary_contact")
    list_filter = ("community", "role")
    search_fields = ("house__label", "customer__name")
    list_select_related = ("house", "customer")


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdminMixin, ModelAdmin):
    list_display = (
        "__str__",
        "doc_type",
        "customer",
        "house",
        "size",
        "uploaded_by",
        "uploaded_at",
    )
    list_filter = ("community", "doc_type")
    search_fields = ("title", "original_name", "customer__name", "house__label")
    list_select_related = ("customer", "house", "uploaded_by")
    exclude = ("file",)  # files are served to permitted staff by the console, not from here


@admin.register(TimelineEntry)
class TimelineEntryAdmin(ReadOnlyAdminMixin, ModelAdmin):
    list_display = ("at", "kind", "title", "customer", "house", "actor")
    list_filter = ("community", "kind")
    search_fields = ("title", "customer__name", "house__label")
    list_select_related = ("customer", "house", "actor")
    date_hierarchy = "at"


@admin.register(OwnerAccount)
class OwnerAccountAdmin(AuditedAdminMixin, ModelAdmin):
    """Which customer an owner login acts for (the portal comes later)."""

    list_display = ("user", "customer", "verified_at")
    search_fields = ("user__username", "customer__name")
    list_select_related = ("user", "customer")
    raw_id_fields = ("user", "customer")
    audit_fields = ("user", "customer", "verified_at")
