"""A community's starting fee items, price standards and adjustment rules (idempotent).

The prices are examples for the demo and a starting point for an administrator;
the custody rule is the service standard (R-CST-4: 70% of the management fee).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from propdesk.estates.models import HouseKind, MeterKind

from .models import (
    AdjustmentKind,
    AdjustmentRule,
    FeeItem,
    FeeKind,
    PriceBasis,
    PriceStandard,
)

# code, name, kind, meter, sort
FEE_ITEMS = [
    ("management", "物业管理费", FeeKind.MANAGEMENT, "", 10),
    ("parking", "车位管理费", FeeKind.PARKING, "", 20),
    ("garbage", "生活垃圾处理费", FeeKind.GARBAGE, "", 30),
    ("water", "水费（代收）", FeeKind.UTILITY, MeterKind.WATER, 40),
    ("electricity", "电费（代收）", FeeKind.UTILITY, MeterKind.ELECTRICITY, 50),
    ("debris", "建筑垃圾清运费", FeeKind.ONE_OFF, "", 60),
    ("renovation_deposit", "装修履约保证金", FeeKind.DEPOSIT, "", 70),
    ("service", "有偿服务", FeeKind.SERVICE, "", 90),
    ("late_fee", "滞纳金", FeeKind.LATE_FEE, "", 99),
]

# code, house kind, basis, unit price
STANDARDS = [
    ("management", HouseKind.RESIDENCE, PriceBasis.PER_AREA_MONTH, "2.50"),
    ("management", HouseKind.SHOP, PriceBasis.PER_AREA_MONTH, "5.00"),
    ("management", HouseKind.OFFICE, PriceBasis.PER_AREA_MONTH, "4.00"),
    ("parking", HouseKind.PARKING, PriceBasis.FIXED_MONTH, "150.00"),
    ("garbage", HouseKind.RESIDENCE, PriceBasis.FIXED_MONTH, "10.00"),
    ("water", "", PriceBasis.PER_UNIT, "4.10"),
    ("electricity", "", PriceBasis.PER_UNIT, "0.62"),
    ("debris", "", PriceBasis.ONE_OFF, "300.00"),
]

# kind, rate, active — vacancy, prompt-payment and late fees are off until configured.
RULES = [
    (AdjustmentKind.CUSTODY, "0.70", True),
    (AdjustmentKind.VACANCY, "0.30", False),
    (AdjustmentKind.PROMPT_PAYMENT, "0.05", False),
    (AdjustmentKind.LATE_FEE, "0.0005", False),
]


def seed_community(community_id: int, *, valid_from: dt.date = dt.date(2024, 1, 1)) -> None:
    items = {}
    for code, name, kind, meter, sort in FEE_ITEMS:
        items[code], _c = FeeItem.objects.get_or_create(
            community_id=community_id,
            code=code,
            defaults={"name": name, "kind": kind, "meter_kind": meter, "sort": sort},
        )
    for code, house_kind, basis, price in STANDARDS:
        PriceStandard.objects.get_or_create(
            fee_item=items[code],
            house_kind=house_kind,
            valid_from=valid_from,
            defaults={
                "community_id": community_id,
                "basis": basis,
                "unit_price": Decimal(price),
            },
        )
    for rule_kind, rate, active in RULES:
        AdjustmentRule.objects.get_or_create(
            community_id=community_id,
            kind=rule_kind,
            fee_item=None,
            defaults={"rate": Decimal(rate), "is_active": active},
        )
    seed_collection(community_id)


def seed_collection(community_id: int) -> None:
    """The default dunning ladder and collection policy (R-FEE-3/4/5); idempotent."""
    from .dunning import seed_ladder

    seed_ladder(community_id)
