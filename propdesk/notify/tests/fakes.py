"""Local stand-ins for providers: an Aliyun SMS endpoint and nothing else on the network."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from propdesk.notify.channels.sms import aliyun_signature


class FakeAliyun:
    """Checks each SendSms request's signature as Aliyun does; fails on the calls it is told to."""

    def __init__(self, secret: str, *, fail_every: int = 0) -> None:
        self.secret = secret
        self.fail_every = fail_every  # e.g. 3: calls 3, 6, 9 … fail (about 30 %)
        self.calls = 0
        self.requests: list[dict[str, str]] = []
        self.delivered: Counter[str] = Counter()  # OutId → accepted sends
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length).decode()
                params = dict(urllib.parse.parse_qsl(raw, keep_blank_values=True))
                status, body = fake.answer(params)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/"

    def answer(self, params: dict[str, str]) -> tuple[int, dict[str, str]]:
        with self.lock:
            self.calls += 1
            self.requests.append(params)
            call = self.calls
        signature = params.pop("Signature", "")
        if signature != aliyun_signature(self.secret, "POST", params):
            return 400, {"Code": "SignatureDoesNotMatch", "Message": "bad signature"}
        if params.get("Action") != "SendSms" or params.get("Version") != "2017-05-25":
            return 400, {"Code": "InvalidAction", "Message": "unknown action"}
        if not params.get("PhoneNumbers", "").isdigit():
            return 200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "bad number"}
        if self.fail_every and call % self.fail_every == 0:
            if call % 2:
                return 503, {"Message": "Service Unavailable"}
            return 200, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "throttled"}
        with self.lock:
            self.delivered[params["OutId"]] += 1
        return 200, {"Code": "OK", "Message": "OK", "BizId": f"biz-{call}", "RequestId": "r"}

    def __enter__(self) -> FakeAliyun:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
