"""A fake payment gateway on loopback: orders, a pay page, HMAC-signed notices.

What the tests run instead of a real provider (no test reaches the network), and
what a developer can run beside PropDesk to try online payments over real HTTP:

    python -m propdesk.billing.fake_gateway --port 8765
    BILLING_GATEWAY=fake BILLING_GATEWAY_FAKE_URL=http://127.0.0.1:8765 propdesk serve

It speaks the protocol of `propdesk.billing.gateway.FakeGateway`: every request
and answer is signed with HMAC-SHA256 over ``timestamp\\nnonce\\nbody\\n``
(``X-Fake-*`` headers) under the shared secret.

    POST /v1/orders            create an order → {"pay_url", "code_url"}
    GET  /v1/orders/<no>       the order as a WeChat-Pay-shaped transaction
    GET  /pay/<no>             the pay page;  POST /pay/<no>  pays it and
                               sends the notice to the order's notify_url
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import hmac
import html
import json
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# No Django here: the server also runs on its own (`python -m propdesk.billing.fake_gateway`).

SUCCESS = "SUCCESS"
NOTPAY = "NOTPAY"
_DEV_FAKE_SECRET = "propdesk-fake-gateway-secret-development-only"  # noqa: S105
_CHINA = dt.timezone(dt.timedelta(hours=8))


class SignatureError(ValueError):
    """A request, answer or notice that is unsigned, wrongly signed or too old."""


def fake_signature(secret: str, timestamp: str, nonce: str, body: bytes) -> str:
    message = timestamp.encode() + b"\n" + nonce.encode() + b"\n" + body + b"\n"
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def fake_signed_headers(
    secret: str, body: bytes, *, timestamp: int | None = None
) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    nonce = secrets.token_hex(16)
    return {
        "X-Fake-Timestamp": ts,
        "X-Fake-Nonce": nonce,
        "X-Fake-Signature": fake_signature(secret, ts, nonce, body),
    }


def fake_verify(
    secret: str, headers: Mapping[str, str], body: bytes, *, tolerance: int = 300
) -> None:
    """Check the X-Fake-* signature and that it was made within `tolerance` seconds."""
    h = {k.lower(): v for k, v in headers.items()}
    ts = h.get("x-fake-timestamp", "")
    nonce = h.get("x-fake-nonce", "")
    signature = h.get("x-fake-signature", "")
    if not (ts and nonce and signature):
        raise SignatureError("unsigned")
    if not hmac.compare_digest(fake_signature(secret, ts, nonce, body), signature):
        raise SignatureError("bad signature")
    try:
        sent = int(ts)
    except ValueError:
        raise SignatureError("bad timestamp") from None
    if abs(time.time() - sent) > tolerance:
        raise SignatureError("timestamp too far from now")


def fake_transaction_id(out_trade_no: str) -> str:
    """The fake gateway's transaction number: fixed per order, so a re-sent notice is identical."""
    return "FAKE" + hashlib.sha256(out_trade_no.encode()).hexdigest()[:24].upper()


def fake_notice_body(
    out_trade_no: str, amount: Decimal, transaction_id: str, paid_at: str = ""
) -> bytes:
    """A payment-success notice (WeChat Pay's transaction fields, in clear instead of encrypted)."""
    fen = int((Decimal(amount) * 100).to_integral_value())
    return json.dumps(
        {
            "id": f"EV-{transaction_id}",
            "event_type": "TRANSACTION.SUCCESS",
            "transaction": {
                "out_trade_no": out_trade_no,
                "transaction_id": transaction_id,
                "trade_state": SUCCESS,
                "success_time": paid_at or dt.datetime.now(_CHINA).isoformat(timespec="seconds"),
                "amount": {"total": fen, "currency": "CNY"},
            },
        },
        sort_keys=True,
        ensure_ascii=False,
    ).encode()


class FakeGatewayServer:
    """Holds orders in memory; `pay(no)` pays one and delivers (or returns) its notice."""

    def __init__(self, secret: str = _DEV_FAKE_SECRET, host: str = "127.0.0.1", port: int = 0):
        self.secret = secret
        self.orders: dict[str, dict[str, Any]] = {}
        self.deliveries: list[tuple[str, int]] = []  # (out_trade_no, HTTP status PropDesk answered)
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _reply(self, status: int, payload: Any, *, page: str = "") -> None:
                data = page.encode() if page else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header(
                    "Content-Type", "text/html; charset=utf-8" if page else "application/json"
                )
                if not page:
                    for name, value in fake_signed_headers(server.secret, data).items():
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _body(self) -> bytes:
                return self.rfile.read(int(self.headers.get("Content-Length", "0") or 0))

            def _signed(self, body: bytes) -> bool:
                try:
                    fake_verify(server.secret, dict(self.headers.items()), body)
                except SignatureError:
                    self._reply(401, {"code": "SIGN_ERROR", "message": "bad signature"})
                    return False
                return True

            def do_POST(self) -> None:
                body = self._body()
                path = urllib.parse.urlparse(self.path).path
                if path == "/v1/orders":
                    if self._signed(body):
                        status, payload = server.create(json.loads(body.decode() or "{}"), self)
                        self._reply(status, payload)
                elif path.startswith("/pay/"):
                    no = urllib.parse.unquote(path.removeprefix("/pay/").strip("/"))
                    status = server.pay(no)
                    self._reply(
                        200, None, page=server.page(no, f"已支付（PropDesk 应答 {status}）")
                    )
                else:
                    self._reply(404, {"code": "NOT_FOUND"})

            def do_GET(self) -> None:
                path = urllib.parse.urlparse(self.path).path
                if path.startswith("/v1/orders/"):
                    if self._signed(b""):
                        no = urllib.parse.unquote(path.removeprefix("/v1/orders/"))
                        order = server.orders.get(no)
                        if order is None:
                            self._reply(404, {"code": "ORDER_NOT_EXIST"})
                        else:
                            self._reply(200, server.transaction(no))
                elif path.startswith("/pay/"):
                    no = urllib.parse.unquote(path.removeprefix("/pay/").strip("/"))
                    self._reply(200, None, page=server.page(no))
                else:
                    self._reply(404, {"code": "NOT_FOUND"})

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def create(
        self, data: Mapping[str, Any], handler: BaseHTTPRequestHandler
    ) -> tuple[int, dict[str, Any]]:
        no = str(data.get("out_trade_no", ""))
        total = int((data.get("amount") or {}).get("total", 0))
        if not no or total <= 0:
            return 400, {"code": "PARAM_ERROR", "message": "out_trade_no and amount.total"}
        with self.lock:
            if no in self.orders:
                return 400, {"code": "OUT_TRADE_NO_USED", "message": "order number used"}
            self.orders[no] = {
                "total": total,
                "notify_url": str(data.get("notify_url", "")),
                "description": str(data.get("description", "")),
                "state": NOTPAY,
                "paid_at": "",
            }
        link = f"{self.url}/pay/{urllib.parse.quote(no)}"
        return 200, {"pay_url": link, "code_url": link}

    def transaction(self, no: str) -> dict[str, Any]:
        order = self.orders[no]
        data: dict[str, Any] = {
            "out_trade_no": no,
            "trade_state": order["state"],
            "amount": {"total": order["total"], "currency": "CNY"},
        }
        if order["state"] == SUCCESS:
            data["transaction_id"] = fake_transaction_id(no)
        return data

    def notice(self, no: str) -> tuple[dict[str, str], bytes]:
        """The signed notice of a paid order, freshly signed (as a provider's retry is)."""
        amount = Decimal(self.orders[no]["total"]) / 100
        body = fake_notice_body(no, amount, fake_transaction_id(no), self.orders[no]["paid_at"])
        return fake_signed_headers(self.secret, body), body

    def pay(self, no: str, *, deliver: bool = True) -> int:
        """Mark the order paid and POST its notice to the notify URL; returns PropDesk's status."""
        with self.lock:
            order = self.orders.get(no)
            if order is None:
                return 404
            if order["state"] != SUCCESS:
                order["state"] = SUCCESS
                order["paid_at"] = dt.datetime.now(_CHINA).isoformat(timespec="seconds")
        if not deliver or not order["notify_url"]:
            return 0
        headers, body = self.notice(no)
        request = urllib.request.Request(  # noqa: S310 - loopback test server
            order["notify_url"],
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", **headers},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                status = int(response.status)
        except urllib.error.HTTPError as exc:
            status = exc.code
        except OSError:
            status = 0
        with self.lock:
            self.deliveries.append((no, status))
        return status

    def page(self, no: str, message: str = "") -> str:
        order = self.orders.get(no)
        if order is None:
            return "<p>订单不存在</p>"
        amount = Decimal(order["total"]) / 100
        action = (
            f'<form method="post"><button type="submit">确认支付 ¥{amount:.2f}</button></form>'
            if order["state"] != SUCCESS
            else ""
        )
        return (
            '<!doctype html><meta charset="utf-8"><title>模拟支付</title>'
            f"<h1>模拟支付网关</h1><p>{html.escape(order['description'])}</p>"
            f"<p>订单号 {html.escape(no)}，金额 ¥{amount:.2f}</p>{action}"
            f"<p>{html.escape(message)}</p>"
        )

    def __enter__(self) -> FakeGatewayServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--secret", default=_DEV_FAKE_SECRET)
    args = parser.parse_args(argv)
    server = FakeGatewayServer(args.secret, port=args.port)
    print(f"fake payment gateway on {server.url} (Ctrl-C stops it)")
    with contextlib.suppress(KeyboardInterrupt):
        server.server.serve_forever()


if __name__ == "__main__":
    main()
