from __future__ import annotations

from django.contrib import admin

from propdesk.core.admin import ModelAdmin

from .models import ImportJob


@admin.register(ImportJob)
class ImportJobAdmin(ModelAdmin):
    list_display = ("created_at", "community", "kind", "filename", "state", "rows_total", "created")
    list_filter = ("kind", "state")
    exclude = ("payload_cipher",)
    readonly_fields = [f.name for f in ImportJob._meta.fields if f.name != "payload_cipher"]

    def has_add_permission(self, request: object) -> bool:
        return False
