from __future__ import annotations

from django.contrib import admin

from propdesk.core.admin import ModelAdmin

from .models import OutboxMessage, PortalMessage, StaffAlert


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ModelAdmin):
    list_display = ["id", "community", "channel", "subject", "state", "attempts", "created_at"]
    list_filter = ["state", "channel", "community"]
    search_fields = ["subject", "ref_id", "dedupe_key"]
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]
    raw_id_fields = ["customer", "staff_user"]


@admin.register(PortalMessage)
class PortalMessageAdmin(ModelAdmin):
    list_display = ["id", "community", "customer", "subject", "created_at", "read_at"]
    raw_id_fields = ["customer", "outbox"]


@admin.register(StaffAlert)
class StaffAlertAdmin(ModelAdmin):
    list_display = ["id", "community", "user", "subject", "created_at", "read_at"]
    raw_id_fields = ["user", "outbox"]
