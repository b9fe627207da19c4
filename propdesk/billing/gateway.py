"""Online payments through a payment gateway: orders, signed payment notices, order queries.

An online payment goes: staff (or, later, the owner) ask for an order for a
house and an amount → the gateway answers with a pay URL / QR code → the payer
pays in WeChat (or on the fake pay page) → the gateway POSTs a signed payment
notice to `/api/payments/notify/<provider>/` → `notice_post` verifies it and
posts the payment through `services.payment_post` with the idempotency key
`gw:<provider>:<out_trade_no>`, so a notice delivered twice, fifteen times or
concurrently posts one payment and answers the same each time. When a notice
does not arrive, `order_check` asks the gateway and posts the same way.

Adapters (choose with BILLING_GATEWAY; every variable is in `.env.example`):

- `fake` (default outside production): notices signed with HMAC-SHA256 over
  ``timestamp\\nnonce\\nbody\\n`` (the shape of WeChat Pay's) under
  BILLING_GATEWAY_FAKE_SECRET. With BILLING_GATEWAY_FAKE_URL empty, PropDesk
  serves the pay page itself (the demo: "pay online" end to end on one
  machine); with it set, PropDesk talks HTTP to a fake gateway server
  (`propdesk.billing.fake_gateway`, what the tests run on loopback). Refused in
  production: anyone holding a fake pay link could "pay".
- `wechatpay`: WeChat Pay APIv3, Native payment (扫码支付). Requests are signed
  SHA256-with-RSA with the merchant key (``Authorization: WECHATPAY2-SHA256-RSA2048``
  over ``METHOD\\nPATH\\ntimestamp\\nnonce\\nbody\\n``); answers and notices are
  verified with WeChat Pay's public key (``Wechatpay-Signature`` over
  ``timestamp\\nnonce\\nbody\\n``, key chosen by ``Wechatpay-Serial``); the notice's
  resource is AEAD_AES_256_GCM-encrypted under the APIv3 key.

The order number carries the house and the staff member who created the order
(`PD<house>_<user>_<random>`): the provider accepts orders only from us (signed
requests) and signs every notice, so a notice's order number can be trusted, and
no order table is needed. The payment is posted as that staff member (received
by them, channel "online").
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import os
import re
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.core import signing
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.translation import gettext as _

from propdesk.accounts.roles import Cap
from propdesk.accounts.selectors import require
from propdesk.core.errors import ErrorCollector, Invalid, NotFound
from propdesk.core.money import money
from propdesk.estates.selectors import house_get_for_user

from . import services
from .fake_gateway import (
    _DEV_FAKE_SECRET,
    NOTPAY,
    SUCCESS,
    SignatureError,
    fake_notice_body,
    fake_signed_headers,
    fake_transaction_id,
    fake_verify,
)
from .models import ZERO, Account, AccountKind, Channel, Method, Payment

log = logging.getLogger("propdesk.billing.gateway")

PROVIDERS = ("fake", "wechatpay")
# Notices and answers older (or newer) than this are refused: a captured notice
# cannot be replayed days later with its old signature.
TIMESTAMP_TOLERANCE_SECONDS = 300
ORDER_MINUTES = 30
FAKE_PAY_SALT = "propdesk.billing.fakepay"
TRADE_NO = re.compile(r"^PD(\d{1,12})_(\d{1,9})_[0-9a-f]{6,12}$")


class BadNotice(Exception):
    """A notice (or an answer) whose signature, time or shape is wrong: refused, never posted."""


class GatewayError(Exception):
    """The gateway could not be reached or refused a request."""


# --- configuration -------------------------------------------------------------------


def _conf(name: str, default: str = "") -> str:
    """Django settings first (tests override them), then the environment."""
    value = getattr(settings, name, None)
    if value in (None, ""):
        value = os.environ.get(name, "")
    return str(value) if value not in (None, "") else default


def default_provider() -> str:
    """BILLING_GATEWAY: the provider of new orders; `none` turns online payment off."""
    production = getattr(settings, "PRODUCTION", False)
    value = _conf("BILLING_GATEWAY", "none" if production else "fake").lower()
    if value not in {*PROVIDERS, "none"}:
        raise ImproperlyConfigured(
            f"BILLING_GATEWAY must be fake, wechatpay or none, not {value!r}"
        )
    return value


def _pem(value: str) -> bytes:
    """A PEM given inline or as the path of a file."""
    if "-----BEGIN" in value:
        return value.replace("\\n", "\n").encode()
    return Path(value).read_bytes()


def adapter(provider: str | None = None) -> Gateway:
    """The configured adapter of `provider` (default: BILLING_GATEWAY)."""
    name = (provider or default_provider()).lower()
    if name == "fake":
        if getattr(settings, "PRODUCTION", False):
            raise ImproperlyConfigured("The fake payment gateway is refused in production.")
        return FakeGateway(
            secret=_conf("BILLING_GATEWAY_FAKE_SECRET", _DEV_FAKE_SECRET),
            url=_conf("BILLING_GATEWAY_FAKE_URL"),
        )
    if name == "wechatpay":
        return WechatPayV3.from_settings()
    raise Invalid.field("provider", _("Online payment is not set up."))


# --- what adapters return -------------------------------------------------------------


@dataclass(frozen=True)
class Order:
    provider: str
    out_trade_no: str
    amount: Decimal
    pay_url: str
    qr_text: str
    expires_at: dt.datetime


@dataclass(frozen=True)
class Notice:
    """A payment's state as the provider signed it."""

    provider: str
    out_trade_no: str
    state: str  # SUCCESS, NOTPAY, CLOSED, … (WeChat Pay's trade_state)
    transaction_id: str = ""
    amount: Decimal = ZERO
    notice_id: str = ""

    @property
    def paid(self) -> bool:
        return self.state == SUCCESS


class Gateway(Protocol):
    provider: str
    method: str

    def create_order(
        self,
        *,
        out_trade_no: str,
        amount: Decimal,
        description: str,
        notify_url: str,
        pay_page_url: str,
        expires_at: dt.datetime,
    ) -> tuple[str, str]:
        """Register the order with the provider; returns (pay URL, QR text)."""
        ...

    def parse_notice(self, headers: Mapping[str, str], body: bytes) -> Notice:
        """Verify the notice's signature and read it; raises BadNotice."""
        ...

    def query_order(self, out_trade_no: str) -> Notice | None:
        """Ask the provider for the order's state (None: the provider cannot tell)."""
        ...

    def answer(self, ok: bool, message: str = "") -> tuple[int, dict[str, str]]:
        """The HTTP status and JSON body the provider expects in reply to a notice."""
        ...


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def _check_time(timestamp: str) -> None:
    try:
        sent = int(timestamp)
    except ValueError:
        raise BadNotice("bad timestamp") from None
    if abs(time.time() - sent) > TIMESTAMP_TOLERANCE_SECONDS:
        raise BadNotice("timestamp too far from now")


def _fen(amount: Decimal) -> int:
    return int(money(amount) * 100)


def _yuan(fen: Any) -> Decimal:
    try:
        return money(Decimal(int(fen)) / 100)
    except (TypeError, ValueError):
        raise BadNotice("bad amount") from None


def _http(request: urllib.request.Request, timeout: int = 10) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, dict(response.headers.items()), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers.items()), exc.read()
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        raise GatewayError(f"{type(exc).__name__}: {exc}") from exc


def _transaction_notice(provider: str, data: Mapping[str, Any], notice_id: str = "") -> Notice:
    """Read WeChat Pay's transaction object (the fake gateway uses the same shape)."""
    try:
        out_trade_no = str(data["out_trade_no"])
        state = str(data["trade_state"])
    except (KeyError, TypeError):
        raise BadNotice("transaction without out_trade_no or trade_state") from None
    amount = data.get("amount") or {}
    total = amount.get("payer_total", amount.get("total", 0)) if isinstance(amount, dict) else 0
    if state == SUCCESS and (not data.get("transaction_id") or int(total or 0) <= 0):
        raise BadNotice("a paid transaction needs its transaction_id and amount")
    if isinstance(amount, dict) and amount.get("currency", "CNY") != "CNY":
        raise BadNotice("only CNY is accepted")
    return Notice(
        provider=provider,
        out_trade_no=out_trade_no,
        state=state,
        transaction_id=str(data.get("transaction_id", ""))[:64],
        amount=_yuan(total or 0),
        notice_id=notice_id,
    )


# --- the fake gateway ---------------------------------------------------------------------


class FakeGateway:
    """A local stand-in for a provider, for the demo and the tests (never production)."""

    provider = "fake"
    method: str = Method.GATEWAY

    def __init__(self, *, secret: str, url: str = "") -> None:
        self.secret = secret
        self.url = url.rstrip("/")

    def _signed(self, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        body = b"" if payload is None else json.dumps(payload, sort_keys=True).encode()
        request = urllib.request.Request(  # noqa: S310 - operator configuration
            self.url + path,
            data=body if payload is not None else None,
            method=method,
            headers={"Content-Type": "application/json", **fake_signed_headers(self.secret, body)},
        )
        status, headers, raw = _http(request)
        self._verify(headers, raw)
        if status >= 400:
            raise GatewayError(f"fake gateway answered {status}: {raw[:200]!r}")
        return json.loads(raw.decode() or "{}")

    def _verify(self, headers: Mapping[str, str], body: bytes) -> None:
        try:
            fake_verify(self.secret, headers, body, tolerance=TIMESTAMP_TOLERANCE_SECONDS)
        except SignatureError as exc:
            raise BadNotice(str(exc)) from None

    def create_order(
        self,
        *,
        out_trade_no: str,
        amount: Decimal,
        description: str,
        notify_url: str,
        pay_page_url: str,
        expires_at: dt.datetime,
    ) -> tuple[str, str]:
        if not self.url:
            # Embedded: PropDesk's own pay page, the order signed into its link.
            token = signing.dumps(
                {"o": out_trade_no, "a": str(amount), "d": description[:60]}, salt=FAKE_PAY_SALT
            )
            link = f"{pay_page_url.rstrip('/')}/{token}/"
            return link, link
        answer = self._signed(
            "POST",
            "/v1/orders",
            {
                "out_trade_no": out_trade_no,
                "amount": {"total": _fen(amount), "currency": "CNY"},
                "description": description,
                "notify_url": notify_url,
                "time_expire": expires_at.isoformat(timespec="seconds"),
            },
        )
        return str(answer["pay_url"]), str(answer.get("code_url") or answer["pay_url"])

    def parse_notice(self, headers: Mapping[str, str], body: bytes) -> Notice:
        self._verify(headers, body)
        try:
            data = json.loads(body.decode())
            transaction = data["transaction"]
        except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError):
            raise BadNotice("not a notice") from None
        return _transaction_notice(self.provider, transaction, str(data.get("id", "")))

    def query_order(self, out_trade_no: str) -> Notice | None:
        if not self.url:
            return None  # the embedded pay page posts its notice in-process
        data = self._signed("GET", f"/v1/orders/{urllib.parse.quote(out_trade_no)}")
        return _transaction_notice(self.provider, data)

    def answer(self, ok: bool, message: str = "") -> tuple[int, dict[str, str]]:
        if ok:
            return 200, {"code": SUCCESS, "message": "成功"}
        return 400, {"code": "FAIL", "message": message or "失败"}

    # Used by PropDesk's own pay page (embedded mode).
    def read_pay_token(self, token: str) -> dict[str, str]:
        try:
            data = signing.loads(token, salt=FAKE_PAY_SALT, max_age=ORDER_MINUTES * 60)
        except signing.BadSignature:
            raise NotFound(_("This payment link is not valid or has expired.")) from None
        return {"out_trade_no": data["o"], "amount": data["a"], "description": data.get("d", "")}

    def notice_for(self, out_trade_no: str, amount: Decimal) -> tuple[dict[str, str], bytes]:
        body = fake_notice_body(out_trade_no, amount, fake_transaction_id(out_trade_no))
        return fake_signed_headers(self.secret, body), body


# --- WeChat Pay APIv3 ---------------------------------------------------------------------


class WechatPayV3:
    """WeChat Pay APIv3 (直连商户), Native payment: a QR code the payer scans in WeChat."""

    provider = "wechatpay"
    method: str = Method.WECHAT
    ENDPOINT = "https://api.mch.weixin.qq.com"
    SETTINGS = (
        "WECHATPAY_MCHID",
        "WECHATPAY_APPID",
        "WECHATPAY_MERCHANT_SERIAL",
        "WECHATPAY_MERCHANT_PRIVATE_KEY",
        "WECHATPAY_APIV3_KEY",
        "WECHATPAY_PLATFORM_PUBLIC_KEY",
        "WECHATPAY_PLATFORM_SERIAL",
    )

    def __init__(
        self,
        *,
        mchid: str,
        appid: str,
        merchant_serial: str,
        merchant_private_key: bytes,
        apiv3_key: str,
        platform_public_key: bytes,
        platform_serial: str,
        endpoint: str = ENDPOINT,
        timeout: int = 10,
    ) -> None:
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.hazmat.primitives.serialization import (
            load_pem_private_key,
            load_pem_public_key,
        )

        try:
            private_key = load_pem_private_key(merchant_private_key, password=None)
            public_key = load_pem_public_key(platform_public_key)
        except (ValueError, TypeError) as exc:
            raise ImproperlyConfigured(f"A WeChat Pay key does not load: {exc}") from None
        if not isinstance(private_key, rsa.RSAPrivateKey) or not isinstance(
            public_key, rsa.RSAPublicKey
        ):
            raise ImproperlyConfigured("WeChat Pay keys are RSA keys (PEM).")
        if len(apiv3_key.encode()) != 32:
            raise ImproperlyConfigured("WECHATPAY_APIV3_KEY must be 32 bytes.")
        self.mchid = mchid
        self.appid = appid
        self.merchant_serial = merchant_serial
        self.private_key = private_key
        self.apiv3_key = apiv3_key.encode()
        self.public_key = public_key
        self.platform_serial = platform_serial
        self.endpoint = endpoint.rstrip("/")
        self.timeout = timeout

    @classmethod
    def from_settings(cls) -> WechatPayV3:
        values = {name: _conf(name) for name in cls.SETTINGS}
        missing = [name for name, value in values.items() if not value]
        if missing:
            raise ImproperlyConfigured("BILLING_GATEWAY=wechatpay needs " + ", ".join(missing))
        return cls(
            mchid=values["WECHATPAY_MCHID"],
            appid=values["WECHATPAY_APPID"],
            merchant_serial=values["WECHATPAY_MERCHANT_SERIAL"],
            merchant_private_key=_pem(values["WECHATPAY_MERCHANT_PRIVATE_KEY"]),
            apiv3_key=values["WECHATPAY_APIV3_KEY"],
            platform_public_key=_pem(values["WECHATPAY_PLATFORM_PUBLIC_KEY"]),
            platform_serial=values["WECHATPAY_PLATFORM_SERIAL"],
            endpoint=_conf("WECHATPAY_ENDPOINT", cls.ENDPOINT),
        )

    # signatures
    def sign(self, message: bytes) -> str:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        signature = self.private_key.sign(message, padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(signature).decode()

    def authorization(self, method: str, path: str, body: str) -> str:
        ts = str(int(time.time()))
        nonce = secrets.token_hex(16).upper()
        message = f"{method}\n{path}\n{ts}\n{nonce}\n{body}\n".encode()
        return (
            f'WECHATPAY2-SHA256-RSA2048 mchid="{self.mchid}",nonce_str="{nonce}",'
            f'signature="{self.sign(message)}",timestamp="{ts}",serial_no="{self.merchant_serial}"'
        )

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        """WeChat Pay's signature on an answer or a notice (Wechatpay-* headers)."""
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        h = _lower(headers)
        ts = h.get("wechatpay-timestamp", "")
        nonce = h.get("wechatpay-nonce", "")
        signature = h.get("wechatpay-signature", "")
        serial = h.get("wechatpay-serial", "")
        if not (ts and nonce and signature):
            raise BadNotice("unsigned")
        if serial != self.platform_serial:
            raise BadNotice(f"unknown WeChat Pay key {serial!r}")
        message = ts.encode() + b"\n" + nonce.encode() + b"\n" + body + b"\n"
        try:
            self.public_key.verify(
                base64.b64decode(signature), message, padding.PKCS1v15(), hashes.SHA256()
            )
        except (InvalidSignature, ValueError):
            raise BadNotice("bad signature") from None
        _check_time(ts)

    def decrypt(self, resource: Mapping[str, Any]) -> dict[str, Any]:
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        if resource.get("algorithm") != "AEAD_AES_256_GCM":
            raise BadNotice("unknown resource algorithm")
        try:
            plain = AESGCM(self.apiv3_key).decrypt(
                str(resource["nonce"]).encode(),
                base64.b64decode(str(resource["ciphertext"])),
                str(resource.get("associated_data") or "").encode(),
            )
            data = json.loads(plain.decode())
        except (InvalidTag, KeyError, ValueError):
            raise BadNotice("the resource does not decrypt") from None
        if not isinstance(data, dict):
            raise BadNotice("not a transaction")
        return data

    def _call(self, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        body = "" if payload is None else json.dumps(payload, ensure_ascii=False)
        request = urllib.request.Request(  # noqa: S310 - operator configuration
            self.endpoint + path,
            data=body.encode() if payload is not None else None,
            method=method,
            headers={
                "Authorization": self.authorization(method, path, body),
                "Accept": "application/json",
                "Content-Type": "application/json",
                "User-Agent": "PropDesk",
            },
        )
        status, headers, raw = _http(request, self.timeout)
        if status >= 400:
            raise GatewayError(f"WeChat Pay answered {status}: {raw[:300]!r}")
        try:
            self.verify(headers, raw)
        except BadNotice as exc:
            raise GatewayError(f"WeChat Pay's answer failed verification: {exc}") from exc
        return json.loads(raw.decode() or "{}")

    def create_order(
        self,
        *,
        out_trade_no: str,
        amount: Decimal,
        description: str,
        notify_url: str,
        pay_page_url: str,
        expires_at: dt.datetime,
    ) -> tuple[str, str]:
        answer = self._call(
            "POST",
            "/v3/pay/transactions/native",
            {
                "appid": self.appid,
                "mchid": self.mchid,
                "description": description[:127],
                "out_trade_no": out_trade_no,
                "time_expire": timezone.localtime(expires_at).isoformat(timespec="seconds"),
                "notify_url": notify_url,
                "amount": {"total": _fen(amount), "currency": "CNY"},
            },
        )
        code_url = str(answer.get("code_url", ""))
        if not code_url:
            raise GatewayError("WeChat Pay returned no code_url")
        return code_url, code_url

    def parse_notice(self, headers: Mapping[str, str], body: bytes) -> Notice:
        self.verify(headers, body)
        try:
            data = json.loads(body.decode())
            resource = data["resource"]
        except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError):
            raise BadNotice("not a notice") from None
        transaction = self.decrypt(resource)
        if transaction.get("mchid", self.mchid) != self.mchid:
            raise BadNotice("a notice for another merchant")
        return _transaction_notice(self.provider, transaction, str(data.get("id", "")))

    def query_order(self, out_trade_no: str) -> Notice | None:
        path = (
            f"/v3/pay/transactions/out-trade-no/{urllib.parse.quote(out_trade_no)}"
            f"?mchid={urllib.parse.quote(self.mchid)}"
        )
        try:
            return _transaction_notice(self.provider, self._call("GET", path))
        except BadNotice as exc:
            raise GatewayError(str(exc)) from exc

    def answer(self, ok: bool, message: str = "") -> tuple[int, dict[str, str]]:
        # APIv3: 200/204 means received; any 4xx/5xx makes WeChat Pay send it again.
        if ok:
            return 200, {"code": SUCCESS, "message": "成功"}
        return 500, {"code": "FAIL", "message": message or "失败"}


# --- order numbers ----------------------------------------------------------------------


def trade_no_make(house_id: int, user_id: int) -> str:
    return f"PD{house_id}_{user_id}_{secrets.token_hex(5)}"


def trade_no_parse(out_trade_no: str) -> tuple[int, int]:
    """(house id, id of the staff member who created the order)."""
    m = TRADE_NO.match(out_trade_no or "")
    if not m:
        raise BadNotice(f"not one of our order numbers: {out_trade_no!r}")
    return int(m[1]), int(m[2])


def idempotency_key(provider: str, out_trade_no: str) -> str:
    return f"gw:{provider}:{out_trade_no}"


# --- services ---------------------------------------------------------------------------


def order_create(
    *,
    actor: Any,
    house_id: int | str,
    notify_url: str,
    amount: Any = None,
    provider: str | None = None,
    description: str = "",
    pay_page_url: str = "",
    now: dt.datetime | None = None,
) -> Order:
    """Ask the gateway for an order a payer can pay online; nothing is written until paid.

    Without an amount the order is for what the house owes now (owed less prepaid).
    """
    require(actor, Cap.BILLING_COLLECT)
    house = house_get_for_user(actor, house_id)
    gateway = adapter(provider)
    errors = ErrorCollector()
    if amount in (None, ""):
        account = Account.objects.filter(kind=AccountKind.HOUSE, house=house).first()
        value: Decimal | None = account.balance if account else ZERO
        if value is None or value <= ZERO:
            errors.add("amount", _("This house owes nothing; enter the amount to pay."))
    else:
        value = services._amount(errors, "amount", amount)
    errors.raise_if_any()
    assert value is not None
    now = now or timezone.now()
    expires = now + dt.timedelta(minutes=ORDER_MINUTES)
    out_trade_no = trade_no_make(house.pk, actor.pk)
    text = description or _("Property fees %(house)s") % {"house": house.label}
    try:
        pay_url, qr_text = gateway.create_order(
            out_trade_no=out_trade_no,
            amount=value,
            description=f"{house.community.name} {text}"[:127],
            notify_url=notify_url,
            pay_page_url=pay_page_url,
            expires_at=expires,
        )
    except GatewayError as exc:
        log.warning("gateway %s refused an order: %s", gateway.provider, exc)
        raise Invalid.field(
            "provider", _("The payment gateway cannot be reached; try again or pay at the desk.")
        ) from exc
    return Order(gateway.provider, out_trade_no, value, pay_url, qr_text, expires)


@dataclass(frozen=True)
class NoticeResult:
    """What to answer the provider, and the payment the notice posted (if any)."""

    status: int
    body: dict[str, str]
    payment: Payment | None = None
    replayed: bool = False


def notice_post(
    *, provider: str, headers: Mapping[str, str], body: bytes, now: dt.datetime | None = None
) -> NoticeResult:
    """Verify a payment notice and post its payment once, however often it arrives."""
    try:
        gateway = adapter(provider)
    except (Invalid, ImproperlyConfigured):
        return NoticeResult(404, {"code": "FAIL", "message": "unknown provider"})
    try:
        notice = gateway.parse_notice(headers, body)
    except BadNotice as exc:
        log.warning("refused a %s notice: %s", provider, exc)
        status, answer = gateway.answer(False, "签名错误")
        return NoticeResult(401, answer)
    if not notice.paid:
        status, answer = gateway.answer(True)
        return NoticeResult(status, answer)
    try:
        payment, replayed = _post(gateway, notice, now)
    except Exception as exc:
        # Not acknowledged: the provider sends the notice again later.
        log.exception("could not post %s notice %s", provider, notice.out_trade_no)
        status, answer = gateway.answer(False, str(getattr(exc, "message", exc))[:100])
        return NoticeResult(status, answer)
    status, answer = gateway.answer(True)
    return NoticeResult(status, answer, payment, replayed)


def _post(gateway: Gateway, notice: Notice, now: dt.datetime | None) -> tuple[Payment, bool]:
    from propdesk.accounts.models import User

    house_id, user_id = trade_no_parse(notice.out_trade_no)
    actor = User.objects.get(pk=user_id)
    return services.payment_post(
        actor=actor,
        house_id=house_id,
        amount=notice.amount,
        method=gateway.method,
        channel=Channel.ONLINE,
        external_ref=notice.transaction_id,
        idempotency_key=idempotency_key(gateway.provider, notice.out_trade_no),
        now=now,
    )


def order_check(
    *, actor: Any, out_trade_no: str, provider: str | None = None, now: dt.datetime | None = None
) -> tuple[str, Payment | None]:
    """The order's state; a paid order whose notice went missing is posted now (same key)."""
    require(actor, Cap.BILLING_COLLECT)
    try:
        house_id, _user = trade_no_parse(out_trade_no)
    except BadNotice:
        raise NotFound(_("No such online payment.")) from None
    house_get_for_user(actor, house_id)
    gateway = adapter(provider)
    key = idempotency_key(gateway.provider, out_trade_no)
    posted = Payment.objects.filter(idempotency_key=key).first()
    if posted is not None:
        return SUCCESS, posted
    try:
        notice = gateway.query_order(out_trade_no)
    except GatewayError as exc:
        raise Invalid.field(
            "provider", _("The payment gateway cannot be reached; try again later.")
        ) from exc
    if notice is None or not notice.paid:
        return (notice.state if notice else NOTPAY), None
    payment, _replayed = _post(gateway, notice, now)
    return SUCCESS, payment
