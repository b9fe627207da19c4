"""Company → community → building → house → meters with dated readings."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from propdesk.core.models import TimeStampedModel


class Company(TimeStampedModel):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")

    def __str__(self) -> str:
        return self.name


def _time_zone_choices() -> list[tuple[str, str]]:
    return [(tz, tz) for tz in sorted(zoneinfo.available_timezones())]


class Community(TimeStampedModel):
    company = models.ForeignKey(
        Company, on_delete=models.PROTECT, related_name="communities", verbose_name=_("company")
    )
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    address = models.CharField(_("address"), max_length=300, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    phone = models.CharField(_("service phone"), max_length=30, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("community")
        verbose_name_plural = _("communities")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class Building(TimeStampedModel):
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="buildings", verbose_name=_("community")
    )
    code = models.CharField(
        _("building number"), max_length=16, help_text=_("As used in house labels, e.g. 3.")
    )
    name = models.CharField(_("name"), max_length=100, help_text=_("e.g. 3栋"))
    floors = models.PositiveSmallIntegerField(
        _("floors above ground"), default=1, validators=[MinValueValidator(1)]
    )
    basement_floors = models.PositiveSmallIntegerField(_("basement floors"), default=0)
    units = models.PositiveSmallIntegerField(
        _("units (entrances)"), default=1, validators=[MinValueValidator(1)]
    )

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ["community_id", "code"]
        constraints = [
            models.UniqueConstraint(fields=["community", "code"], name="building_unique_code")
        ]

    def __str__(self) -> str:
        return self.name or self.code


class HouseKind(models.TextChoices):
    RESIDENCE = "residence", _("Residence")
    SHOP = "shop", _("Shop")
    OFFICE = "office", _("Office")
    PARKING = "parking", _("Parking space")


class HouseStatus(models.TextChoices):
    UNSOLD = "unsold", _("Unsold")
    DELIVERED = "delivered", _("Delivered, not occupied")
    OCCUPIED = "occupied", _("Occupied")
    VACANT = "vacant", _("Vacant")
    RENOVATING = "renovating", _("Renovating")
    CUSTODY = "custody", _("In custody")


class House(TimeStampedModel):
    """A unit people live or work in, labelled building-unit-room (3-2-1801)."""

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="houses", verbose_name=_("community")
    )
    building = models.ForeignKey(
        Building, on_delete=models.PROTECT, related_name="houses", verbose_name=_("building")
    )
    unit = models.CharField(_("unit"), max_length=8, blank=True)
    room = models.CharField(_("room"), max_length=16)
    label = models.CharField(_("house"), max_length=40, db_index=True)
    floor = models.SmallIntegerField(_("floor"))
    area = models.DecimalField(_("area (m²)"), max_digits=9, decimal_places=2)
    kind = models.CharField(
        _("kind"), max_length=16, choices=HouseKind.choices, default=HouseKind.RESIDENCE
    )
    status = models.CharField(
        _("status"), max_length=16, choices=HouseStatus.choices, default=HouseStatus.UNSOLD
    )
    handover_date = models.DateField(_("handover date"), null=True, blank=True)

    class Meta:
        verbose_name = _("house")
        verbose_name_plural = _("houses")
        ordering = ["community_id", "label"]
        constraints = [
            models.UniqueConstraint(
                fields=["building", "unit", "room"], name="house_unique_in_building"
            ),
            models.UniqueConstraint(fields=["community", "label"], name="house_unique_label"),
            models.CheckConstraint(condition=models.Q(area__gt=0), name="house_area_positive"),
        ]
        indexes = [models.Index(fields=["community", "status"], name="house_status_idx")]

    def __str__(self) -> str:
        return self.label


class MeterKind(models.TextChoices):
    WATER = "water", _("Water")
    ELECTRICITY = "electricity", _("Electricity")
    GAS = "gas", _("Gas")


class Meter(TimeStampedModel):
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    house = models.ForeignKey(
        House, on_delete=models.PROTECT, related_name="meters", verbose_name=_("house")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=MeterKind.choices)
    serial = models.CharField(_("meter number"), max_length=40)
    installed_on = models.DateField(_("installed on"), null=True, blank=True)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("meter")
        verbose_name_plural = _("meters")
        constraints = [
            models.UniqueConstraint(
                fields=["community", "kind", "serial"], name="meter_unique_serial"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.serial}"


class MeterReading(models.Model):
    meter = models.ForeignKey(
        Meter, on_delete=models.PROTECT, related_name="readings", verbose_name=_("meter")
    )
    read_on = models.DateField(_("date"))
    value = models.DecimalField(_("reading"), max_digits=12, decimal_places=2)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("meter reading")
        verbose_name_plural = _("meter readings")
        ordering = ["meter_id", "-read_on"]
        constraints = [
            models.UniqueConstraint(fields=["meter", "read_on"], name="reading_unique_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.meter} {self.read_on}: {self.value}"
