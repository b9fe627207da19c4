"""Writes of estates: communities, buildings, houses, meters and readings."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from propdesk.accounts.roles import Cap
from propdesk.accounts.selectors import community_filter, forget_scope_cache, require
from propdesk.core import validation as v
from propdesk.core.audit import audit_record, snapshot
from propdesk.core.errors import ErrorCollector, Invalid, NotFound
from propdesk.core.models import AuditAction

from .models import (
    Building,
    Community,
    Company,
    House,
    HouseKind,
    HouseStatus,
    Meter,
    MeterKind,
    MeterReading,
)
from .selectors import building_get_for_user, community_get_for_user, house_get_for_user

HOUSE_AUDIT_FIELDS = (
    "building",
    "unit",
    "room",
    "label",
    "floor",
    "area",
    "kind",
    "status",
    "handover_date",
)
MAX_AREA = Decimal("100000")


def house_label(*, building_code: str, unit: str, room: str) -> str:
    """`3`, `2`, `1801` → `3-2-1801`; houses without units: `3-1801`."""
    return "-".join(part for part in (building_code, unit, room) if part)


def community_create(
    *,
    actor: Any,
    company: Company,
    code: str,
    name: str,
    address: str = "",
    time_zone: str = "Asia/Shanghai",
) -> Community:
    """Create a community of a company (company administrators)."""
    require(actor, Cap.STAFF_MANAGE)
    if not actor.is_superuser and company.pk != actor.company_id:
        raise NotFound(_("No such company."))
    errors = ErrorCollector()
    code = v.text(errors, "code", code, max_length=32)
    name = v.text(errors, "name", name, max_length=200)
    address = v.text(errors, "address", address, max_length=300, required=False)
    if time_zone not in zoneinfo.available_timezones():
        errors.add("time_zone", _("Unknown time zone."))
    if code and Community.objects.filter(code=code).exists():
        errors.add("code", _("A community with this code already exists."))
    errors.raise_if_any()
    try:
        with transaction.atomic():
            community = Community.objects.create(
                company=company, code=code, name=name, address=address, time_zone=time_zone
            )
            audit_record(
                actor=actor,
                instance=community,
                action=AuditAction.CREATE,
                community_id=community.id,
                after=snapshot(community, ("code", "name", "address", "time_zone")),
            )
    except IntegrityError:
        raise Invalid.field("code", _("A community with this code already exists.")) from None
    # The actor's cached scope predates the new community.
    forget_scope_cache(actor)
    return community


def building_create(
    *,
    actor: Any,
    community_id: int,
    code: str,
    name: str = "",
    floors: int | str = 1,
    basement_floors: int | str = 0,
    units: int | str = 1,
) -> Building:
    """Add a building to a community."""
    require(actor, Cap.ESTATES_MANAGE)
    community = community_get_for_user(actor, community_id)
    errors = ErrorCollector()
    code = v.text(errors, "code", code, max_length=16)
    name = v.text(errors, "name", name, max_length=100, required=False) or (
        _("Building %(code)s") % {"code": code}
    )
    floors_n = v.integer(errors, "floors", floors, minimum=1, maximum=200)
    basement_n = v.integer(errors, "basement_floors", basement_floors, minimum=0, maximum=10)
    units_n = v.integer(errors, "units", units, minimum=1, maximum=50)
    if code and "-" in code:
        errors.add(
            "code",
            _("A building number may not contain “-”; it separates the parts of a house label."),
        )
    if code and Building.objects.filter(community=community, code=code).exists():
        errors.add("code", _("This community already has a building %(code)s.") % {"code": code})
    errors.raise_if_any()
    try:
        with transaction.atomic():
            building = Building.objects.create(
                community=community,
                code=code,
                name=name,
                floors=floors_n or 1,
                basement_floors=basement_n or 0,
                units=units_n or 1,
            )
            audit_record(
                actor=actor,
                instance=building,
                action=AuditAction.CREATE,
                community_id=community.id,
                after=snapshot(building, ("code", "name", "floors", "basement_floors", "units")),
            )
    except IntegrityError:
        raise Invalid.field(
            "code", _("This community already has a building %(code)s.") % {"code": code}
        ) from None
    return building


def _validate_house(
    errors: ErrorCollector,
    building: Building,
    *,
    unit: Any,
    room: Any,
    floor: Any,
    area: Any,
    kind: Any,
    status: Any,
    handover_date: Any,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "unit": v.text(errors, "unit", unit, max_length=8, required=False),
        "room": v.text(errors, "room", room, max_length=16),
        "floor": v.integer(
            errors,
            "floor",
            floor,
            minimum=-building.basement_floors if building.basement_floors else 1,
            maximum=building.floors,
        ),
        "area": v.decimal(
            errors, "area", area, minimum=Decimal(0), exclusive_minimum=True, maximum=MAX_AREA
        ),
        "kind": v.choice(errors, "kind", kind, HouseKind.choices),
        "status": v.choice(errors, "status", status, HouseStatus.choices),
        "handover_date": v.date(errors, "handover_date", handover_date, required=False),
    }
    if data["floor"] == 0:
        errors.add(
            "floor", _("There is no floor 0: floors above ground start at 1, basements at -1.")
        )
    for field in ("unit", "room"):
        if "-" in data[field]:
            errors.add(field, _("May not contain “-”; it separates the parts of a house label."))
    if data["unit"] and data["unit"].isdigit() and int(data["unit"]) > building.units:
        errors.add(
            "unit",
            _("Building %(b)s has only %(n)d units.") % {"b": building.code, "n": building.units},
        )
    return data


def house_create(
    *,
    actor: Any,
    building_id: int,
    room: str,
    floor: int | str,
    area: Decimal | str,
    unit: str = "",
    kind: str = HouseKind.RESIDENCE,
    status: str = HouseStatus.UNSOLD,
    handover_date: dt.date | str | None = None,
) -> House:
    """Add a house to a building; its label is derived and unique in the community."""
    require(actor, Cap.ESTATES_MANAGE)
    building = building_get_for_user(actor, building_id)
    errors = ErrorCollector()
    data = _validate_house(
        errors,
        building,
        unit=unit,
        room=room,
        floor=floor,
        area=area,
        kind=kind,
        status=status,
        handover_date=handover_date,
    )
    label = house_label(building_code=building.code, unit=data["unit"], room=data["room"])
    if (
        data["room"]
        and "room" not in errors.errors
        and House.objects.filter(community_id=building.community_id, label=label).exists()
    ):
        errors.add(
            "room", _("House %(label)s already exists in this community.") % {"label": label}
        )
    errors.raise_if_any()
    try:
        with transaction.atomic():
            house = House.objects.create(
                community_id=building.community_id, building=building, label=label, **data
            )
            audit_record(
                actor=actor,
                instance=house,
                action=AuditAction.CREATE,
                community_id=house.community_id,
                after=snapshot(house, HOUSE_AUDIT_FIELDS),
            )
    except IntegrityError:
        # Lost a race with an identical insert: same answer as the check above.
        raise Invalid.field(
            "room", _("House %(label)s already exists in this community.") % {"label": label}
        ) from None
    return house


def house_update(*, actor: Any, house_id: int, **changes: Any) -> House:
    """Change a house's floor, area, kind, status or handover date."""
    require(actor, Cap.ESTATES_MANAGE)
    allowed = {"floor", "area", "kind", "status", "handover_date"}
    unknown = set(changes) - allowed
    if unknown:
        raise Invalid({name: _("This field cannot be changed here.") for name in sorted(unknown)})
    with transaction.atomic():
        house = house_get_for_user(actor, house_id)
        house = House.objects.select_for_update().select_related("building").get(pk=house.pk)
        before = snapshot(house, HOUSE_AUDIT_FIELDS)
        current = {name: getattr(house, name) for name in allowed}
        current.update(changes)
        errors = ErrorCollector()
        data = _validate_house(errors, house.building, unit=house.unit, room=house.room, **current)
        errors.raise_if_any()
        for name in allowed:
            setattr(house, name, data[name])
        house.save(update_fields=[*sorted(allowed), "updated_at"])
        audit_record(
            actor=actor,
            instance=house,
            action=AuditAction.UPDATE,
            community_id=house.community_id,
            before=before,
            after=snapshot(house, HOUSE_AUDIT_FIELDS),
        )
    return house


def meter_add(
    *, actor: Any, house_id: int, kind: str, serial: str, installed_on: dt.date | str | None = None
) -> Meter:
    """Register a water, electricity or gas meter on a house."""
    require(actor, Cap.ESTATES_MANAGE)
    house = house_get_for_user(actor, house_id)
    errors = ErrorCollector()
    kind = v.choice(errors, "kind", kind, MeterKind.choices)
    serial = v.text(errors, "serial", serial, max_length=40)
    installed = v.date(errors, "installed_on", installed_on, required=False)
    if (
        serial
        and Meter.objects.filter(community_id=house.community_id, kind=kind, serial=serial).exists()
    ):
        errors.add("serial", _("A meter with this number already exists in this community."))
    errors.raise_if_any()
    try:
        with transaction.atomic():
            meter = Meter.objects.create(
                community_id=house.community_id,
                house=house,
                kind=kind,
                serial=serial,
                installed_on=installed,
            )
            audit_record(
                actor=actor,
                instance=meter,
                action=AuditAction.CREATE,
                community_id=house.community_id,
                after=snapshot(meter, ("house", "kind", "serial", "installed_on")),
            )
    except IntegrityError:
        raise Invalid.field(
            "serial", _("A meter with this number already exists in this community.")
        ) from None
    return meter


def meter_reading_record(
    *,
    actor: Any,
    meter_id: int,
    read_on: dt.date | str,
    value: Decimal | str,
    note: str = "",
    now: dt.datetime | None = None,
) -> MeterReading:
    """Record a dated reading; it may not go below the previous one nor be in the future."""
    require(actor, Cap.ESTATES_VIEW)
    now = now or timezone.now()
    errors = ErrorCollector()
    day = v.date(errors, "read_on", read_on)
    number = v.decimal(errors, "value", value, minimum=Decimal(0), maximum=Decimal("9999999999"))
    note = v.text(errors, "note", note, max_length=200, required=False)
    errors.raise_if_any()
    assert day is not None
    assert number is not None
    try:
        with transaction.atomic():
            meter = (
                Meter.objects.select_for_update()
                .select_related("community")
                .filter(community_filter(actor), id=meter_id)
                .first()
            )
            if meter is None:
                raise NotFound(_("No such meter."))
            # "The future" is judged by the community's calendar, not the server's.
            if day > now.astimezone(meter.community.tzinfo).date():
                errors.add("read_on", _("A reading cannot be dated in the future."))
            previous = meter.readings.filter(read_on__lt=day).order_by("-read_on").first()
            if previous and number < previous.value:
                errors.add(
                    "value",
                    _("Lower than the previous reading %(v)s on %(d)s.")
                    % {"v": previous.value, "d": previous.read_on},
                )
            later = meter.readings.filter(read_on__gt=day).order_by("read_on").first()
            if later and number > later.value:
                errors.add(
                    "value",
                    _("Higher than the later reading %(v)s on %(d)s.")
                    % {"v": later.value, "d": later.read_on},
                )
            if meter.readings.filter(read_on=day).exists():
                errors.add("read_on", _("This meter already has a reading on that day."))
            errors.raise_if_any()
            reading = MeterReading.objects.create(
                meter=meter,
                read_on=day,
                value=number,
                note=note,
                recorded_by=actor,
                recorded_at=now,
            )
    except IntegrityError:
        raise Invalid.field("read_on", _("This meter already has a reading on that day.")) from None
    return reading
