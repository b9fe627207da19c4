"""Property-based tests (hypothesis): whatever sequence of billing operations staff perform,
every cached balance equals the sum of its entries and no bill is cleared beyond its
amount or below zero.

Hypothesis draws sequences of runs, one-off charges, payments (oldest first or to chosen
bills, with repeated and conflicting idempotency keys), waivers, discounts, refunds,
voids and bill cancellations, some of which the services refuse. Each example runs in a
savepoint that is rolled back afterwards, so examples start from the same database (the
Django pattern: the `db` fixture's transaction, one savepoint per example). Example
counts are modest so the suite stays fast; HYPOTHESIS_PROFILE=thorough draws more.
"""

from __future__ import annotations

import os
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Q
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from propdesk.billing import services
from propdesk.billing.models import Account, Bill, Payment
from propdesk.billing.reconcile import mismatches
from propdesk.billing.tests.conftest import T0, item
from propdesk.core.errors import DomainError

settings.register_profile("default", max_examples=25, deadline=None)
settings.register_profile("thorough", max_examples=300, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

PERIODS = ["2026-08", "2026-09", "2026-10", "2026-11", "2026-Q4", "2027"]
amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("600"), places=2)
house = st.integers(0, 1)
pick = st.integers(0, 50)

operations = st.one_of(
    st.tuples(st.just("run"), st.sampled_from(PERIODS)),
    st.tuples(st.just("charge"), house, amounts),
    st.tuples(st.just("pay"), house, amounts, st.integers(0, 6)),
    st.tuples(st.just("pay_bills"), house, amounts, st.lists(pick, min_size=1, max_size=3)),
    st.tuples(st.just("waive"), pick, amounts, st.sampled_from(["waiver", "discount"])),
    st.tuples(st.just("refund"), house, amounts),
    st.tuples(st.just("void"), pick),
    st.tuples(st.just("cancel"), pick),
)


class _Rollback(Exception):
    pass


def _nth(rows: list, n: int):
    return rows[n % len(rows)] if rows else None


def apply(op: tuple, cast, fees, counter: list[int]) -> None:
    houses = [cast.house_a1, cast.house_a2]
    cashier, director = cast.cashier_a, cast.director_a
    kind = op[0]
    counter[0] += 1
    if kind == "run":
        services.billing_run_start(actor=director, community_id=cast.alpha.pk, period=op[1], now=T0)
    elif kind == "charge":
        services.charge_post(
            actor=cashier,
            house_id=houses[op[1]].pk,
            fee_item_id=item(fees, cast.alpha, "debris").pk,
            amount=op[2],
            reference=f"ref-{counter[0]}",
            now=T0,
        )
    elif kind == "pay":
        # Few keys: some draws replay an earlier payment, some conflict with it.
        services.payment_post(
            actor=cashier,
            house_id=houses[op[1]].pk,
            amount=op[2],
            method="cash",
            idempotency_key=f"key-{op[3]}",
            now=T0,
        )
    elif kind == "pay_bills":
        bills = list(Bill.objects.filter(house=houses[op[1]]).order_by("id"))
        chosen = {_nth(bills, n).pk for n in op[3]} if bills else {0}
        services.payment_post(
            actor=cashier,
            house_id=houses[op[1]].pk,
            amount=op[2],
            method="cash",
            idempotency_key=f"bills-{counter[0]}",
            bill_ids=chosen,
            now=T0,
        )
    elif kind == "waive":
        bill = _nth(list(Bill.objects.order_by("id")), op[1])
        if bill is not None:
            services.bill_waive(
                actor=cashier,
                bill_id=bill.pk,
                amount=op[2],
                kind=op[3],
                reason="减免",
                approver=director,
                now=T0,
            )
    elif kind == "refund":
        services.refund_post(
            actor=cashier,
            house_id=houses[op[1]].pk,
            amount=op[2],
            reason="退款",
            approver=director,
            now=T0,
        )
    elif kind == "void":
        payment = _nth(list(Payment.objects.order_by("id")), op[1])
        if payment is not None:
            services.payment_void(
                actor=cashier, payment_id=payment.pk, reason="作废", approver=director, now=T0
            )
    elif kind == "cancel":
        bill = _nth(list(Bill.objects.order_by("id")), op[1])
        if bill is not None:
            services.bill_cancel(
                actor=director, bill_id=bill.pk, reason="开错", approver=cast.admin, now=T0
            )


def check_invariants() -> None:
    assert list(mismatches()) == []
    overdrawn = Bill.objects.filter(Q(cleared__lt=0) | Q(cleared__gt=F("amount")))
    assert not overdrawn.exists()
    negative = Account.objects.filter(Q(due__lt=0) | Q(credit__lt=0) | Q(deposit__lt=0))
    assert not negative.exists()


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=st.lists(operations, min_size=1, max_size=14))
def test_any_sequence_of_operations_keeps_balances_equal_to_entries(cast, fees, ops):
    counter = [0]
    try:
        with transaction.atomic():
            for op in ops:
                try:
                    with transaction.atomic():
                        apply(op, cast, fees, counter)
                except DomainError:
                    pass  # refused (e.g. a refund above the prepayment): nothing written
                check_invariants()
            raise _Rollback
    except _Rollback:
        pass


def test_a_bill_paid_in_parts_is_cleared_exactly(cast, fees):
    """What the properties found: SQLite added 0.10 + 0.20 as floats (0.30000000000000004),
    past the 0.30 bill's CHECK constraint, and cached -2.7e-15 for an emptied prepayment."""
    bill = services.charge_post(
        actor=cast.cashier_a,
        house_id=cast.house_a1.pk,
        fee_item_id=item(fees, cast.alpha, "debris").pk,
        amount="0.30",
        reference="r1",
        now=T0,
    )
    for key, amount in (("a", "0.10"), ("b", "0.20")):
        services.payment_post(
            actor=cast.cashier_a,
            house_id=cast.house_a1.pk,
            amount=amount,
            method="cash",
            idempotency_key=key,
            now=T0,
        )
    bill.refresh_from_db()
    assert bill.cleared == bill.amount == Decimal("0.30")
    assert not Bill.objects.filter(cleared__lt=F("amount")).exists()
    check_invariants()
