"""Metered utilities in a billing run: the last reading in the month less the last before it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from propdesk.billing import services
from propdesk.billing.models import Bill
from propdesk.billing.reconcile import mismatches
from propdesk.billing.tests.conftest import T0
from propdesk.estates.models import House, HouseStatus, Meter, MeterReading

D = Decimal


def test_water_is_billed_from_readings_for_more_meters_than_sqlite_can_or_together(cast, fees):
    """1,500 water meters in one chunk (the run once built one OR term per meter, past
    SQLite's expression depth of 1,000)."""
    houses = House.objects.bulk_create(
        House(
            community=cast.alpha,
            building=cast.building_a,
            unit="3",
            room=str(1000 + n),
            label=f"1-3-{1000 + n}",
            floor=1,
            area=D("80.00"),
            status=HouseStatus.VACANT if n % 10 == 0 else HouseStatus.OCCUPIED,
        )
        for n in range(1500)
    )
    meters = Meter.objects.bulk_create(
        Meter(community=cast.alpha, house=h, kind="water", serial=f"SB-{h.pk}") for h in houses
    )
    now = timezone.now()
    MeterReading.objects.bulk_create(
        MeterReading(meter=m, read_on=day, value=value, recorded_at=now)
        for n, m in enumerate(meters)
        for day, value in (
            (dt.date(2026, 9, 1), D("100.00")),
            (dt.date(2026, 10, 1), D("105.00") + n % 7),  # the last before November
            (dt.date(2026, 11, 1), D("106.00") + n % 7),
            (
                dt.date(2026, 12, 1),
                D("115.00") + n % 7 + n % 3,
            ),  # the last in November? no: December
            (dt.date(2026, 11, 30), D("112.50") + n % 7 + n % 3),  # the last in November
        )
    )
    services.billing_run_start(
        actor=cast.director_a, community_id=cast.alpha.pk, period="2026-11", now=T0
    )
    water = Bill.objects.filter(fee_item__code="water").select_related("house")
    assert water.count() == 1500
    by_label = {b.house.label: b for b in water}
    # 1-3-1004: 112.50 + 4 + 1 − (105.00 + 4) = 8.50 m³ × 4.10
    bill = by_label["1-3-1004"]
    assert bill.quantity == D("8.50")
    assert bill.amount == D("34.85")
    assert list(mismatches()) == []
