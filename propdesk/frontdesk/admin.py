"""Read-only admin of the desk's records: changes go through the services and the console."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from . import models


class ReadOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(models.Key)
class KeyAdmin(ReadOnly):
    list_display = ["tag_number", "cabinet_slot", "house", "kind", "status", "deposited_at"]
    list_filter = ["community", "kind", "status"]
    search_fields = ["tag_number", "house__label"]


@admin.register(models.Parcel)
class ParcelAdmin(ReadOnly):
    list_display = ["tracking_number", "carrier", "house", "status", "received_at"]
    list_filter = ["community", "status", "kind"]
    search_fields = ["tracking_number", "house__label"]


@admin.register(models.ReleasePass)
class ReleasePassAdmin(ReadOnly):
    list_display = ["number", "house", "applicant_name", "status", "valid_on"]
    list_filter = ["community", "status"]
    search_fields = ["number", "house__label"]


@admin.register(models.PassPolicy)
class PassPolicyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["community", "require_owner_or_consent", "warn_on_arrears", "block_on_arrears"]


for model in (
    models.KeyLend,
    models.KeyAudit,
    models.StorageItem,
    models.DeskRefusal,
    models.Handover,
    models.ParcelConsent,
    models.DeskEvent,
):
    admin.site.register(model, ReadOnly)
