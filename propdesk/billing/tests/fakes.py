"""A local stand-in for WeChat Pay APIv3 (Native payment), so no test reaches the network.

It checks each request's `Authorization: WECHATPAY2-SHA256-RSA2048 …` signature
with the merchant's public key as WeChat Pay does, signs its answers with its own
("platform") key, and makes payment notices the way WeChat Pay sends them: the
transaction AEAD_AES_256_GCM-encrypted under the APIv3 key, the body signed over
``timestamp\\nnonce\\nbody\\n``.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PLATFORM_SERIAL = "PUB_KEY_ID_0000000000000000000000000000001"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def public_pem(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def rsa_sign(key: rsa.RSAPrivateKey, message: bytes) -> str:
    return base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()


class FakeWechatPay:
    def __init__(self, *, mchid: str, merchant_public: rsa.RSAPublicKey, apiv3_key: str) -> None:
        self.mchid = mchid
        self.merchant_public = merchant_public
        self.apiv3_key = apiv3_key.encode()
        self.platform_key = new_key()
        self.orders: dict[str, dict[str, Any]] = {}
        self.refused: list[str] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                for name, value in fake.signed_headers(data).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _authorized(self, body: bytes) -> bool:
                ok = fake.check_authorization(
                    self.command, self.path, body, self.headers.get("Authorization", "")
                )
                if not ok:
                    fake.refused.append(self.path)
                    self._answer(401, {"code": "SIGN_ERROR", "message": "签名错误"})
                return ok

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0") or 0))
                if not self._authorized(body):
                    return
                if self.path != "/v3/pay/transactions/native":
                    self._answer(404, {"code": "NOT_FOUND"})
                    return
                data = json.loads(body.decode())
                fake.orders[data["out_trade_no"]] = {
                    "total": data["amount"]["total"],
                    "state": "NOTPAY",
                    "notify_url": data["notify_url"],
                    "description": data["description"],
                }
                self._answer(
                    200, {"code_url": f"weixin://wxpay/bizpayurl?pr={secrets.token_hex(4)}"}
                )

            def do_GET(self) -> None:
                if not self._authorized(b""):
                    return
                m = re.match(r"^/v3/pay/transactions/out-trade-no/([^?]+)\?mchid=(\w+)$", self.path)
                if not m or m[2] != fake.mchid or urllib.parse.unquote(m[1]) not in fake.orders:
                    self._answer(404, {"code": "ORDER_NOT_EXIST", "message": "订单不存在"})
                    return
                self._answer(200, fake.transaction(urllib.parse.unquote(m[1])))

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def platform_public_pem(self) -> str:
        return public_pem(self.platform_key)

    def check_authorization(self, method: str, path: str, body: bytes, header: str) -> bool:
        if not header.startswith("WECHATPAY2-SHA256-RSA2048 "):
            return False
        fields = dict(re.findall(r'(\w+)="([^"]*)"', header))
        if fields.get("mchid") != self.mchid:
            return False
        message = (
            f"{method}\n{path}\n{fields.get('timestamp')}\n{fields.get('nonce_str')}\n".encode()
            + body
            + b"\n"
        )
        try:
            self.merchant_public.verify(
                base64.b64decode(fields.get("signature", "")),
                message,
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except Exception:
            return False
        return True

    def signed_headers(self, body: bytes, *, serial: str = PLATFORM_SERIAL) -> dict[str, str]:
        ts = str(int(time.time()))
        nonce = secrets.token_hex(16)
        message = ts.encode() + b"\n" + nonce.encode() + b"\n" + body + b"\n"
        return {
            "Wechatpay-Timestamp": ts,
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Signature": rsa_sign(self.platform_key, message),
            "Wechatpay-Serial": serial,
        }

    def transaction(self, no: str) -> dict[str, Any]:
        order = self.orders[no]
        data: dict[str, Any] = {
            "appid": "wx0000000000000001",
            "mchid": self.mchid,
            "out_trade_no": no,
            "trade_state": order["state"],
            "trade_type": "NATIVE",
            "amount": {"total": order["total"], "payer_total": order["total"], "currency": "CNY"},
        }
        if order["state"] == "SUCCESS":
            data["transaction_id"] = "4200" + str(abs(hash(no)))[:24].rjust(24, "0")
            data["success_time"] = "2026-11-03T10:00:00+08:00"
        return data

    def pay(self, no: str) -> None:
        self.orders[no]["state"] = "SUCCESS"

    def notice(self, no: str) -> tuple[dict[str, str], bytes]:
        """The TRANSACTION.SUCCESS notice of a paid order, encrypted and signed."""
        nonce = secrets.token_hex(6)  # 12 characters, as WeChat Pay's
        plain = json.dumps(self.transaction(no)).encode()
        cipher = AESGCM(self.apiv3_key).encrypt(nonce.encode(), plain, b"transaction")
        body = json.dumps(
            {
                "id": f"EV-{secrets.token_hex(8)}",
                "create_time": "2026-11-03T10:00:01+08:00",
                "resource_type": "encrypt-resource",
                "event_type": "TRANSACTION.SUCCESS",
                "summary": "支付成功",
                "resource": {
                    "original_type": "transaction",
                    "algorithm": "AEAD_AES_256_GCM",
                    "ciphertext": base64.b64encode(cipher).decode(),
                    "associated_data": "transaction",
                    "nonce": nonce,
                },
            }
        ).encode()
        return self.signed_headers(body), body

    def __enter__(self) -> FakeWechatPay:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
