"""The WeChat Pay APIv3 adapter against a local fake of WeChat Pay, and the adapters' rules."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from rest_framework.test import APIClient

from propdesk.billing import gateway
from propdesk.billing.models import Payment
from propdesk.billing.reconcile import mismatches
from propdesk.billing.tests.fakes import PLATFORM_SERIAL, FakeWechatPay, new_key, private_pem
from propdesk.core.errors import Invalid
from propdesk.testing.counts import row_counts

D = Decimal
APIV3_KEY = "0123456789abcdef0123456789abcdef"
MCHID = "1900000109"


@pytest.fixture(scope="module")
def merchant_key():
    return new_key()


@pytest.fixture
def wechat(settings, merchant_key):
    with FakeWechatPay(
        mchid=MCHID, merchant_public=merchant_key.public_key(), apiv3_key=APIV3_KEY
    ) as fake:
        settings.BILLING_GATEWAY = "wechatpay"
        settings.WECHATPAY_MCHID = MCHID
        settings.WECHATPAY_APPID = "wx0000000000000001"
        settings.WECHATPAY_MERCHANT_SERIAL = "5157F09EFDC096DE15EBE81A47057A72"
        settings.WECHATPAY_MERCHANT_PRIVATE_KEY = private_pem(merchant_key)
        settings.WECHATPAY_APIV3_KEY = APIV3_KEY
        settings.WECHATPAY_PLATFORM_PUBLIC_KEY = fake.platform_public_pem
        settings.WECHATPAY_PLATFORM_SERIAL = PLATFORM_SERIAL
        settings.WECHATPAY_ENDPOINT = fake.url
        yield fake


def staff(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def notify(headers, body, provider="wechatpay"):
    meta = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    return APIClient().post(
        f"/api/payments/notify/{provider}/", body, content_type="application/json", **meta
    )


def test_wechat_native_order_notice_and_replays_post_once(cast, fees, wechat):
    order = staff(cast.cashier_a).post(
        "/api/payments/online/", {"house": cast.house_a1.pk, "amount": "233.75"}, format="json"
    )
    assert order.status_code == 201, order.json()
    data = order.json()
    assert data["provider"] == "wechatpay"
    assert data["qr_text"].startswith("weixin://wxpay/bizpayurl")
    no = data["out_trade_no"]
    assert wechat.orders[no]["total"] == 23375
    assert wechat.orders[no]["notify_url"].endswith("/api/payments/notify/wechatpay/")
    assert wechat.refused == []  # our request signature verified
    wechat.pay(no)
    # WeChat Pay signs each delivery anew; fifteen deliveries post one payment.
    answers = [notify(*wechat.notice(no)) for _ in range(15)]
    assert {a.status_code for a in answers} == {200}
    assert {a.content for a in answers} == {answers[0].content}
    payment = Payment.objects.get()
    assert (payment.method, payment.channel, payment.amount) == ("wechat", "online", D("233.75"))
    assert payment.external_ref.startswith("4200")
    assert payment.idempotency_key == f"gw:wechatpay:{no}"
    assert list(mismatches()) == []


def test_wechat_order_check_posts_a_paid_order_whose_notice_went_missing(cast, fees, wechat):
    client = staff(cast.cashier_a)
    no = client.post(
        "/api/payments/online/", {"house": cast.house_a1.pk, "amount": "10"}, format="json"
    ).json()["out_trade_no"]
    assert client.get(f"/api/payments/online/{no}/").json()["state"] == "NOTPAY"
    wechat.pay(no)
    state = client.get(f"/api/payments/online/{no}/").json()
    assert state["state"] == "SUCCESS"
    assert state["payment"]["amount"] == "10.00"
    assert notify(*wechat.notice(no))["Idempotent-Replayed"] == "true"
    assert Payment.objects.count() == 1


def test_wechat_notices_with_a_bad_signature_key_or_ciphertext_are_refused(cast, fees, wechat):
    import json

    client = staff(cast.cashier_a)
    no = client.post(
        "/api/payments/online/", {"house": cast.house_a1.pk, "amount": "10"}, format="json"
    ).json()["out_trade_no"]
    wechat.pay(no)
    headers, body = wechat.notice(no)
    before = row_counts("billing.Payment", "billing.LedgerEntry")
    other_key = dict(headers) | wechat.signed_headers(body, serial="PUB_KEY_ID_SOMEONE_ELSE")
    assert notify(other_key, body).status_code == 401
    bad = dict(headers) | {"Wechatpay-Signature": headers["Wechatpay-Signature"][::-1]}
    assert notify(bad, body).status_code == 401
    data = json.loads(body)
    data["resource"]["ciphertext"] = data["resource"]["ciphertext"][:-4] + "AAAA"
    tampered = json.dumps(data).encode()
    assert notify(wechat.signed_headers(tampered), tampered).status_code == 401
    assert row_counts("billing.Payment", "billing.LedgerEntry") == before
    assert notify(headers, body).status_code == 200


def test_wechat_answer_not_signed_by_wechat_is_not_trusted(cast, fees, wechat, settings):
    settings.WECHATPAY_PLATFORM_PUBLIC_KEY = private_pem(new_key())  # not WeChat's key
    with pytest.raises(ImproperlyConfigured):
        gateway.adapter("wechatpay")  # a private key where a public key belongs
    from cryptography.hazmat.primitives import serialization

    stranger = (
        new_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    settings.WECHATPAY_PLATFORM_PUBLIC_KEY = stranger.decode()
    with pytest.raises(Invalid) as err:
        gateway.order_create(
            actor=cast.cashier_a, house_id=cast.house_a1.pk, amount="1", notify_url="http://x/"
        )
    assert "provider" in err.value.errors


def test_wechat_needs_every_setting(settings):
    settings.BILLING_GATEWAY = "wechatpay"
    for name in gateway.WechatPayV3.SETTINGS:
        setattr(settings, name, "")
    with pytest.raises(ImproperlyConfigured) as err:
        gateway.adapter()
    assert "WECHATPAY_MCHID" in str(err.value)


def test_the_fake_gateway_is_refused_in_production(settings):
    settings.PRODUCTION = True
    settings.BILLING_GATEWAY = ""
    assert gateway.default_provider() == "none"
    with pytest.raises(ImproperlyConfigured):
        gateway.adapter("fake")
    with pytest.raises(Invalid):
        gateway.adapter("none")


def test_order_numbers_carry_house_and_creator():
    no = gateway.trade_no_make(123456, 78)
    assert len(no) <= 32
    assert gateway.trade_no_parse(no) == (123456, 78)
    with pytest.raises(gateway.BadNotice):
        gateway.trade_no_parse("PD1_2_xyz; drop table")
