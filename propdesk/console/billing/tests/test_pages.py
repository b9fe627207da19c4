"""Billing console: every page's authorization matrix, the cashier's month of work through
the forms, and bad input that shows the field's error and writes nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from propdesk.billing import services
from propdesk.billing.models import (
    Account,
    AdjustmentKind,
    AdjustmentRule,
    Bill,
    BillingRun,
    EntryKind,
    FeeItem,
    LedgerEntry,
    Payment,
    PriceStandard,
    Receipt,
    RunState,
)
from propdesk.billing.reconcile import mismatches
from propdesk.billing.tests.conftest import first_receipt, item
from propdesk.jobs.models import Task
from propdesk.jobs.worker import run_until_idle
from propdesk.testing.counts import row_counts

from .conftest import BILLING_TABLES, login, pay

pytestmark = pytest.mark.django_db
D = Decimal


def house_pages(cast, bill, payment):
    """Every billing page that belongs to something of Alpha."""
    a1 = cast.house_a1.pk
    return [
        f"{reverse('console:billing:desk')}?house={a1}",
        reverse("console:billing:statement", args=[a1]),
        reverse("console:billing:charge", args=[a1]),
        reverse("console:billing:refund", args=[a1]),
        reverse("console:billing:bill-waive", args=[bill.pk]),
        reverse("console:billing:receipt", args=[payment.receipt.pk]),
        reverse("console:billing:payment-void", args=[payment.pk]),
    ]


def community_pages():
    return [
        reverse("console:billing:desk"),
        reverse("console:billing:payments"),
        reverse("console:billing:run-list"),
        reverse("console:billing:run-new"),
        reverse("console:billing:fees"),
        reverse("console:billing:fee-item-new"),
        reverse("console:billing:standard-new"),
        reverse("console:billing:rule-edit"),
    ]


@pytest.fixture
def world(cast, billed):
    bill = Bill.objects.filter(house=cast.house_a1).order_by("period_start", "id").first()
    payment = pay(cast, amount="50.00")
    return {"bill": bill, "payment": payment}


# --- who may open what -----------------------------------------------------------------


def test_anonymous_is_sent_to_login(client, cast, world):
    for url in [*community_pages(), *house_pages(cast, **world)]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert reverse("console:login") in response["Location"]


def test_technician_and_owner_get_403_everywhere(client, cast, world):
    for user in (cast.tech_a, cast.owner_alice):
        login(client, user)
        for url in [*community_pages(), *house_pages(cast, **world)]:
            assert client.get(url).status_code == 403, (user, url)


def test_staff_of_another_community_gets_404_for_alphas_things(client, cast, world, cashier_b):
    # desk_b may view billing; cashier_b may also collect: neither finds anything of Alpha.
    login(client, cast.desk_b)
    view_only = [
        reverse("console:billing:statement", args=[cast.house_a1.pk]),
        reverse("console:billing:receipt", args=[world["payment"].receipt.pk]),
    ]
    for url in view_only:
        assert client.get(url).status_code == 404, url
    login(client, cashier_b)
    for url in house_pages(cast, **world):
        assert client.get(url).status_code == 404, url
    before = row_counts(*BILLING_TABLES)
    response = client.post(
        reverse("console:billing:pay"),
        {"house": cast.house_a1.pk, "amount": "10", "method": "cash", "idempotency_key": "x"},
    )
    assert response.status_code == 404
    assert (
        client.post(
            reverse("console:billing:receipt-print", args=[world["payment"].receipt.pk])
        ).status_code
        == 404
    )
    assert row_counts(*BILLING_TABLES) == before


def test_desk_agent_may_view_but_not_collect_nor_manage(client, cast, world):
    login(client, cast.desk_a)
    assert client.get(reverse("console:billing:fees")).status_code == 200
    assert (
        client.get(reverse("console:billing:statement", args=[cast.house_a1.pk])).status_code == 200
    )
    assert client.get(reverse("console:billing:payments")).status_code == 200
    before = row_counts(*BILLING_TABLES)
    assert client.get(reverse("console:billing:desk")).status_code == 403
    assert (
        client.post(
            reverse("console:billing:pay"),
            {"house": cast.house_a1.pk, "amount": "10", "method": "cash", "idempotency_key": "y"},
        ).status_code
        == 403
    )
    assert client.get(reverse("console:billing:run-new")).status_code == 403
    assert client.post(reverse("console:billing:fee-item-new"), {"code": "x"}).status_code == 403
    assert row_counts(*BILLING_TABLES) == before


def test_cashier_may_not_start_runs_or_change_standards(client, cast, world):
    login(client, cast.cashier_a)
    before = row_counts(*BILLING_TABLES)
    assert client.get(reverse("console:billing:run-new")).status_code == 403
    assert (
        client.post(
            reverse("console:billing:run-start"),
            {"period": "2026-12", "timing": "prepaid"},
        ).status_code
        == 403
    )
    assert (
        client.post(
            reverse("console:billing:rule-edit"), {"kind": "custody", "rate": "50"}
        ).status_code
        == 403
    )
    assert row_counts(*BILLING_TABLES) == before


def test_nav_shows_billing_by_permission(client, cast, world):
    login(client, cast.cashier_a)
    page = client.get(reverse("console:home")).content.decode()
    assert reverse("console:billing:desk") in page
    assert reverse("console:billing:run-list") not in page
    login(client, cast.director_a)
    page = client.get(reverse("console:home")).content.decode()
    assert reverse("console:billing:run-list") in page
    assert reverse("console:billing:fees") in page
    login(client, cast.tech_a)
    page = client.get(reverse("console:home")).content.decode()
    assert "/billing/" not in page


# --- the cashier desk ----------------------------------------------------------------------


def test_desk_shows_open_bills_oldest_first_with_the_payment_form_filled(client, cast, billed):
    login(client, cast.cashier_a)
    response = client.get(f"{reverse('console:billing:desk')}?house={cast.house_a1.pk}")
    assert response.status_code == 200
    ctx = response.context
    assert [b.period for b in ctx["hb"].open_bills] == ["2026-10", "2026-10", "2026-11", "2026-11"]
    assert ctx["form"]["amount"] == "467.50"
    assert ctx["form"]["payer_name"] == "张伟"
    assert ctx["form"]["method"] == "cash"
    assert len(ctx["form"]["bills"]) == 4
    page = response.content.decode()
    assert f'name="idempotency_key" value="{ctx["form"]["idempotency_key"]}"' in page
    assert page.count('name="bill"') == 4
    assert page.count("checked") >= 4
    # Each drawing of the form carries a new key.
    again = client.get(f"{reverse('console:billing:desk')}?house={cast.house_a1.pk}")
    assert again.context["form"]["idempotency_key"] != ctx["form"]["idempotency_key"]


def test_desk_search_reuses_the_one_box_and_links_hits_to_the_desk(client, cast, billed):
    login(client, cast.cashier_a)
    response = client.get(
        reverse("console:search"), {"q": "1-1-101", "pick": "cashier"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert f"{reverse('console:billing:desk')}?house={cast.house_a1.pk}" in page
    assert reverse("console:customer-detail", args=[cast.alice.pk]) not in page
    # Without the pick the top box still links to the customer.
    top = client.get(reverse("console:search"), {"q": "1-1-101"}, HTTP_HX_REQUEST="true")
    assert reverse("console:customer-detail", args=[cast.alice.pk]) in top.content.decode()
    # Enter without JavaScript: one house found goes straight to it.
    typed = client.get(reverse("console:billing:desk"), {"q": "1-1-101"})
    assert typed.status_code == 302
    assert typed["Location"].endswith(f"?house={cast.house_a1.pk}")


def pay_form(cast, **overrides):
    data = {
        "house": cast.house_a1.pk,
        "amount": "467.50",
        "method": "cash",
        "external_ref": "",
        "payer_name": "张伟",
        "idempotency_key": "form-key-1",
    }
    data.update(overrides)
    return data


def test_payment_posts_once_however_often_the_form_is_sent_r_fee_2(client, cast, billed):
    login(client, cast.cashier_a)
    url = reverse("console:billing:pay")
    first = client.post(url, pay_form(cast))
    assert first.status_code == 302
    payment = Payment.objects.get()
    assert first["Location"] == reverse("console:billing:receipt", args=[payment.receipt.pk])
    before = row_counts(*BILLING_TABLES)
    second = client.post(url, pay_form(cast))
    assert second["Location"] == first["Location"]
    assert row_counts(*BILLING_TABLES) == before
    assert Account.objects.get(house=cast.house_a1).due == 0
    assert payment.receipt.number == first_receipt()
    assert list(mismatches()) == []


def test_payment_to_chosen_bills_only(client, cast, billed):
    login(client, cast.cashier_a)
    november = list(Bill.objects.filter(house=cast.house_a1, period="2026-11"))
    data = pay_form(cast, amount="233.75")
    data["bill"] = [b.pk for b in november]
    assert client.post(reverse("console:billing:pay"), data).status_code == 302
    for b in november:
        b.refresh_from_db()
        assert b.outstanding == 0
    assert Bill.objects.filter(house=cast.house_a1, period="2026-10", cleared=0).count() == 2


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount": "abc"}, "amount"),
        ({"amount": "-5"}, "amount"),
        ({"amount": "10.001"}, "amount"),
        ({"amount": ""}, "amount"),
        ({"method": "bitcoin"}, "method"),
        ({"method": "wechat", "external_ref": ""}, "external_ref"),
        ({"method": "card", "external_ref": ""}, "external_ref"),
        ({"idempotency_key": ""}, "idempotency_key"),
    ],
)
def test_bad_payment_shows_the_field_error_and_writes_nothing(
    client, cast, billed, overrides, field
):
    login(client, cast.cashier_a)
    before = row_counts(*BILLING_TABLES)
    response = client.post(reverse("console:billing:pay"), pay_form(cast, **overrides))
    assert response.status_code == 400
    assert field in response.context["out"].errors
    page = response.content.decode()
    assert 'class="err"' in page
    # The form comes back as typed, with the same key (nothing was posted under it).
    assert (
        response.context["form"]["idempotency_key"]
        == pay_form(cast, **overrides)["idempotency_key"]
    )
    assert row_counts(*BILLING_TABLES) == before


def test_paying_a_bill_of_another_house_is_refused(client, cast, billed):
    login(client, cast.cashier_a)
    other = Bill.objects.filter(house=cast.house_a2).first()
    before = row_counts(*BILLING_TABLES)
    data = pay_form(cast)
    data["bill"] = [other.pk]
    response = client.post(reverse("console:billing:pay"), data)
    assert response.status_code == 400
    assert "bill_ids" in response.context["out"].errors
    assert row_counts(*BILLING_TABLES) == before


def test_same_key_with_another_amount_is_refused_after_going_back(client, cast, billed):
    login(client, cast.cashier_a)
    client.post(reverse("console:billing:pay"), pay_form(cast))
    before = row_counts(*BILLING_TABLES)
    response = client.post(reverse("console:billing:pay"), pay_form(cast, amount="100.00"))
    assert response.status_code == 400
    assert response.context["out"].message
    assert row_counts(*BILLING_TABLES) == before


def test_receipt_page_shows_number_lines_and_amount_in_words(client, cast, billed):
    payment = pay(cast, amount="467.50")
    login(client, cast.cashier_a)
    page = client.get(reverse("console:billing:receipt", args=[payment.receipt.pk]))
    text = page.content.decode()
    assert first_receipt() in text
    assert "肆佰陆拾柒元伍角" in text
    assert len(page.context["lines"]) == 4
    assert reverse("console:billing:receipt-print", args=[payment.receipt.pk]) in text


def test_print_counts_and_serves_a_pdf(client, cast, billed):
    payment = pay(cast)
    login(client, cast.cashier_a)
    url = reverse("console:billing:receipt-print", args=[payment.receipt.pk])
    assert client.get(url).status_code == 405  # printing counts, so it is a POST
    response = client.post(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    client.post(url)
    assert Receipt.objects.get(pk=payment.receipt.pk).print_count == 2


# --- the day's payments and corrections --------------------------------------------------------


def test_payments_of_the_day_totals_by_method_without_voids(client, cast, billed, cashier_b):
    pay(cast, amount="100.00", key="a")
    pay(cast, amount="50.00", key="b", method="wechat", external_ref="wx-1")
    pay(cast, amount="20.00", key="c", method="wechat", external_ref="wx-2")
    voided = pay(cast, amount="5.00", key="d")
    services.payment_void(
        actor=cast.cashier_a, payment_id=voided.pk, reason="收错", approver=cast.director_a
    )
    services.payment_post(
        actor=cast.admin,
        house_id=cast.house_a2.pk,
        amount="1.00",
        method="cash",
        idempotency_key="e",
    )
    login(client, cast.cashier_a)
    response = client.get(reverse("console:billing:payments"))
    assert response.status_code == 200
    totals = {t["method"]: (t["count"], t["amount"]) for t in response.context["totals"]}
    assert sorted(totals.values()) == [(1, D("100.00")), (2, D("70.00"))]
    assert response.context["grand"] == D("170.00")
    assert response.context["voided"] == 1
    assert len(response.context["rows"]) == 4  # mine only
    everyone = client.get(reverse("console:billing:payments"), {"all": "1"})
    assert everyone.context["grand"] == D("171.00")
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    assert client.get(reverse("console:billing:payments"), {"day": yesterday}).context["grand"] == 0


def void_form(cast, **overrides):
    data = {
        "reason": "收错户",
        "approver": cast.director_a.pk,
        "approver_password": "demo-pass-123",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"approver_password": "wrong"}, "approver_password"),
        ({"approver_password": ""}, "approver_password"),
        ({"approver": ""}, "approver"),
        ({"approver": "cashier_a"}, "approver"),  # yourself: not offered, refused
        ({"approver": "desk_a"}, "approver"),  # may not approve billing corrections
        ({"reason": ""}, "reason"),
    ],
)
def test_void_needs_a_reason_and_an_approver_with_password(client, cast, billed, overrides, field):
    payment = pay(cast, amount="467.50")
    if overrides.get("approver") in ("cashier_a", "desk_a"):
        overrides = {**overrides, "approver": getattr(cast, overrides["approver"]).pk}
    login(client, cast.cashier_a)
    url = reverse("console:billing:payment-void", args=[payment.pk])
    page = client.get(url)
    approvers = [u.username for u in page.context["approvers"]]
    assert "director_a" in approvers
    assert "cashier_a" not in approvers
    assert "desk_a" not in approvers
    before = row_counts(*BILLING_TABLES)
    response = client.post(url, void_form(cast, **overrides))
    assert response.status_code == 400
    assert field in response.context["out"].errors
    assert row_counts(*BILLING_TABLES) == before
    assert not Payment.objects.get(pk=payment.pk).voided_at


def test_void_with_approval_reverses_and_marks_the_receipt(client, cast, billed):
    payment = pay(cast, amount="467.50")
    login(client, cast.cashier_a)
    response = client.post(
        reverse("console:billing:payment-void", args=[payment.pk]), void_form(cast)
    )
    assert response.status_code == 302
    receipt = Receipt.objects.get(pk=payment.receipt.pk)
    assert receipt.voided_at
    assert receipt.void_reason == "收错户"
    assert receipt.number == first_receipt()
    assert Account.objects.get(house=cast.house_a1).due == D("467.50")
    entry = LedgerEntry.objects.filter(kind=EntryKind.REVERSAL).first()
    assert entry.approver == cast.director_a
    assert list(mismatches()) == []


def test_waive_part_of_a_bill_with_approval(client, cast, billed):
    bill = Bill.objects.filter(house=cast.house_a1).order_by("period_start", "id").first()
    login(client, cast.cashier_a)
    url = reverse("console:billing:bill-waive", args=[bill.pk])
    assert client.get(url).context["form"]["amount"] == "223.75"
    before = row_counts(*BILLING_TABLES)
    too_much = client.post(url, void_form(cast, amount="223.76", kind="waiver"))
    assert too_much.status_code == 400
    assert "amount" in too_much.context["out"].errors
    bad_kind = client.post(url, void_form(cast, amount="10", kind="refund"))
    assert "kind" in bad_kind.context["out"].errors
    assert row_counts(*BILLING_TABLES) == before
    ok = client.post(url, void_form(cast, amount="20.00", kind="discount", reason="老人优惠"))
    assert ok.status_code == 302
    bill.refresh_from_db()
    assert bill.outstanding == D("203.75")
    assert LedgerEntry.objects.get(kind=EntryKind.DISCOUNT).approver == cast.director_a


def test_refund_of_prepayment_never_above_what_is_held(client, cast, billed):
    pay(cast, amount="500.00")  # 467.50 pays the bills, 32.50 is prepaid
    login(client, cast.cashier_a)
    url = reverse("console:billing:refund", args=[cast.house_a1.pk])
    assert client.get(url).context["form"]["amount"] == "32.50"
    before = row_counts(*BILLING_TABLES)
    response = client.post(url, void_form(cast, amount="32.51", reason="业主要求退款"))
    assert response.status_code == 400
    assert "amount" in response.context["out"].errors
    assert row_counts(*BILLING_TABLES) == before
    assert (
        client.post(url, void_form(cast, amount="32.50", reason="业主要求退款")).status_code == 302
    )
    assert Account.objects.get(house=cast.house_a1).credit == 0


def test_one_off_debris_charge_at_the_standard_price(client, cast, billed):
    login(client, cast.cashier_a)
    url = reverse("console:billing:charge", args=[cast.house_a1.pk])
    form = client.get(url).context
    names = [i.name for i, _price in form["items"]]
    assert "建筑垃圾清运费" in names
    debris = item(billed, cast.alpha, "debris")
    assert {i.pk: p for i, p in form["items"]}[debris.pk] == "300.00"
    data = {"fee_item": debris.pk, "amount": "300.00", "reference": "2026-11-装修", "note": ""}
    assert client.post(url, data).status_code == 302
    bill = Bill.objects.get(house=cast.house_a1, fee_item=debris)
    assert bill.amount == D("300.00")
    before = row_counts(*BILLING_TABLES)
    again = client.post(url, data)
    assert again.status_code == 400
    assert again.context["out"].message  # already billed under this reference
    for bad, field in (
        ({"amount": "-1"}, "amount"),
        ({"reference": ""}, "reference"),
        ({"fee_item": ""}, "fee_item"),
    ):
        response = client.post(url, {**data, "reference": "other", **bad})
        assert response.status_code == 400
        assert field in response.context["out"].errors, bad
    deposit = item(billed, cast.alpha, "renovation_deposit")
    response = client.post(url, {**data, "reference": "dep", "fee_item": deposit.pk})
    assert "fee_item" in response.context["out"].errors
    assert row_counts(*BILLING_TABLES) == before


def test_statement_for_a_date_range(client, cast, billed):
    pay(cast, amount="300.00", method="alipay", external_ref="ali-1")
    login(client, cast.cashier_a)
    url = reverse("console:billing:statement", args=[cast.house_a1.pk])
    today = timezone.localdate()
    response = client.get(url, {"start": "2020-01-01", "end": today.isoformat()})
    st = response.context["st"]
    assert st.opening == 0
    assert st.charged == D("467.50")
    assert st.paid == D("300.00")
    assert st.closing == D("167.50")
    assert first_receipt() in response.content.decode()
    tomorrow = (today + dt.timedelta(days=1)).isoformat()
    later = client.get(url, {"start": tomorrow, "end": tomorrow})
    assert later.context["st"].opening == D("167.50")
    bad = client.get(url, {"start": "yesterday"})
    assert "start" in bad.context["out"].errors


def test_house_and_customer_pages_show_the_billing_panel_to_billing_staff(client, cast, billed):
    login(client, cast.desk_a)
    house = client.get(reverse("console:house-detail", args=[cast.house_a1.pk]))
    rows = house.context["billing"]["rows"]
    assert rows[0].owed == D("467.50")
    assert rows[0].overdue == D("467.50")  # due 1 Oct and 1 Nov 2026
    page = house.content.decode()
    assert 'id="billing-panel"' in page
    assert reverse("console:billing:statement", args=[cast.house_a1.pk]) in page
    assert reverse("console:billing:desk") not in page.split('id="billing-panel"')[1]
    customer = client.get(reverse("console:customer-detail", args=[cast.alice.pk]))
    assert customer.context["billing"]["rows"][0].house == cast.house_a1
    login(client, cast.cashier_a)
    page = client.get(reverse("console:customer-detail", args=[cast.alice.pk])).content.decode()
    assert f"{reverse('console:billing:desk')}?house={cast.house_a1.pk}" in page
    login(client, cast.tech_a)
    house = client.get(reverse("console:house-detail", args=[cast.house_a1.pk]))
    assert house.context["billing"] is None
    assert 'id="billing-panel"' not in house.content.decode()


# --- billing runs ------------------------------------------------------------------------------


def test_new_run_preview_writes_nothing_then_confirm_queues_it_for_the_worker(client, cast, fees):
    cast.house_a2.status = "custody"
    cast.house_a2.save()
    login(client, cast.director_a)
    form = client.get(reverse("console:billing:run-new")).context["form"]
    assert len(form["fee_items"]) == 5  # management, parking, garbage, water, electricity
    data = {"period": "2026-12", "timing": "prepaid", "fee_items": form["fee_items"]}
    before = row_counts(*BILLING_TABLES)
    preview = client.post(reverse("console:billing:run-new"), data)
    assert preview.status_code == 200
    p = preview.context["preview"]
    assert p["bills"] == 4
    assert p["amount"] == D("223.75") + D("156.63") + D("20.00")
    notes = [line.note for line, _name in preview.context["sample"]]
    assert any("70" in n for n in notes)  # custody 70% (R-CST-4) shown in the sample
    assert row_counts(*BILLING_TABLES) == before
    started = client.post(reverse("console:billing:run-start"), data)
    run = BillingRun.objects.get()
    assert started["Location"] == reverse("console:billing:run-detail", args=[run.pk])
    assert run.state == RunState.RUNNING
    assert run.houses_done == 0
    assert Bill.objects.count() == 0  # the request did not bill: the worker does
    assert Task.objects.filter(name="billing.run").count() == 1
    page = client.get(reverse("console:billing:run-detail", args=[run.pk]))
    assert page.context["polling"]
    assert 'hx-trigger="every 1s"' in page.content.decode()
    run_until_idle()
    run.refresh_from_db()
    assert run.state == RunState.DONE
    assert run.bills_created == 4
    assert Bill.objects.filter(run=run).count() == 4
    progress = client.get(reverse("console:billing:run-progress", args=[run.pk]))
    assert not progress.context["polling"]
    assert "every 1s" not in progress.content.decode()
    assert progress.context["percent"] == 100
    assert list(mismatches()) == []


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"period": "2026-13"}, "period"),
        ({"period": "next month"}, "period"),
        ({"timing": "later"}, "timing"),
        ({"fee_items": []}, "fee_items"),
        ({"fee_items": ["999999"]}, "fee_items"),
    ],
)
def test_bad_run_form_shows_the_field_error_and_writes_nothing(client, cast, fees, data, field):
    login(client, cast.director_a)
    base = {
        "period": "2026-12",
        "timing": "prepaid",
        "fee_items": [item(fees, cast.alpha, "management").pk],
    }
    before = row_counts(*BILLING_TABLES)
    for url in ("console:billing:run-new", "console:billing:run-start"):
        response = client.post(reverse(url), {**base, **data})
        assert response.status_code == 400, url
        assert field in response.context["out"].errors, url
    assert row_counts(*BILLING_TABLES) == before


def test_run_of_another_community_item_is_refused(client, cast, fees):
    login(client, cast.director_a)
    before = row_counts(*BILLING_TABLES)
    response = client.post(
        reverse("console:billing:run-start"),
        {
            "period": "2026-12",
            "timing": "prepaid",
            "fee_items": [item(fees, cast.beta, "management").pk],
        },
    )
    assert response.status_code == 400
    assert row_counts(*BILLING_TABLES) == before


def test_failed_run_shows_resume_and_resumes_in_the_background(client, cast, fees):
    run = services.billing_run_start(
        actor=cast.director_a, community_id=cast.alpha.pk, period="2026-12", execute=False
    )
    BillingRun.objects.filter(pk=run.pk).update(state=RunState.FAILED, error="disk full")
    login(client, cast.director_a)
    page = client.get(reverse("console:billing:run-detail", args=[run.pk]))
    assert page.context["can_resume"]
    assert "disk full" in page.content.decode()
    login(client, cast.cashier_a)
    assert not client.get(reverse("console:billing:run-detail", args=[run.pk])).context[
        "can_resume"
    ]
    assert client.post(reverse("console:billing:run-resume", args=[run.pk])).status_code == 403
    login(client, cast.director_a)
    response = client.post(reverse("console:billing:run-resume", args=[run.pk]))
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.state == RunState.RUNNING
    assert run.error == ""
    run_until_idle()
    run.refresh_from_db()
    assert run.state == RunState.DONE
    assert Bill.objects.filter(run=run).count() == 4


def test_a_run_left_running_without_a_worker_task_can_be_resumed(client, cast, fees):
    run = services.billing_run_start(
        actor=cast.director_a, community_id=cast.alpha.pk, period="2026-12", execute=False
    )
    login(client, cast.director_a)
    page = client.get(reverse("console:billing:run-detail", args=[run.pk]))
    assert not page.context["queued"]
    assert page.context["can_resume"]


def test_worker_bills_chunk_by_chunk_and_a_failing_chunk_stops_the_run(cast, fees, monkeypatch):
    from propdesk.billing import runs

    monkeypatch.setattr(runs, "CHUNK", 1)
    run = services.billing_run_start(
        actor=cast.director_a, community_id=cast.alpha.pk, period="2026-12", background=True
    )
    calls = []
    real = runs._write_chunk

    def flaky(run, batch, *args):
        calls.append(batch[0]["id"])
        if len(calls) == 2:
            raise RuntimeError("database went away")
        return real(run, batch, *args)

    monkeypatch.setattr(runs, "_write_chunk", flaky)
    run_until_idle()
    run.refresh_from_db()
    assert run.state == RunState.FAILED
    assert "database went away" in run.error
    assert run.houses_done == 1
    services.billing_run_resume(actor=cast.director_a, run_id=run.pk, background=True)
    run_until_idle()
    run.refresh_from_db()
    assert run.state == RunState.DONE
    assert run.houses_done == 2
    assert Bill.objects.filter(run=run).count() == 4
    assert list(mismatches()) == []


# --- fee items, standards, rules -------------------------------------------------------------


def test_fee_standards_page_lists_items_standards_and_rules(client, cast, fees):
    login(client, cast.cashier_a)
    response = client.get(reverse("console:billing:fees"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "建筑垃圾清运费" in page
    assert "70%" in page  # custody R-CST-4
    assert reverse("console:billing:standard-new") not in page  # cashier: read only
    assert {i.community_id for i in response.context["items"]} == {cast.alpha.pk}


def test_add_fee_item(client, cast, fees):
    login(client, cast.director_a)
    url = reverse("console:billing:fee-item-new")
    data = {"code": "pet", "name": "宠物管理费", "kind": "one_off", "meter_kind": "", "sort": "80"}
    assert client.post(url, data).status_code == 302
    assert FeeItem.objects.get(community=cast.alpha, code="pet").name == "宠物管理费"
    before = row_counts(*BILLING_TABLES)
    for bad, field in (
        ({}, "code"),  # the same code twice
        ({"code": "x1", "name": ""}, "name"),
        ({"code": "x2", "kind": "gold"}, "kind"),
        ({"code": "x3", "kind": "utility"}, "meter_kind"),
        ({"code": "x4", "sort": "-1"}, "sort"),
    ):
        response = client.post(url, {**data, **bad})
        assert response.status_code == 400
        assert field in response.context["out"].errors, bad
    assert row_counts(*BILLING_TABLES) == before


def test_new_price_standard_from_a_month_ends_the_old_one_r_fee_1(client, cast, fees):
    mgmt = item(fees, cast.alpha, "management")
    login(client, cast.director_a)
    url = reverse("console:billing:standard-new")
    data = {
        "fee_item": mgmt.pk,
        "house_kind": "residence",
        "basis": "per_area_month",
        "unit_price": "2.80",
        "valid_from": "2027-01",
        "approval_ref": "价审〔2026〕12号",
    }
    assert client.post(url, data).status_code == 302
    old, new = PriceStandard.objects.filter(fee_item=mgmt, house_kind="residence").order_by(
        "valid_from"
    )
    assert new.unit_price == D("2.80")
    assert new.valid_from == dt.date(2027, 1, 1)
    assert old.valid_to == dt.date(2026, 12, 31)
    before = row_counts(*BILLING_TABLES)
    for bad, field in (
        ({"valid_from": "2027-02-15"}, "valid_from"),
        ({"valid_from": "2027-01"}, "valid_from"),  # already starts then
        ({"valid_from": "2027-03", "unit_price": "-1"}, "unit_price"),
        ({"valid_from": "2027-03", "unit_price": "abc"}, "unit_price"),
        ({"valid_from": "2027-03", "basis": "per_unit"}, "basis"),
        ({"valid_from": "2027-03", "fee_item": ""}, "fee_item"),
    ):
        response = client.post(url, {**data, **bad})
        assert response.status_code == 400, bad
        assert field in response.context["out"].errors, bad
    assert row_counts(*BILLING_TABLES) == before


def test_change_custody_rule_and_late_fee_needs_a_contract_clause_r_cst_4(client, cast, fees):
    login(client, cast.director_a)
    url = reverse("console:billing:rule-edit")
    form = client.get(url, {"kind": "custody"}).context["form"]
    assert form["rate"] == "70"
    assert client.post(url, {"kind": "custody", "rate": "75", "is_active": "on"}).status_code == 302
    rule = AdjustmentRule.objects.get(community=cast.alpha, kind=AdjustmentKind.CUSTODY)
    assert rule.rate == D("0.75")
    before = row_counts(*BILLING_TABLES)
    late = client.post(url, {"kind": "late_fee", "rate": "0.05", "is_active": "on"})
    assert late.status_code == 400
    assert "contract_ref" in late.context["out"].errors
    for bad in ("120", "-1", "abc", ""):
        response = client.post(url, {"kind": "vacancy", "rate": bad, "is_active": "on"})
        assert response.status_code == 400, bad
        assert "rate" in response.context["out"].errors, bad
    assert row_counts(*BILLING_TABLES) == before
    ok = client.post(
        url,
        {
            "kind": "late_fee",
            "rate": "0.05",
            "is_active": "on",
            "contract_ref": "物业服务合同第十二条",
        },
    )
    assert ok.status_code == 302
    assert AdjustmentRule.objects.get(community=cast.alpha, kind=AdjustmentKind.LATE_FEE).rate == D(
        "0.0005"
    )


def test_desk_page_query_count_does_not_grow_with_bills(
    client, cast, billed, django_assert_max_num_queries
):
    login(client, cast.cashier_a)
    url = f"{reverse('console:billing:desk')}?house={cast.house_a1.pk}"
    client.get(url)
    with django_assert_max_num_queries(30) as small:
        client.get(url)
    for period in ("2026-12", "2027-01", "2027-02"):
        services.billing_run_start(actor=cast.director_a, community_id=cast.alpha.pk, period=period)
    for n in range(3):
        pay(cast, amount="1.00", key=f"q{n}")
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(url)
