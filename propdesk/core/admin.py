"""Django admin of the shared kernel: the audit trail and the personal-data access
log are read-only; two mixins every foundation admin uses.

The admin is for master data (companies, communities, buildings, houses, tags,
departments, staff). Changes made here are audited like service writes; domain
records with rules of their own (customers, occupancies, readings) are
read-only here and changed in the console or the API.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.db import models
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest

from .audit import audit_record, snapshot
from .models import AuditAction, AuditEvent, NumberSequence, PiiAccess

# django-stubs makes the admin classes generic; at run time they are not subscriptable.
if TYPE_CHECKING:
    ModelAdmin = admin.ModelAdmin[Any]
    TabularInline = admin.TabularInline[Any, Any]
else:
    ModelAdmin = admin.ModelAdmin
    TabularInline = admin.TabularInline


class ReadOnlyAdminMixin:
    """View-only: no add, change or delete, whatever the user's permissions."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AuditedAdminMixin:
    """Writes through the admin append an audit event with before/after (issue 2, point 7)."""

    audit_fields: Sequence[str] = ()

    def _community_id(self, obj: models.Model) -> int | None:
        if obj._meta.model_name == "community":
            return obj.pk
        return getattr(obj, "community_id", None)

    def _fields(self, obj: models.Model) -> Sequence[str]:
        return self.audit_fields or [
            f.name for f in obj._meta.concrete_fields if not f.primary_key and f.editable
        ]

    def save_model(
        self, request: HttpRequest, obj: Any, form: ModelForm[Any], change: bool
    ) -> None:
        before = None
        if change and obj.pk:
            old = type(obj)._default_manager.filter(pk=obj.pk).first()
            before = snapshot(old, self._fields(obj)) if old else None
        super().save_model(request, obj, form, change)  # type: ignore[misc]
        audit_record(
            actor=request.user,
            instance=obj,
            action=AuditAction.UPDATE if before is not None else AuditAction.CREATE,
            before=before,
            after=snapshot(obj, self._fields(obj)),
            community_id=self._community_id(obj),
            note="admin",
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        audit_record(
            actor=request.user,
            instance=obj,
            action=AuditAction.DELETE,
            before=snapshot(obj, self._fields(obj)),
            community_id=self._community_id(obj),
            note="admin",
        )
        super().delete_model(request, obj)  # type: ignore[misc]

    def save_formset(
        self,
        request: HttpRequest,
        form: ModelForm[Any],
        formset: BaseInlineFormSet[Any, Any, Any],
        change: bool,
    ) -> None:
        """Inline rows (e.g. staff scopes) are audited one by one."""
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            audit_record(
                actor=request.user,
                instance=obj,
                action=AuditAction.DELETE,
                before=snapshot(obj, self._inline_fields(obj)),
                community_id=getattr(obj, "community_id", None),
                note="admin",
            )
            obj.delete()
        for obj in instances:
            is_new = obj.pk is None
            before = None
            if not is_new:
                old = type(obj)._default_manager.filter(pk=obj.pk).first()
                before = snapshot(old, self._inline_fields(obj)) if old else None
            obj.save()
            audit_record(
                actor=request.user,
                instance=obj,
                action=AuditAction.CREATE if is_new else AuditAction.UPDATE,
                before=before,
                after=snapshot(obj, self._inline_fields(obj)),
                community_id=getattr(obj, "community_id", None),
                note="admin",
            )
        formset.save_m2m()

    @staticmethod
    def _inline_fields(obj: models.Model) -> list[str]:
        return [f.name for f in obj._meta.concrete_fields if not f.primary_key and f.editable]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, ModelAdmin):
    list_display = ("at", "actor_label", "action", "object_type", "object_label", "community_id")
    list_filter = ("action", "object_type")
    search_fields = ("object_label", "actor_label", "object_id")
    date_hierarchy = "at"
    list_select_related = ("actor",)
    fields = (
        "at",
        "actor",
        "actor_label",
        "community_id",
        "object_type",
        "object_id",
        "object_label",
        "action",
        "changes",
        "note",
    )


@admin.register(PiiAccess)
class PiiAccessAdmin(ReadOnlyAdminMixin, ModelAdmin):
    list_display = ("at", "actor", "subject_type", "subject_id", "field", "channel")
    list_filter = ("field", "channel", "subject_type")
    search_fields = ("actor__username", "actor__display_name", "subject_id")
    date_hierarchy = "at"
    list_select_related = ("actor",)


@admin.register(NumberSequence)
class NumberSequenceAdmin(ReadOnlyAdminMixin, ModelAdmin):
    list_display = ("scope", "series", "year", "last_value")
    list_filter = ("series", "year")
    search_fields = ("scope",)
