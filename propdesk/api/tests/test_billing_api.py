"""API of billing: authorization matrix, idempotent payments, approvals, bad input, online pay."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone, translation
from rest_framework.test import APIClient

from propdesk.billing import services
from propdesk.billing.fake_gateway import FakeGatewayServer
from propdesk.billing.models import Account, Bill, BillingRun, FeeItem, LedgerEntry, Payment
from propdesk.billing.reconcile import mismatches
from propdesk.billing.seeds import seed_community
from propdesk.billing.tests.conftest import first_receipt
from propdesk.testing.counts import row_counts

D = Decimal
BILLING = (
    "billing.Bill",
    "billing.LedgerEntry",
    "billing.Payment",
    "billing.Receipt",
    "billing.Account",
    "billing.FeeItem",
    "billing.PriceStandard",
    "billing.BillingRun",
)


def as_user(user):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def fees(cast):
    seed_community(cast.alpha.pk)
    seed_community(cast.beta.pk)
    return {
        (item.community_id, item.code): item
        for item in FeeItem.objects.filter(community__in=[cast.alpha, cast.beta])
    }


@pytest.fixture
def billed(cast, fees):
    """Alpha billed for October and November 2026 (233.75 a month per house)."""
    for period in ("2026-10", "2026-11"):
        services.billing_run_start(actor=cast.director_a, community_id=cast.alpha.pk, period=period)
    return fees


def pay(client, cast, key="key-1", headers=None, **body):
    data = {"house": cast.house_a1.pk, "amount": "100.00", "method": "cash"} | body
    extra = dict(headers or {}) | ({"HTTP_IDEMPOTENCY_KEY": key} if key else {})
    return client.post("/api/payments/", data, format="json", **extra)


def approve(cast, action, approver=None, **fields):
    response = as_user(approver or cast.director_a).post(
        "/api/billing-approvals/", {"action": action, **fields}, format="json"
    )
    assert response.status_code == 201, response.json()
    return response.json()["approval"]


def fields_of(response):
    return {e["field"] for e in response.json()["errors"]}


# --- who may do what ---------------------------------------------------------------------------


def test_authorization_matrix_for_billing_endpoints(cast, billed):
    payment, _ = services.payment_post(
        actor=cast.cashier_a,
        house_id=cast.house_a1.pk,
        amount="10",
        method="cash",
        idempotency_key="seed",
    )
    bill = Bill.objects.filter(house=cast.house_a1).first()
    run = BillingRun.objects.first()
    h = cast.house_a1.pk
    reads = [
        "/api/fee-items/",
        "/api/price-standards/",
        "/api/bills/",
        f"/api/bills/{bill.pk}/",
        "/api/payments/",
        f"/api/payments/{payment.pk}/",
        f"/api/receipts/{payment.receipt.pk}/",
        "/api/billing-runs/",
        f"/api/billing-runs/{run.pk}/",
        f"/api/houses/{h}/billing/",
        f"/api/houses/{h}/statement/",
    ]
    writes = [
        "/api/payments/",
        "/api/fee-items/",
        "/api/refunds/",
        f"/api/payments/{payment.pk}/void/",
        f"/api/bills/{bill.pk}/waive/",
        "/api/billing-runs/",
        "/api/deposits/",
        "/api/payments/online/",
    ]
    before = row_counts(*BILLING)
    for url in reads:
        assert as_user(None).get(url).status_code in (401, 403), url
        assert as_user(cast.owner_alice).get(url).status_code == 403, url
        assert as_user(cast.cashier_a).get(url).status_code == 200, url
    for url in writes:
        assert as_user(None).post(url, {}).status_code in (401, 403), url
        assert as_user(cast.owner_alice).post(url, {}).status_code == 403, url
    # Staff of another community: details do not exist for them, lists hold only their own.
    for url in reads:
        response = as_user(cast.desk_b).get(url)
        if (url.endswith("/") and url[-2].isdigit()) or "/houses/" in url:
            assert response.status_code == 404, url
        else:
            rows = response.json()["results"]
            assert all(row["community"] == cast.beta.pk for row in rows), url
    assert as_user(cast.desk_b).get("/api/bills/").json()["results"] == []
    # Staff without the capability: the front desk sees bills but may not take money;
    # a technician sees nothing of billing; a cashier may not manage fee items.
    assert pay(as_user(cast.desk_a), cast).status_code == 403
    assert as_user(cast.tech_a).get("/api/bills/").status_code == 403
    created = as_user(cast.cashier_a).post(
        "/api/fee-items/",
        {"community": cast.alpha.pk, "code": "x", "name": "X", "kind": "one_off"},
        format="json",
    )
    assert created.status_code == 403
    assert row_counts(*BILLING) == before
    # With the capability.
    assert pay(as_user(cast.cashier_a), cast).status_code == 201


def test_fee_items_and_price_standards(cast, fees):
    director = as_user(cast.director_a)
    listed = director.get("/api/fee-items/", {"community": cast.alpha.pk}).json()
    codes = [row["code"] for row in listed["results"]]
    assert codes[:3] == ["management", "parking", "garbage"]
    assert {row["community"] for row in listed["results"]} == {cast.alpha.pk}
    bad = director.post(
        "/api/fee-items/",
        {"community": cast.alpha.pk, "code": "", "name": "清运", "kind": "nonsense"},
        format="json",
    )
    assert bad.status_code == 400
    assert fields_of(bad) == {"code", "kind"}
    made = director.post(
        "/api/fee-items/",
        {"community": cast.alpha.pk, "code": "lift", "name": "电梯费", "kind": "one_off"},
        format="json",
    )
    assert made.status_code == 201
    item = made.json()["id"]
    standard = director.post(
        "/api/price-standards/",
        {
            "fee_item": item,
            "basis": "fixed_month",
            "unit_price": "12.5",
            "valid_from": "2027-01-01",
        },
        format="json",
    )
    assert standard.status_code == 201, standard.json()
    assert standard.json()["unit_price"] == "12.5000"
    rows = director.get("/api/price-standards/", {"fee_item": item}).json()["results"]
    assert [r["id"] for r in rows] == [standard.json()["id"]]
    mid_month = director.post(
        "/api/price-standards/",
        {"fee_item": item, "basis": "fixed_month", "unit_price": "-1", "valid_from": "2027-02-15"},
        format="json",
    )
    assert mid_month.status_code == 400
    assert fields_of(mid_month) == {"unit_price", "valid_from"}


# --- bills, summary, statement ---------------------------------------------------------------


def test_bills_filtered_by_house_community_open_and_period(cast, billed):
    client = as_user(cast.cashier_a)
    rows = client.get("/api/bills/", {"house": cast.house_a1.pk}).json()["results"]
    assert len(rows) == 4
    assert rows[0]["period"] == "2026-11"  # newest first
    assert rows[0]["outstanding"] == rows[0]["amount"]
    nov = client.get("/api/bills/", {"community": cast.alpha.pk, "period": "2026-11"}).json()
    assert {r["house_label"] for r in nov["results"]} == {"1-1-101", "1-1-102"}
    pay(client, cast, amount="233.75")  # pays October in full
    open_rows = client.get("/api/bills/", {"house": cast.house_a1.pk, "open": "1"}).json()
    assert {r["period"] for r in open_rows["results"]} == {"2026-11"}


def test_bills_list_query_count_is_pinned(cast, billed, django_assert_max_num_queries):
    client = as_user(cast.cashier_a)
    with django_assert_max_num_queries(4):
        assert len(client.get("/api/bills/").json()["results"]) == 8


def test_house_summary_and_statement(cast, billed):
    client = as_user(cast.cashier_a)
    pay(client, cast, amount="300.00")
    summary = client.get(f"/api/houses/{cast.house_a1.pk}/billing/").json()
    assert summary["owed"] == "167.50"  # 467.50 billed, 300 paid oldest first
    assert summary["prepaid"] == "0.00"
    assert summary["balance"] == "167.50"
    assert [b["period"] for b in summary["open_bills"]] == ["2026-11", "2026-11"]
    today = timezone.localdate()
    st = client.get(
        f"/api/houses/{cast.house_a1.pk}/statement/",
        {"from": "2020-01-01", "to": (today + dt.timedelta(days=1)).isoformat()},
    ).json()
    assert st["opening"] == "0.00"
    assert st["charged"] == "467.50"
    assert st["paid"] == "300.00"
    assert st["closing"] == "167.50"
    assert st["lines"][-1]["balance"] == "167.50"
    bad = client.get(f"/api/houses/{cast.house_a1.pk}/statement/", {"from": "yesterday"})
    assert bad.status_code == 400
    assert fields_of(bad) == {"from"}
    assert client.get(f"/api/houses/{cast.house_b1.pk}/statement/").status_code == 404


# --- payments ------------------------------------------------------------------------------------


def test_payment_is_201_then_replayed_200_same_body_then_409_for_another_body(cast, billed):
    client = as_user(cast.cashier_a)
    first = pay(client, cast, amount="500.00")
    assert first.status_code == 201, first.json()
    assert first["Idempotent-Replayed"] == "false"
    body = first.json()
    assert body["receipt"]["number"] == first_receipt()
    assert [line["amount"] for line in body["lines"]] == [
        "223.75",
        "10.00",
        "223.75",
        "10.00",
        "32.50",
    ]
    again = pay(client, cast, amount="500.00")
    assert again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == body
    before = row_counts(*BILLING)
    other = pay(client, cast, amount="501.00")
    assert other.status_code == 409
    assert other.json()["errors"][0]["code"] == "idempotency_mismatch"
    assert row_counts(*BILLING) == before
    assert Payment.objects.count() == 1
    assert list(mismatches()) == []


def test_payment_needs_the_idempotency_key_header(cast, billed):
    before = row_counts(*BILLING)
    response = pay(as_user(cast.cashier_a), cast, key=None)
    assert response.status_code == 400
    assert fields_of(response) == {"Idempotency-Key"}
    reserved = pay(as_user(cast.cashier_a), cast, key="gw:fake:PD1_1_abcdef")
    assert fields_of(reserved) == {"Idempotency-Key"}
    assert row_counts(*BILLING) == before


@pytest.mark.parametrize(
    ("body", "field", "reason"),
    [
        ({"amount": "-5"}, "amount", "greater than"),
        ({"amount": "abc"}, "amount", "Enter a number"),
        ({"amount": "10.001"}, "amount", "decimal places"),
        ({"amount": "0"}, "amount", "greater than"),
        ({"amount": ""}, "amount", "required"),
        ({"method": "cheque"}, "method", ""),
        ({"house": "abc"}, "house", "whole number"),
        ({"method": "wechat"}, "external_ref", "transaction number"),
        ({"bill_ids": "12"}, "bill_ids", ""),
    ],
)
def test_bad_payment_input_is_a_400_naming_the_field_and_writes_nothing(
    cast, billed, body, field, reason
):
    before = row_counts(*BILLING)
    with translation.override("en"):
        response = pay(
            as_user(cast.cashier_a), cast, headers={"HTTP_ACCEPT_LANGUAGE": "en"}, **body
        )
    assert response.status_code == 400, response.json()
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert field in errors
    assert reason in errors[field]
    assert row_counts(*BILLING) == before


def test_payment_errors_are_in_chinese_by_default(cast, billed):
    response = pay(as_user(cast.cashier_a), cast, amount="-5")
    assert response.status_code == 400
    assert "大于" in response.json()["errors"][0]["message"]
    missing = pay(as_user(cast.cashier_a), cast, key=None)
    assert "Idempotency-Key 请求头" in missing.json()["errors"][0]["message"]


def test_payment_to_a_house_of_another_community_is_a_400_naming_house(cast, billed):
    before = row_counts(*BILLING)
    response = pay(as_user(cast.cashier_a), cast, house=cast.house_b1.pk)
    assert response.status_code == 400
    assert fields_of(response) == {"house"}
    assert row_counts(*BILLING) == before


def test_payment_to_chosen_bills_keeps_the_rest_as_prepayment(cast, billed):
    nov = Bill.objects.filter(house=cast.house_a1, period="2026-11").order_by("id")
    response = pay(as_user(cast.cashier_a), cast, amount="223.75", bill_ids=[nov[0].pk])
    assert response.status_code == 201
    assert [line["period"] for line in response.json()["lines"]] == ["2026-11"]
    assert Bill.objects.get(pk=nov[0].pk).outstanding == 0


def test_receipt_detail_and_pdf_marks_reprints_as_copies(cast, billed):
    client = as_user(cast.cashier_a)
    receipt_id = pay(client, cast, amount="233.75").json()["receipt"]["id"]
    detail = client.get(f"/api/receipts/{receipt_id}/").json()
    assert detail["number"] == first_receipt()
    assert detail["amount_in_words"] == "贰佰叁拾叁元柒角伍分"
    assert detail["house_label"] == "1-1-101"
    first = client.post(f"/api/receipts/{receipt_id}/pdf/")
    assert first.status_code == 200
    assert first["Content-Type"] == "application/pdf"
    assert first.content.startswith(b"%PDF")
    client.post(f"/api/receipts/{receipt_id}/pdf/")
    assert client.get(f"/api/receipts/{receipt_id}/").json()["print_count"] == 2
    assert as_user(cast.desk_b).post(f"/api/receipts/{receipt_id}/pdf/").status_code == 404


def test_payments_list_query_count_is_pinned(cast, billed, django_assert_max_num_queries):
    client = as_user(cast.cashier_a)
    for n in range(5):
        pay(client, cast, key=f"k{n}", amount="10")
    with django_assert_max_num_queries(4):
        rows = client.get("/api/payments/", {"house": cast.house_a1.pk}).json()["results"]
    assert len(rows) == 5


# --- corrections with an approver ------------------------------------------------------------


def test_void_needs_the_approvers_code_for_this_payment(cast, billed):
    client = as_user(cast.cashier_a)
    payment = pay(client, cast, amount="233.75").json()
    other = pay(client, cast, key="k2", amount="5").json()
    url = f"/api/payments/{payment['id']}/void/"
    before = row_counts(*BILLING)
    missing = client.post(url, {"reason": "收错户", "approver": cast.director_a.pk}, format="json")
    assert missing.status_code == 400
    assert fields_of(missing) == {"approval"}
    code_for_other = approve(cast, "payment_void", payment=other["id"])
    wrong = client.post(
        url,
        {"reason": "收错户", "approver": cast.director_a.pk, "approval": code_for_other},
        format="json",
    )
    assert fields_of(wrong) == {"approval"}
    code = approve(cast, "payment_void", payment=payment["id"])
    forged = client.post(
        url, {"reason": "收错户", "approver": cast.admin.pk, "approval": code}, format="json"
    )
    assert fields_of(forged) == {"approval"}
    assert row_counts(*BILLING) == before
    done = client.post(
        url, {"reason": "收错户", "approver": cast.director_a.pk, "approval": code}, format="json"
    )
    assert done.status_code == 200, done.json()
    assert done.json()["voided_at"]
    assert done.json()["receipt"]["number"] == first_receipt()
    # Owed again: 467.50 billed, less the other payment of 5.00.
    assert Account.objects.get(house=cast.house_a1).due == D("462.50")
    assert list(mismatches()) == []


def test_approval_is_used_up_by_its_correction(cast, billed):
    client = as_user(cast.cashier_a)
    bill = Bill.objects.filter(house=cast.house_a1).order_by("id").first()
    code = approve(cast, "bill_waive", bill=bill.pk, amount="10", kind="waiver")
    body = {"amount": "10.00", "reason": "维修期间减免", "approver": cast.director_a.pk}
    first = client.post(f"/api/bills/{bill.pk}/waive/", body | {"approval": code}, format="json")
    assert first.status_code == 201, first.json()
    assert first.json()["kind"] == "waiver"
    assert first.json()["approver"] == cast.director_a.pk
    before = row_counts(*BILLING)
    again = client.post(f"/api/bills/{bill.pk}/waive/", body | {"approval": code}, format="json")
    assert again.status_code == 400
    assert fields_of(again) == {"approval"}
    assert row_counts(*BILLING) == before


def test_only_an_approver_may_issue_a_code_and_the_service_checks_four_eyes(cast, billed):
    payment = pay(as_user(cast.cashier_a), cast, amount="10").json()
    refused = as_user(cast.cashier_a).post(
        "/api/billing-approvals/", {"action": "payment_void", "payment": payment["id"]}
    )
    assert refused.status_code == 403
    hidden = as_user(cast.desk_b).post(
        "/api/billing-approvals/", {"action": "payment_void", "payment": payment["id"]}
    )
    assert hidden.status_code == 403  # a front-desk agent may not approve at all
    unknown = as_user(cast.director_a).post(
        "/api/billing-approvals/", {"action": "delete_everything"}, format="json"
    )
    assert fields_of(unknown) == {"action"}
    # The director approving their own void: the service refuses (four eyes).
    code = approve(cast, "payment_void", payment=payment["id"])
    own = as_user(cast.director_a).post(
        f"/api/payments/{payment['id']}/void/",
        {"reason": "x", "approver": cast.director_a.pk, "approval": code},
        format="json",
    )
    assert own.status_code in (400, 403)


def test_refund_above_the_prepayment_is_refused_and_writes_nothing(cast, fees):
    client = as_user(cast.cashier_a)
    pay(client, cast, amount="50")
    code = approve(cast, "refund", house=cast.house_a1.pk, amount="50.01")
    before = row_counts(*BILLING)
    response = client.post(
        "/api/refunds/",
        {
            "house": cast.house_a1.pk,
            "amount": "50.01",
            "reason": "退款",
            "approver": cast.director_a.pk,
            "approval": code,
        },
        format="json",
    )
    assert response.status_code == 400
    assert fields_of(response) == {"amount"}
    assert row_counts(*BILLING) == before
    code = approve(cast, "refund", house=cast.house_a1.pk, amount="50")
    ok = client.post(
        "/api/refunds/",
        {
            "house": cast.house_a1.pk,
            "amount": "50",
            "reason": "退款",
            "approver": cast.director_a.pk,
            "approval": code,
        },
        format="json",
    )
    assert ok.status_code == 201
    assert Account.objects.get(house=cast.house_a1).credit == 0


def test_bill_cancel_with_an_approver(cast, billed):
    bill = Bill.objects.filter(house=cast.house_a2).order_by("id").first()
    code = approve(cast, "bill_cancel", bill=bill.pk)
    response = as_user(cast.director_a).post(
        f"/api/bills/{bill.pk}/cancel/",
        {"reason": "开错", "approver": cast.admin.pk, "approval": code},
        format="json",
    )
    assert fields_of(response) == {"approval"}  # the code names the director, not the admin
    code = approve(cast, "bill_cancel", approver=cast.admin, bill=bill.pk)
    response = as_user(cast.director_a).post(
        f"/api/bills/{bill.pk}/cancel/",
        {"reason": "开错", "approver": cast.admin.pk, "approval": code},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["kind"] == "reversal"
    assert Bill.objects.get(pk=bill.pk).outstanding == 0


# --- runs and deposits -----------------------------------------------------------------------


def test_run_preview_start_progress_and_resume(cast, fees):
    from propdesk.jobs.worker import run_until_idle

    director = as_user(cast.director_a)
    body = {"community": cast.alpha.pk, "period": "2026-12"}
    preview = director.post("/api/billing-runs/preview/", body, format="json").json()
    assert preview["bills"] == 4
    assert preview["amount"] == "467.50"
    assert Bill.objects.count() == 0
    bad = director.post("/api/billing-runs/preview/", body | {"period": "12/2026"}, format="json")
    assert fields_of(bad) == {"period"}
    started = director.post("/api/billing-runs/", body, format="json")
    assert started.status_code == 202, started.json()
    run_id = started.json()["id"]
    assert started.json()["state"] == "running"
    run_until_idle()
    done = director.get(f"/api/billing-runs/{run_id}/").json()
    assert done["state"] == "done"
    assert done["progress"] == 1.0
    assert done["bills_created"] == 4
    assert director.post(f"/api/billing-runs/{run_id}/resume/").status_code == 409
    assert (
        as_user(cast.cashier_a).post("/api/billing-runs/", body, format="json").status_code == 403
    )


def test_deposit_taken_replayed_and_settled_with_deductions_r_ren_3_r_ren_7(cast, fees):
    client = as_user(cast.cashier_a)
    body = {
        "house": cast.house_a1.pk,
        "customer": cast.alice.pk,
        "amount": "3000.00",
        "method": "cash",
        "reference": "装修 ZX26-001",
    }
    first = client.post("/api/deposits/", body, format="json", HTTP_IDEMPOTENCY_KEY="dep-1")
    assert first.status_code == 201, first.json()
    assert first.json()["purpose"] == "deposit"
    again = client.post("/api/deposits/", body, format="json", HTTP_IDEMPOTENCY_KEY="dep-1")
    assert again.status_code == 200
    assert again.json() == first.json()
    deductions = [{"amount": "200.00", "reason": "损坏公共墙面"}]
    code = approve(
        cast,
        "deposit_settle",
        customer=cast.alice.pk,
        community=cast.alpha.pk,
        deductions=deductions,
    )
    settle = client.post(
        "/api/deposits/settle/",
        {
            "customer": cast.alice.pk,
            "community": cast.alpha.pk,
            "deductions": deductions,
            "approver": cast.director_a.pk,
            "approval": code,
        },
        format="json",
    )
    assert settle.status_code == 201, settle.json()
    assert [(e["kind"], e["amount"]) for e in settle.json()] == [
        ("deposit_deduct", "200.00"),
        ("deposit_out", "2800.00"),
    ]
    assert Account.objects.get(customer=cast.alice).deposit == 0


def test_schema_documents_the_billing_endpoints(cast):
    schema = as_user(cast.admin).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    for path in (
        "/api/payments/",
        "/api/payments/{id}/void/",
        "/api/houses/{id}/statement/",
        "/api/payments/notify/{provider}/",
        "/api/billing-approvals/",
    ):
        assert path in paths, path
    params = {p["name"] for p in paths["/api/payments/"]["post"]["parameters"]}
    assert "Idempotency-Key" in params


# --- online payments --------------------------------------------------------------------------


def test_online_payment_end_to_end_on_the_embedded_fake_gateway(cast, billed, settings):
    settings.BILLING_GATEWAY = "fake"
    settings.BILLING_GATEWAY_FAKE_URL = ""
    client = as_user(cast.cashier_a)
    order = client.post("/api/payments/online/", {"house": cast.house_a1.pk}, format="json")
    assert order.status_code == 201, order.json()
    data = order.json()
    assert data["amount"] == "467.50"  # what the house owes when no amount is given
    assert data["qr_svg"].startswith("<svg")
    assert "/api/payments/fake-gateway/" in data["pay_url"]
    path = data["pay_url"].split("testserver", 1)[1]
    page = APIClient().get(path)
    assert page.status_code == 200
    assert "467.50" in page.content.decode()
    paid = APIClient().post(path)
    assert paid.status_code == 200
    assert first_receipt() in paid.content.decode()
    APIClient().post(path)  # paying twice posts once
    payment = Payment.objects.get()
    assert (payment.channel, payment.method, payment.amount) == ("online", "gateway", D("467.50"))
    assert payment.received_by == cast.cashier_a
    assert Account.objects.get(house=cast.house_a1).due == 0
    state = client.get(f"/api/payments/online/{data['out_trade_no']}/").json()
    assert state["state"] == "SUCCESS"
    assert state["payment"]["id"] == payment.pk
    assert list(mismatches()) == []


def test_notice_replayed_15_times_posts_once_with_the_same_answer(cast, billed, settings):
    from propdesk.billing.gateway import FakeGateway, trade_no_make

    settings.BILLING_GATEWAY_FAKE_URL = ""
    fake = FakeGateway(secret="propdesk-fake-gateway-secret-development-only")
    no = trade_no_make(cast.house_a1.pk, cast.cashier_a.pk)
    headers, body = fake.notice_for(no, D("233.75"))
    meta = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    answers = [
        APIClient().post(
            "/api/payments/notify/fake/", body, content_type="application/json", **meta
        )
        for _ in range(15)
    ]
    assert {(a.status_code, a.content) for a in answers} == {(200, answers[0].content)}
    assert answers[0].json()["code"] == "SUCCESS"
    assert [a["Idempotent-Replayed"] for a in answers] == ["false"] + ["true"] * 14
    payment = Payment.objects.get()
    assert payment.idempotency_key == f"gw:fake:{no}"
    assert LedgerEntry.objects.filter(kind="payment").count() == 1


def test_bad_or_stale_notice_is_refused_and_writes_nothing(cast, billed, settings):
    import time

    from propdesk.billing.fake_gateway import fake_notice_body, fake_signed_headers
    from propdesk.billing.gateway import trade_no_make

    settings.BILLING_GATEWAY_FAKE_URL = ""
    no = trade_no_make(cast.house_a1.pk, cast.cashier_a.pk)
    body = fake_notice_body(no, D("10"), "FAKE1")
    before = row_counts(*BILLING)

    def post(headers, raw=body):
        meta = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
        return APIClient().post(
            "/api/payments/notify/fake/", raw, content_type="application/json", **meta
        )

    assert post(fake_signed_headers("wrong secret", body)).status_code == 401
    stale = fake_signed_headers(
        "propdesk-fake-gateway-secret-development-only", body, timestamp=int(time.time()) - 3600
    )
    assert post(stale).status_code == 401
    good = fake_signed_headers("propdesk-fake-gateway-secret-development-only", body)
    assert post(good, body.replace(b"1000", b"9999")).status_code == 401  # tampered amount
    assert post({}).status_code == 401
    unknown = APIClient().post("/api/payments/notify/nopay/", body, content_type="application/json")
    assert unknown.status_code == 404
    assert row_counts(*BILLING) == before


def test_online_payment_over_http_with_the_fake_gateway_server(cast, billed, settings):
    secret = "test-secret"
    with FakeGatewayServer(secret) as server:
        settings.BILLING_GATEWAY = "fake"
        settings.BILLING_GATEWAY_FAKE_URL = server.url
        settings.BILLING_GATEWAY_FAKE_SECRET = secret
        client = as_user(cast.cashier_a)
        order = client.post(
            "/api/payments/online/", {"house": cast.house_a1.pk, "amount": "100.00"}
        ).json()
        no = order["out_trade_no"]
        assert order["pay_url"].startswith(server.url)
        assert server.orders[no]["total"] == 10000
        waiting = client.get(f"/api/payments/online/{no}/").json()
        assert waiting == {"out_trade_no": no, "state": "NOTPAY", "payment": None}
        # Paid, but the notice never arrives (nobody listens on the test server's
        # notify URL): the order check asks the gateway and posts the payment.
        server.pay(no, deliver=False)
        paid = client.get(f"/api/payments/online/{no}/").json()
        assert paid["state"] == "SUCCESS"
        assert paid["payment"]["amount"] == "100.00"
        # The notice arriving late (and again) changes nothing.
        headers, body = server.notice(no)
        meta = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
        late = APIClient().post(
            "/api/payments/notify/fake/", body, content_type="application/json", **meta
        )
        assert late.status_code == 200
        assert late["Idempotent-Replayed"] == "true"
    assert Payment.objects.count() == 1
    assert list(mismatches()) == []


def test_gateway_unreachable_is_a_clear_400(cast, billed, settings):
    settings.BILLING_GATEWAY_FAKE_URL = "http://127.0.0.1:9"  # discard port: nothing listens
    response = as_user(cast.cashier_a).post(
        "/api/payments/online/", {"house": cast.house_a1.pk, "amount": "1"}
    )
    assert response.status_code == 400
    assert fields_of(response) == {"provider"}


def test_online_order_for_a_house_of_another_community_is_refused(cast, billed, settings):
    settings.BILLING_GATEWAY_FAKE_URL = ""
    response = as_user(cast.cashier_a).post(
        "/api/payments/online/", {"house": cast.house_b1.pk, "amount": "1"}
    )
    assert response.status_code == 400
    assert fields_of(response) == {"house"}
