from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from propdesk.billing.models import Bill, FeeItem
from propdesk.billing.seeds import seed_community

SH = ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2026, 11, 3, 10, 0, tzinfo=SH)


@pytest.fixture
def fees(cast):
    """Alpha and Beta with the starting fee items, standards and rules."""
    seed_community(cast.alpha.pk)
    seed_community(cast.beta.pk)
    return {
        (item.community_id, item.code): item
        for item in FeeItem.objects.filter(community__in=[cast.alpha, cast.beta])
    }


def first_receipt() -> str:
    """The first receipt number of a payment taken now (receipts are numbered per year)."""
    from django.utils import timezone

    return f"SJ{timezone.localdate():%y}-000001"


def item(fees, community, code):
    return fees[(community.pk, code)]


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    """That day at `hour` o'clock in Shanghai."""
    return dt.datetime.combine(day, dt.time(hour), tzinfo=SH)


def charge(cast, fees, house, amount, due, ref, *, on=None, code="management"):
    """A bill of `amount` due on `due`, made on `on` (default: the due date; its period
    starts that day)."""
    from propdesk.billing import services

    return services.charge_post(
        actor=cast.admin,
        house_id=house.pk,
        fee_item_id=item(fees, house.community, code).pk,
        amount=amount,
        reference=ref,
        due=due,
        now=at(on or due),
    )


def bill_row(**fields) -> Bill:
    """An unsaved bill of 100.00 for November 2026 built past the services, for tests of
    what the database refuses on its own; `fields` names its keys and any change."""
    return Bill(
        **{
            "period": "2026-11",
            "period_start": dt.date(2026, 11, 1),
            "period_end": dt.date(2026, 11, 30),
            "due_date": dt.date(2026, 11, 30),
            "quantity": Decimal("1"),
            "unit_price": Decimal("100"),
            "gross": Decimal("100"),
            "amount": Decimal("100"),
            "created_at": T0,
        }
        | fields
    )
