"""Django admin of estates master data: companies, communities, buildings, houses, meters.

House labels are derived (building-unit-room) and houses are validated by the
same rules as `house_create`; every admin write is audited.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from propdesk.core.admin import AuditedAdminMixin, ModelAdmin, ReadOnlyAdminMixin, TabularInline
from propdesk.core.errors import ErrorCollector

from .models import Building, Community, Company, House, Meter, MeterReading
from .services import HOUSE_AUDIT_FIELDS, _validate_house, house_label


@admin.register(Company)
class CompanyAdmin(AuditedAdminMixin, ModelAdmin):
    list_display = ("code", "name", "created_at")
    search_fields = ("code", "name")
    audit_fields = ("code", "name")


class BuildingInline(TabularInline):
    model = Building
    fields = ("code", "name", "floors", "basement_floors", "units")
    extra = 0
    show_change_link = True


@admin.register(Community)
class CommunityAdmin(AuditedAdminMixin, ModelAdmin):
    list_display = ("code", "name", "company", "time_zone", "phone", "is_active")
    list_filter = ("company", "is_active", "time_zone")
    search_fields = ("code", "name", "address")
    list_select_related = ("company",)
    audit_fields = ("company", "code", "name", "address", "time_zone", "phone", "is_active")
    inlines = (BuildingInline,)


@admin.register(Building)
class BuildingAdmin(AuditedAdminMixin, ModelAdmin):
    list_display = ("__str__", "code", "community", "floors", "basement_floors", "units")
    list_filter = ("community",)
    search_fields = ("code", "name", "community__name")
    list_select_related = ("community",)
    audit_fields = ("community", "code", "name", "floors", "basement_floors", "units")


class HouseAdminForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = House
        fields = ("building", "unit", "room", "floor", "area", "kind", "status", "handover_date")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        building: Building | None = data.get("building")
        if building is None:
            return data
        # The same rules as the house_create service, reported on the same fields.
        errors = ErrorCollector()
        _validate_house(
            errors,
            building,
            unit=data.get("unit", ""),
            room=data.get("room", ""),
            floor=data.get("floor"),
            area=data.get("area"),
            kind=data.get("kind"),
            status=data.get("status"),
            handover_date=data.get("handover_date"),
        )
        for field, messages in errors.errors.items():
            for message in messages:
                if field in self.fields and field not in self.errors:
                    self.add_error(field, str(message))
        self.instance.community_id = building.community_id
        self.instance.label = label = house_label(
            building_code=building.code, unit=data.get("unit") or "", room=data.get("room") or ""
        )
        clash = House.objects.filter(community_id=building.community_id, label=label)
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if "room" not in self.errors and clash.exists():
            self.add_error(
                "room", _("House %(label)s already exists in this community.") % {"label": label}
            )
        return data


class MeterInline(TabularInline):
    model = Meter
    fields = ("kind", "serial", "installed_on", "is_active")
    extra = 0
    show_change_link = True


@admin.register(House)
class HouseAdmin(AuditedAdminMixin, ModelAdmin):
    form = HouseAdminForm
    list_display = ("label", "community", "building", "floor", "area", "kind", "status")
    list_filter = ("community", "status", "kind", "building__code")
    search_fields = ("label", "room")
    list_select_related = ("community", "building")
    readonly_fields = ("label", "community")
    autocomplete_fields = ("building",)
    audit_fields = HOUSE_AUDIT_FIELDS
    inlines = (MeterInline,)
    list_per_page = 50


class MeterReadingInline(ReadOnlyAdminMixin, TabularInline):
    """Readings go through `meter_reading_record` (never below the previous one)."""

    model = MeterReading
    fields = ("read_on", "value", "recorded_by", "recorded_at", "note")
    readonly_fields = fields
    ordering = ("-read_on",)
    extra = 0


@admin.register(Meter)
class MeterAdmin(AuditedAdminMixin, ModelAdmin):
    list_display = ("serial", "kind", "house", "community", "installed_on", "is_active")
    list_filter = ("community", "kind", "is_active")
    search_fields = ("serial", "house__label")
    list_select_related = ("house", "community")
    raw_id_fields = ("house",)
    fields = ("house", "kind", "serial", "installed_on", "is_active")
    audit_fields = ("house", "kind", "serial", "installed_on", "is_active")
    inlines = (MeterReadingInline,)

    def save_model(self, request: Any, obj: Meter, form: Any, change: bool) -> None:
        obj.community_id = obj.house.community_id
        super().save_model(request, obj, form, change)
