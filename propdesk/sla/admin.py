"""Admin of the service-standard policies and the business calendar (editable data)."""

from __future__ import annotations

from django.contrib import admin

from propdesk.core.admin import AuditedAdminMixin, ModelAdmin, ReadOnlyAdminMixin

from .models import CalendarOverride, Clock, CommunityHours, Policy


@admin.register(Policy)
class PolicyAdmin(AuditedAdminMixin, ModelAdmin):
    list_display = (
        "code",
        "name",
        "community",
        "kind",
        "severity",
        "requires_safety",
        "requires_leak",
        "start_event",
        "target_kind",
        "target_minutes",
        "is_active",
    )
    list_filter = ("kind", "target_kind", "is_active")
    search_fields = ("code", "name")


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(AuditedAdminMixin, ModelAdmin):
    list_display = ("date", "is_workday", "community", "note")
    list_filter = ("is_workday",)


@admin.register(CommunityHours)
class CommunityHoursAdmin(AuditedAdminMixin, ModelAdmin):
    list_display = ("community", "intervals")


@admin.register(Clock)
class ClockAdmin(ReadOnlyAdminMixin, ModelAdmin):
    list_display = ("case", "policy", "state", "started_at", "due_at", "met_at", "breached_at")
    list_filter = ("state",)
