"""The ledger, runs, payments and receipts: the money rules of DESIGN.md and R-FEE-*."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import translation

from propdesk.billing import services
from propdesk.billing.models import Account, Bill, EntryKind, LedgerEntry, Payment, Receipt
from propdesk.billing.reconcile import mismatches
from propdesk.billing.tests.conftest import T0, bill_row, item
from propdesk.core.errors import Conflict, Invalid, NotFound
from propdesk.estates.models import HouseStatus
from propdesk.estates.services import house_update
from propdesk.testing.counts import row_counts

D = Decimal
BILLING_TABLES = (
    "billing.Bill",
    "billing.LedgerEntry",
    "billing.Payment",
    "billing.Receipt",
    "billing.Account",
)


def run(cast, period="2026-11", **kw):
    return services.billing_run_start(
        actor=cast.director_a, community_id=cast.alpha.pk, period=period, now=T0, **kw
    )


def test_run_bills_management_fee_per_square_metre_r_fee_1(cast, fees):
    r = run(cast)
    bill = Bill.objects.get(house=cast.house_a1, fee_item=item(fees, cast.alpha, "management"))
    assert bill.amount == D("223.75")  # 89.50 m² × 2.50 × 1 month
    assert bill.period == "2026-11"
    assert r.bills_created == Bill.objects.filter(run=r).count() == 4  # 2 houses × mgmt + garbage
    assert Account.objects.get(house=cast.house_a1).due == D("233.75")
    assert list(mismatches()) == []


def test_rerun_creates_nothing_twice(cast, fees):
    run(cast)
    before = row_counts(*BILLING_TABLES)
    again = run(cast)
    assert again.bills_created == 0
    assert row_counts(*BILLING_TABLES) == before


def test_a_new_account_whose_bills_fall_short_stops_the_chunk(cast, fees, on_postgres):
    """On PostgreSQL a run makes a missing house account owing all its house's lines at once,
    as no bill of the house can exist before its account. Past the services one can (here a
    bill on a customer account): then the run stops and its chunk writes nothing, rather
    than leave a balance its entries do not add up to."""
    from propdesk.billing.models import AccountKind

    assert not Account.objects.filter(house=cast.house_a1).exists()
    stray = Account.objects.create(
        community=cast.alpha, kind=AccountKind.CUSTOMER, customer=cast.alice
    )
    bill_row(
        community=cast.alpha,
        house=cast.house_a1,
        account=stray,
        fee_item=item(fees, cast.alpha, "management"),
    ).save()
    before = row_counts(*BILLING_TABLES)
    with pytest.raises(RuntimeError, match="new accounts"):
        run(cast)
    assert row_counts(*BILLING_TABLES) == before
    assert not Account.objects.filter(house=cast.house_a1).exists()


def test_custody_house_pays_70_percent_r_cst_4(cast, fees):
    cast.house_a2.status = HouseStatus.CUSTODY
    cast.house_a2.save()
    run(cast)
    bill = Bill.objects.get(house=cast.house_a2, fee_item=item(fees, cast.alpha, "management"))
    assert bill.gross == D("223.75")
    assert bill.amount == D("156.63")  # 223.75 × 0.70 = 156.625, half up


def test_status_change_mid_period_prorates_by_day(cast, fees):
    import datetime as dt

    with __import__("django.utils.timezone").utils.timezone.override("Asia/Shanghai"):
        pass
    house_update(actor=cast.admin, house_id=cast.house_a2.pk, status=HouseStatus.CUSTODY)
    from propdesk.core.models import AuditEvent

    # The change happened on 16 November: 15 days full, 15 days at 70%.
    AuditEvent.objects.filter(object_id=str(cast.house_a2.pk)).update(
        at=dt.datetime(2026, 11, 16, 1, 0, tzinfo=dt.UTC)
    )
    run(cast)
    bill = Bill.objects.get(house=cast.house_a2, fee_item=item(fees, cast.alpha, "management"))
    assert bill.amount == D("190.19")  # 223.75 × (15 + 15 × 0.7) / 30 = 190.1875


def test_payment_allocates_oldest_first_and_keeps_prepayment(cast, fees):
    run(cast, "2026-10")
    run(cast, "2026-11")
    payment, replayed = services.payment_post(
        actor=cast.cashier_a,
        house_id=cast.house_a1.pk,
        amount="500.00",
        method="cash",
        idempotency_key="k1",
        now=T0,
    )
    assert not replayed
    bills = list(
        Bill.objects.filter(house=cast.house_a1).order_by("period_start", "fee_item__sort")
    )
    assert [b.outstanding for b in bills] == [D("0"), D("0"), D("0"), D("0")]
    account = Account.objects.get(house=cast.house_a1)
    assert account.due == 0
    assert account.credit == D("500.00") - 2 * D("233.75")
    receipt = Receipt.objects.get(payment=payment)
    assert receipt.number == "SJ26-000001"
    # The prepayment pays the next month's bills as soon as they are made.
    run(cast, "2026-12")
    account.refresh_from_db()
    assert account.credit == 0
    assert account.due == D("233.75") - D("32.50")
    assert list(mismatches()) == []


def test_same_key_posts_once_and_different_body_is_refused(cast, fees):
    args = {
        "actor": cast.cashier_a,
        "house_id": cast.house_a1.pk,
        "method": "cash",
        "idempotency_key": "k",
        "now": T0,
    }
    first, _ = services.payment_post(amount="100.00", **args)
    again, replayed = services.payment_post(amount="100.00", **args)
    assert replayed
    assert again.pk == first.pk
    before = row_counts(*BILLING_TABLES)
    with pytest.raises(Conflict):
        services.payment_post(amount="200.00", **args)
    assert row_counts(*BILLING_TABLES) == before


@pytest.mark.parametrize(
    ("amount", "reason"),
    [
        ("-5", "Must be greater"),
        ("abc", "Enter a number"),
        ("10.001", "decimal places"),
        ("0", "Must be greater"),
    ],
)
def test_bad_amounts_are_refused_and_write_nothing(cast, fees, amount, reason):
    before = row_counts(*BILLING_TABLES)
    with translation.override("en"), pytest.raises(Invalid) as err:
        services.payment_post(
            actor=cast.cashier_a,
            house_id=cast.house_a1.pk,
            amount=amount,
            method="cash",
            idempotency_key="bad",
            now=T0,
        )
    assert "amount" in err.value.errors
    assert reason in str(err.value.errors["amount"][0])
    assert row_counts(*BILLING_TABLES) == before


def test_payment_to_a_house_of_another_community_is_refused(cast, fees):
    before = row_counts(*BILLING_TABLES)
    with pytest.raises(NotFound):
        services.payment_post(
            actor=cast.cashier_a,
            house_id=cast.house_b1.pk,
            amount="10",
            method="cash",
            idempotency_key="x",
            now=T0,
        )
    assert row_counts(*BILLING_TABLES) == before


def test_refund_above_prepayment_is_refused(cast, fees):
    services.payment_post(
        actor=cast.cashier_a,
        house_id=cast.house_a1.pk,
        amount="50",
        method="cash",
        idempotency_key="p",
        now=T0,
    )
    before = row_counts(*BILLING_TABLES)
    with pytest.raises(Invalid) as err:
        services.refund_post(
            actor=cast.cashier_a,
            house_id=cast.house_a1.pk,
            amount="50.01",
            reason="退款",
            approver=cast.director_a,
            now=T0,
        )
    assert "amount" in err.value.errors
    assert row_counts(*BILLING_TABLES) == before
    services.refund_post(
        actor=cast.cashier_a,
        house_id=cast.house_a1.pk,
        amount="50",
        reason="退款",
        approver=cast.director_a,
        now=T0,
    )
    assert Account.objects.get(house=cast.house_a1).credit == 0


def test_void_reverses_entries_and_keeps_the_receipt_number(cast, fees):
    run(cast)
    payment, _ = services.payment_post(
        actor=cast.cashier_a,
        house_id=cast.house_a1.pk,
        amount="233.75",
        method="cash",
        idempotency_key="v",
        now=T0,
    )
    entries_before = LedgerEntry.objects.count()
    services.payment_void(
        actor=cast.cashier_a,
        payment_id=payment.pk,
        reason="收错户",
        approver=cast.director_a,
        now=T0,
    )
    receipt = Receipt.objects.get(payment=payment)
    assert receipt.voided_at
    assert receipt.number == "SJ26-000001"
    assert LedgerEntry.objects.count() == entries_before + 3  # 2 allocations + payment reversed
    assert Account.objects.get(house=cast.house_a1).due == D("233.75")
    assert Payment.objects.get(pk=payment.pk).voided_at
    assert list(mismatches()) == []
    with pytest.raises(Invalid):
        services.payment_void(
            actor=cast.cashier_a, payment_id=payment.pk, reason="x", approver=cast.cashier_a
        )


def test_deposit_is_held_then_refunded_less_deductions_r_ren_3_r_ren_7(cast, fees):
    payment, _ = services.deposit_take(
        actor=cast.cashier_a,
        house_id=cast.house_a1.pk,
        customer_id=cast.alice.pk,
        amount="3000.00",
        method="cash",
        idempotency_key="dep",
        reference="装修 ZX26-001",
        now=T0,
    )
    account = Account.objects.get(customer=cast.alice)
    assert account.deposit == D("3000.00")
    assert Receipt.objects.filter(payment=payment).exists()
    with pytest.raises(Invalid):
        services.deposit_settle(
            actor=cast.cashier_a,
            customer_id=cast.alice.pk,
            community_id=cast.alpha.pk,
            deductions=[("3000.01", "损坏公共墙面")],
            approver=cast.director_a,
        )
    entries = services.deposit_settle(
        actor=cast.cashier_a,
        customer_id=cast.alice.pk,
        community_id=cast.alpha.pk,
        deductions=[("200.00", "损坏公共墙面")],
        approver=cast.director_a,
        now=T0,
    )
    assert [(e.kind, e.amount) for e in entries] == [
        (EntryKind.DEPOSIT_DEDUCT, D("200.00")),
        (EntryKind.DEPOSIT_OUT, D("2800.00")),
    ]
    account.refresh_from_db()
    assert account.deposit == 0
    assert list(mismatches()) == []


def test_killed_run_rerun_yields_exactly_the_bills_of_an_uninterrupted_run(cast, fees):
    from propdesk.billing.models import BillingRun, RunState
    from propdesk.estates.models import House

    # The same twelve houses in Alpha (run killed halfway) and in Beta (run straight through).
    for community, building in ((cast.alpha, cast.building_a), (cast.beta, cast.building_b)):
        for n in range(3, 13):
            House.objects.create(
                community=community,
                building=building,
                unit="1",
                room=f"{n}01",
                label=f"1-1-{n}01",
                floor=n,
                area=D("100.00") + n,
                status=HouseStatus.CUSTODY if n % 4 == 0 else HouseStatus.OCCUPIED,
            )
    House.objects.create(
        community=cast.beta,
        building=cast.building_b,
        unit="1",
        room="102",
        label="1-1-102",
        floor=1,
        area=cast.house_a2.area,
        status=cast.house_a2.status,
    )
    killed = services.billing_run_start(
        actor=cast.director_a, community_id=cast.alpha.pk, period="2026-11", execute=False, now=T0
    )
    with pytest.raises(RuntimeError):
        services.billing_run_execute(killed, chunk=4, fail_after_chunks=1)
    killed.refresh_from_db()
    assert killed.state == RunState.FAILED
    assert killed.houses_done == 4
    assert 0 < Bill.objects.filter(community=cast.alpha).count() < 24
    services.billing_run_resume(actor=cast.director_a, run_id=killed.pk)
    services.billing_run_start(
        actor=cast.admin, community_id=cast.beta.pk, period="2026-11", now=T0
    )

    def bills(community):
        return sorted(
            Bill.objects.filter(community=community).values_list(
                "house__label", "fee_item__code", "amount"
            )
        )

    assert len(bills(cast.alpha)) == 24
    assert bills(cast.alpha) == bills(cast.beta)
    assert BillingRun.objects.get(pk=killed.pk).state == RunState.DONE
    assert list(mismatches()) == []


def test_statement_and_receipt_lines_come_from_entries(cast, fees):
    import datetime as dt

    from propdesk.billing import selectors

    run(cast)
    payment, _ = services.payment_post(
        actor=cast.cashier_a,
        house_id=cast.house_a1.pk,
        amount="300.00",
        method="wechat",
        external_ref="wx-1",
        idempotency_key="s",
        now=T0,
    )
    st = selectors.statement(
        cast.cashier_a, cast.house_a1.pk, dt.date(2026, 11, 1), dt.date(2026, 11, 30)
    )
    assert st.opening == 0
    assert st.charged == D("233.75")
    assert st.paid == D("300.00")
    assert st.closing == D("233.75") - D("300.00")
    lines = selectors.receipt_lines(payment.receipt)
    assert [line["amount"] for line in lines] == [D("223.75"), D("10.00"), D("66.25")]
    summary = selectors.house_billing(cast.cashier_a, cast.house_a1.pk)
    assert summary.balance == D("-66.25")


def test_reconcile_finds_a_community_copy_that_is_not_the_house_or_account_one(cast, fees):
    """Bill and entry communities carry no database constraint (billing/0006): reconcile
    checks each is its house's / its account's, per community and for the whole group."""
    run(cast)
    bill = Bill.objects.filter(house=cast.house_a1).first()
    entry = LedgerEntry.objects.filter(bill=bill, kind=EntryKind.CHARGE).get()
    assert list(mismatches()) == []
    Bill.objects.filter(pk=bill.pk).update(community=cast.beta)
    LedgerEntry.objects.filter(pk=entry.pk).update(community=cast.beta)
    found = {(m.kind, m.ref, m.expected, m.found) for m in mismatches()}
    wrong = {
        ("bill.community", f"#{bill.pk}", str(cast.alpha.pk), str(cast.beta.pk)),
        ("entry.community", f"#{entry.pk}", str(cast.alpha.pk), str(cast.beta.pk)),
    }
    assert found == wrong
    assert {(m.kind, m.ref, m.expected, m.found) for m in mismatches(cast.alpha.pk)} >= wrong
    assert not [m for m in mismatches(cast.beta.pk) if m.kind.endswith(".community")]
    assert "should be" in str(next(m for m in mismatches() if m.kind == "bill.community"))


def test_a_runs_charges_are_booked_as_of_its_start_even_when_resumed_later(cast, fees):
    """Chunks written after a failure (or by a worker hours later) carry the run's start,
    not the wall clock: the month's statement shows the whole run (T0 is in November)."""
    from propdesk.billing import selectors

    started = services.billing_run_start(
        actor=cast.director_a, community_id=cast.alpha.pk, period="2026-11", execute=False, now=T0
    )
    with pytest.raises(RuntimeError):
        services.billing_run_execute(started, chunk=1, fail_after_chunks=1)
    services.billing_run_resume(actor=cast.director_a, run_id=started.pk)
    charges = LedgerEntry.objects.filter(kind=EntryKind.CHARGE, bill__run=started)
    assert charges.count() == 4
    assert set(charges.values_list("at", flat=True)) == {T0}
    for house in (cast.house_a1, cast.house_a2):
        st = selectors.statement(
            cast.cashier_a, house.pk, T0.date().replace(day=1), T0.date().replace(day=30)
        )
        assert (
            st.charged
            == Bill.objects.filter(house=house, run=started).aggregate(s=Sum("amount"))["s"]
        )
