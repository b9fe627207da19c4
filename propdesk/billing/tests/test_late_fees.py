"""Late fees (滞纳金, issue 6): a run of the late-fee item for a month that is over.

The design is in `propdesk/billing/late_fees.py`. The bills are one-off charges
with chosen due dates so the sums are plain: 100.00 overdue for 30 days at
0.05 % a day is 100.00 × 0.0005 × 30 = 1.50.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from propdesk.billing import dunning, services
from propdesk.billing.models import (
    AdjustmentKind,
    AdjustmentRule,
    Bill,
    BillingRun,
    EntryKind,
    LedgerEntry,
)
from propdesk.billing.reconcile import mismatches
from propdesk.billing.tests.conftest import at, charge, item
from propdesk.core.errors import Invalid
from propdesk.testing.cast import PASSWORD
from propdesk.testing.counts import row_counts

D = Decimal
SH = ZoneInfo("Asia/Shanghai")
NOV_2 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=SH)
DEC_1 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=SH)
TABLES = ("billing.Bill", "billing.LedgerEntry", "billing.Account", "billing.BillingRun")


def pay(cast, house, amount, day, key):
    payment, _replayed = services.payment_post(
        actor=cast.admin,
        house_id=house.pk,
        amount=amount,
        method="cash",
        idempotency_key=key,
        now=at(day),
    )
    return payment


def late_fee_rule(cast, rate="0.0005", *, grace_days=0, cap=None, active=True, clause="第八条"):
    return services.adjustment_rule_set(
        actor=cast.director_a,
        community_id=cast.alpha.pk,
        kind=AdjustmentKind.LATE_FEE,
        rate=rate,
        is_active=active,
        contract_ref=clause,
        grace_days=grace_days,
        cap=cap,
    )


def bill_late_fees(cast, fees, period="2026-10", now=NOV_2):
    return services.billing_run_start(
        actor=cast.director_a,
        community_id=cast.alpha.pk,
        period=period,
        fee_item_ids=[item(fees, cast.alpha, "late_fee").pk],
        now=now,
    )


def late_fee_of(fees, house, period="2026-10"):
    return (
        Bill.objects.filter(
            house=house, fee_item=item(fees, house.community, "late_fee"), period=period
        )
        .values_list("amount", flat=True)
        .first()
    )


@pytest.fixture
def overdue(cast, fees):
    """1-1-101 owes 100.00 due 1 October 2026."""
    return charge(cast, fees, cast.house_a1, "100.00", dt.date(2026, 10, 1), "2026-10")


def test_late_fees_are_off_by_default_and_charge_nothing(cast, fees, overdue):
    rule = AdjustmentRule.objects.get(community=cast.alpha, kind=AdjustmentKind.LATE_FEE)
    assert not rule.is_active
    before = row_counts(*TABLES)
    with pytest.raises(Invalid) as err:
        bill_late_fees(cast, fees)
    assert "fee_items" in err.value.errors
    # The month's regular run never bills late fees.
    services.billing_run_start(
        actor=cast.director_a, community_id=cast.alpha.pk, period="2026-10", now=NOV_2
    )
    late = item(fees, cast.alpha, "late_fee")
    assert not Bill.objects.filter(fee_item=late).exists()
    assert row_counts("billing.BillingRun")["billing.BillingRun"] == (
        before["billing.BillingRun"] + 1
    )


def test_late_fee_rule_without_contract_clause_is_refused_naming_the_field(cast, fees):
    before = row_counts("billing.AdjustmentRule")
    with translation.override("zh-hans"), pytest.raises(Invalid) as err:
        late_fee_rule(cast, clause="  ")
    assert list(err.value.errors) == ["contract_ref"]
    assert "合同条款" in str(err.value.errors["contract_ref"])
    rule = AdjustmentRule.objects.get(community=cast.alpha, kind=AdjustmentKind.LATE_FEE)
    assert not rule.is_active
    assert row_counts("billing.AdjustmentRule") == before
    # Off, it may be saved without one; on, with one.
    late_fee_rule(cast, clause="", active=False)
    rule = late_fee_rule(cast, clause="物业服务合同第八条")
    assert rule.is_active
    assert rule.contract_ref == "物业服务合同第八条"


def test_rule_with_its_clause_removed_in_the_database_charges_nothing(cast, fees, overdue):
    late_fee_rule(cast)
    AdjustmentRule.objects.filter(kind=AdjustmentKind.LATE_FEE).update(contract_ref="")
    with pytest.raises(Invalid):
        bill_late_fees(cast, fees)
    assert late_fee_of(fees, cast.house_a1) is None


def test_bill_30_days_overdue_at_half_a_per_mille_a_day_charges_1_50(cast, fees, overdue):
    late_fee_rule(cast)
    run = bill_late_fees(cast, fees)
    bill = Bill.objects.get(house=cast.house_a1, fee_item=item(fees, cast.alpha, "late_fee"))
    # 2..31 October: 30 days × 100.00 × 0.0005 = 1.50
    assert bill.amount == D("1.50")
    assert bill.period == "2026-10"
    assert bill.due_date == dt.date(2026, 11, 2)  # due the day it is billed
    assert bill.quantity == 30
    assert bill.unit_price == D("0.0005")
    assert "30" in bill.note
    assert run.bills_created == 1
    # Through the ledger: a charge entry, the account owes it.
    entry = LedgerEntry.objects.get(bill=bill)
    assert entry.kind == EntryKind.CHARGE
    assert entry.due_delta == D("1.50")
    assert cast.house_a1.pk not in {
        b.house_id for b in Bill.objects.filter(fee_item__code="late_fee").exclude(pk=bill.pk)
    }
    assert list(mismatches()) == []


def test_state_rounding_half_up_once_per_late_fee_bill(cast, fees):
    late_fee_rule(cast)
    # 33.33 × 0.0005 × 30 = 0.49995 → 0.50 (half up, once)
    charge(cast, fees, cast.house_a1, "33.33", dt.date(2026, 10, 1), "2026-10")
    bill_late_fees(cast, fees)
    assert late_fee_of(fees, cast.house_a1) == D("0.50")


def test_part_payment_lowers_the_base_from_the_next_day(cast, fees, overdue):
    late_fee_rule(cast)
    pay(cast, cast.house_a1, "40.00", dt.date(2026, 10, 11), "part")
    bill_late_fees(cast, fees)
    # 2..11 October on 100.00 (paid on the 11th: that day is late), 12..31 on 60.00:
    # (100 × 10 + 60 × 20) × 0.0005 = 0.50 + 0.60 = 1.10
    assert late_fee_of(fees, cast.house_a1) == D("1.10")


def test_bill_paid_on_time_charges_nothing(cast, fees, overdue):
    late_fee_rule(cast)
    pay(cast, cast.house_a1, "100.00", dt.date(2026, 10, 1), "on-time")
    run = bill_late_fees(cast, fees)
    assert run.bills_created == 0
    assert late_fee_of(fees, cast.house_a1) is None


def test_bill_paid_late_in_the_month_is_charged_for_its_late_days(cast, fees, overdue):
    late_fee_rule(cast)
    pay(cast, cast.house_a1, "100.00", dt.date(2026, 10, 5), "late")
    bill_late_fees(cast, fees)
    assert late_fee_of(fees, cast.house_a1) == D("0.20")  # 2..5 October: 4 × 0.05


def test_grace_period_days_are_not_charged(cast, fees, overdue):
    late_fee_rule(cast, grace_days=15)
    charge(cast, fees, cast.house_a2, "100.00", dt.date(2026, 10, 1), "2026-10")
    pay(cast, cast.house_a2, "100.00", dt.date(2026, 10, 16), "in-grace")
    bill_late_fees(cast, fees)
    assert late_fee_of(fees, cast.house_a1) == D("0.75")  # 17..31 October: 15 days
    assert late_fee_of(fees, cast.house_a2) is None


def test_bill_made_after_its_due_date_is_late_from_the_day_it_was_made(cast, fees):
    late_fee_rule(cast)
    charge(cast, fees, cast.house_a1, "100.00", dt.date(2026, 10, 1), "x", on=dt.date(2026, 10, 21))
    bill_late_fees(cast, fees)
    assert late_fee_of(fees, cast.house_a1) == D("0.50")  # 22..31 October: 10 days


def test_rerun_charges_nothing_twice(cast, fees, overdue):
    late_fee_rule(cast)
    bill_late_fees(cast, fees)
    before = row_counts("billing.Bill", "billing.LedgerEntry", "billing.Account")
    again = bill_late_fees(cast, fees, now=NOV_2 + dt.timedelta(days=3))
    assert again.bills_created == 0
    assert row_counts("billing.Bill", "billing.LedgerEntry", "billing.Account") == before
    preview = services.billing_run_preview(
        actor=cast.director_a,
        community_id=cast.alpha.pk,
        period="2026-10",
        fee_item_ids=[item(fees, cast.alpha, "late_fee").pk],
        now=NOV_2,
    )
    assert preview["bills"] == 0
    assert preview["skipped"] == 1


def test_interrupted_late_fee_run_resumes_to_the_same_bills(cast, fees, overdue):
    late_fee_rule(cast)
    charge(cast, fees, cast.house_a2, "250.00", dt.date(2026, 10, 1), "2026-10")
    run = services.billing_run_start(
        actor=cast.director_a,
        community_id=cast.alpha.pk,
        period="2026-10",
        fee_item_ids=[item(fees, cast.alpha, "late_fee").pk],
        now=NOV_2,
        execute=False,
    )
    with pytest.raises(RuntimeError):
        services.billing_run_execute(run, chunk=1, fail_after_chunks=0)
    assert late_fee_of(fees, cast.house_a1) is None  # the failed chunk wrote nothing
    services.billing_run_execute(BillingRun.objects.get(pk=run.pk), chunk=1)
    assert late_fee_of(fees, cast.house_a1) == D("1.50")
    assert late_fee_of(fees, cast.house_a2) == D("3.75")
    assert list(mismatches()) == []


def test_no_compounding_late_fee_bills_bear_no_late_fee(cast, fees, overdue):
    late_fee_rule(cast)
    bill_late_fees(cast, fees)
    bill_late_fees(cast, fees, period="2026-11", now=DEC_1)
    # November: 30 days on the 100.00 only; the unpaid 1.50 late fee adds nothing.
    assert late_fee_of(fees, cast.house_a1, "2026-11") == D("1.50")


def test_cap_limits_the_late_fees_on_a_bill_over_all_months(cast, fees, overdue):
    late_fee_rule(cast, rate="0.01", cap="0.4")
    bill_late_fees(cast, fees)
    assert late_fee_of(fees, cast.house_a1) == D("30.00")  # 30 days × 1.00
    bill_late_fees(cast, fees, period="2026-11", now=DEC_1)
    # Would be 30.00 more; the cap is 0.4 × 100.00 = 40.00 in all.
    november = Bill.objects.get(
        house=cast.house_a1, fee_item=item(fees, cast.alpha, "late_fee"), period="2026-11"
    )
    assert november.amount == D("10.00")
    assert november.gross == D("30.00")
    assert "封顶" in november.note or "capped" in november.note


def test_cap_at_the_principal(cast, fees, overdue):
    late_fee_rule(cast, rate="0.05", cap="1")
    bill_late_fees(cast, fees)
    assert late_fee_of(fees, cast.house_a1) == D("100.00")  # 150.00 capped at the bill


def test_payment_plan_suspends_late_fees(cast, fees, overdue):
    late_fee_rule(cast)
    charge(cast, fees, cast.house_a2, "100.00", dt.date(2026, 10, 1), "2026-10")
    dunning.payment_plan_start(
        actor=cast.cashier_a,
        house_id=cast.house_a1.pk,
        instalments=[{"due": "2026-12-01", "amount": "100.00"}],
        now=at(dt.date(2026, 10, 11)),
    )
    bill_late_fees(cast, fees)
    assert late_fee_of(fees, cast.house_a1) == D("0.45")  # 2..10 October only: 9 days
    assert late_fee_of(fees, cast.house_a2) == D("1.50")  # no plan: every day


def test_open_complaint_suspends_late_fees(cast, fees, overdue):
    from propdesk.servicedesk import services as desk
    from propdesk.servicedesk.models import Category

    late_fee_rule(cast)
    desk.case_create(
        actor=cast.desk_a,
        community_id=cast.alpha.pk,
        kind="complaint",
        channel="phone",
        description="对物业费账单有异议",
        house_id=cast.house_a1.pk,
        customer_id=cast.alice.pk,
        category_id=Category.objects.filter(company__isnull=True, kind="complaint").first().pk,
        now=at(dt.date(2026, 10, 21)),
    )
    bill_late_fees(cast, fees)
    assert late_fee_of(fees, cast.house_a1) == D("0.95")  # 2..20 October: 19 days


def test_late_fees_refused_for_a_month_not_over_or_not_a_month_or_with_other_items(
    cast, fees, overdue
):
    late_fee_rule(cast)
    before = row_counts(*TABLES)
    with pytest.raises(Invalid) as err:
        bill_late_fees(cast, fees, period="2026-11", now=NOV_2)
    assert "period" in err.value.errors
    with pytest.raises(Invalid) as err:
        bill_late_fees(cast, fees, period="2026-Q3", now=NOV_2)
    assert "period" in err.value.errors
    with pytest.raises(Invalid) as err:
        services.billing_run_start(
            actor=cast.director_a,
            community_id=cast.alpha.pk,
            period="2026-10",
            fee_item_ids=[
                item(fees, cast.alpha, "late_fee").pk,
                item(fees, cast.alpha, "management").pk,
            ],
            now=NOV_2,
        )
    assert "fee_items" in err.value.errors
    assert row_counts(*TABLES) == before


def test_preview_shows_the_late_fee_lines(cast, fees, overdue):
    late_fee_rule(cast)
    before = row_counts(*TABLES)
    preview = services.billing_run_preview(
        actor=cast.director_a,
        community_id=cast.alpha.pk,
        period="2026-10",
        fee_item_ids=[item(fees, cast.alpha, "late_fee").pk],
        now=NOV_2,
    )
    assert preview["bills"] == 1
    assert preview["amount"] == D("1.50")
    assert [(line.house_id, line.amount) for line in preview["sample"]] == [
        (cast.house_a1.pk, D("1.50"))
    ]
    assert row_counts(*TABLES) == before


def test_command_bills_a_months_late_fees(cast, fees, overdue, capsys):
    from propdesk.accounts.models import User

    User.objects.create_superuser(username="root", password=PASSWORD)
    late_fee_rule(cast)
    args = ("billing", "late-fees", "--community", cast.alpha.code, "--period", "2026-10")
    with time_machine.travel(NOV_2, tick=False):
        call_command(*args)
        assert late_fee_of(fees, cast.house_a1) == D("1.50")
        call_command(*args)
    assert "0 bills" in capsys.readouterr().out


def test_statement_and_cashier_desk_show_the_late_fee_bill(client, cast, fees, overdue):
    late_fee_rule(cast)
    bill_late_fees(cast, fees)
    assert client.login(username=cast.cashier_a.username, password=PASSWORD)
    desk = client.get(reverse("console:billing:desk"), {"house": cast.house_a1.pk})
    assert desk.status_code == 200
    assert "滞纳金" in desk.content.decode()
    statement = client.get(
        reverse("console:billing:statement", args=[cast.house_a1.pk]),
        {"start": "2026-10-01", "end": "2026-11-30"},
    )
    assert statement.status_code == 200
    assert "滞纳金" in statement.content.decode()


def test_console_turns_the_late_fee_rule_on_with_clause_grace_and_cap(client, cast, fees):
    assert client.login(username=cast.director_a.username, password=PASSWORD)
    url = reverse("console:billing:rule-edit")
    page = client.get(url, {"kind": "late_fee"}).content.decode()
    assert 'name="grace_days"' in page
    assert 'name="cap"' in page
    refused = client.post(
        url, {"kind": "late_fee", "rate": "0.05", "is_active": "on", "contract_ref": ""}
    )
    assert refused.status_code == 400
    assert "合同条款" in refused.content.decode()
    assert not AdjustmentRule.objects.get(community=cast.alpha, kind="late_fee").is_active
    saved = client.post(
        url,
        {
            "kind": "late_fee",
            "rate": "0.05",
            "is_active": "on",
            "contract_ref": "物业服务合同第八条",
            "grace_days": "15",
            "cap": "100",
        },
    )
    assert saved.status_code == 302
    rule = AdjustmentRule.objects.get(community=cast.alpha, kind="late_fee")
    assert (rule.is_active, rule.rate, rule.grace_days, rule.cap) == (True, D("0.0005"), 15, 1)
    # The new-run form offers the late-fee item, unticked.
    form = client.get(reverse("console:billing:run-new"))
    late = item(fees, cast.alpha, "late_fee")
    assert f'value="{late.pk}" >' in form.content.decode()
