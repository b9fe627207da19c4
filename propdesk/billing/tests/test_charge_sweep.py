"""The worker bills the service desk's charge requests every few minutes, once each."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from propdesk.billing.models import Bill
from propdesk.jobs import registry
from propdesk.jobs.worker import run_until_idle
from propdesk.servicedesk import services as desk
from propdesk.servicedesk.models import Category, ChargeRequest, ChargeState


def test_worker_bills_pending_charge_requests_once(cast, fees):
    case = desk.case_create(
        actor=cast.desk_a,
        community_id=cast.alpha.pk,
        kind="repair",
        channel="phone",
        description="疏通下水道（有偿）",
        house_id=cast.house_a1.pk,
        customer_id=cast.alice.pk,
        category_id=Category.objects.get(company=None, code="water.pipe").pk,
    )
    request = ChargeRequest.objects.create(
        case=case,
        community=cast.alpha,
        house=cast.house_a1,
        description="疏通下水道",
        amount=Decimal("80.00"),
        created_at=timezone.now(),
    )
    now = timezone.now()
    run_until_idle(now=now)
    assert registry.SWEEPS["billing.charge_requests"].every_seconds == 300
    request.refresh_from_db()
    assert request.state == ChargeState.POSTED
    bill = Bill.objects.get(house=cast.house_a1, fee_item__code="service")
    assert bill.amount == Decimal("80.00")
    assert request.billing_ref == f"bill:{bill.pk}"
    run_until_idle(now=now + dt.timedelta(minutes=10))
    assert Bill.objects.filter(house=cast.house_a1, fee_item__code="service").count() == 1
