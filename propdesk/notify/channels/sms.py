"""SMS adapters: the demo backend (records, sends nothing) and Aliyun SMS.

Aliyun SMS (dysmsapi, API version 2017-05-25) `SendSms` over its RPC-style HTTP
API, signed as Alibaba Cloud documents it ("signature method", SignatureVersion
1.0): sort every parameter except `Signature` by name, percent-encode names and
values per RFC 3986 (space → %20, `*` → %2A, `~` kept), join as a query string,
build `StringToSign = METHOD & %2F & percentEncode(query)`, sign it with
HMAC-SHA1 keyed by `AccessKeySecret + "&"` and send the Base64 digest as
`Signature`. Aliyun only sends approved templates, so the body travels as one
template variable (ALIYUN_SMS_TEMPLATE_PARAM, default `content`) of the
configured template (ALIYUN_SMS_TEMPLATE_CODE) under the approved sign name.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured

from propdesk.core.identity import phone_display
from propdesk.notify import conf
from propdesk.notify.masking import mask_address

from .base import Delivery, PermanentFailure, TemporaryFailure
from .recipients import phone_of

if TYPE_CHECKING:
    from propdesk.notify.models import OutboxMessage

ALIYUN_ENDPOINT = "https://dysmsapi.aliyuncs.com/"

# Error codes that will fail the same way however often they are retried.
ALIYUN_PERMANENT_CODES = frozenset(
    {
        "isv.MOBILE_NUMBER_ILLEGAL",
        "isv.MOBILE_COUNT_OVER_LIMIT",
        "isv.PARAM_LENGTH_LIMIT",
        "isv.TEMPLATE_MISSING_PARAMETERS",
        "isv.INVALID_PARAMETERS",
        "isv.BLACK_KEY_CONTROL_LIMIT",
        "isv.DENY_IP_RANGE",
    }
)


class DemoSms:
    """The default: write what would be sent on the row; staff read it as "sent (demo)"."""

    def send(self, message: OutboxMessage) -> Delivery:
        phone = phone_of(message)
        return Delivery(backend="sms-demo", delivered_to=mask_address(phone), demo=True)


def percent_encode(value: str) -> str:
    """RFC 3986 encoding as Alibaba Cloud's signature requires."""
    return urllib.parse.quote(value, safe="-_.~")


def aliyun_string_to_sign(method: str, params: dict[str, str]) -> str:
    query = "&".join(f"{percent_encode(k)}={percent_encode(params[k])}" for k in sorted(params))
    return f"{method}&{percent_encode('/')}&{percent_encode(query)}"


def aliyun_signature(secret: str, method: str, params: dict[str, str]) -> str:
    digest = hmac.new(
        (secret + "&").encode(), aliyun_string_to_sign(method, params).encode(), hashlib.sha1
    ).digest()
    return base64.b64encode(digest).decode()


class AliyunSms:
    def __init__(
        self,
        *,
        access_key_id: str,
        access_key_secret: str,
        sign_name: str,
        template_code: str,
        template_param: str = "content",
        endpoint: str = ALIYUN_ENDPOINT,
        region: str = "cn-hangzhou",
        timeout: int = 10,
    ) -> None:
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.sign_name = sign_name
        self.template_code = template_code
        self.template_param = template_param
        self.endpoint = endpoint
        self.region = region
        self.timeout = timeout

    @classmethod
    def from_settings(cls) -> AliyunSms:
        values = {
            name: conf.conf_str(name, "")
            for name in (
                "ALIYUN_SMS_ACCESS_KEY_ID",
                "ALIYUN_SMS_ACCESS_KEY_SECRET",
                "ALIYUN_SMS_SIGN_NAME",
                "ALIYUN_SMS_TEMPLATE_CODE",
            )
        }
        missing = [name for name, value in values.items() if not value]
        if missing:
            raise ImproperlyConfigured(
                "NOTIFY_SMS_BACKEND=aliyun needs " + ", ".join(missing) + "."
            )
        return cls(
            access_key_id=values["ALIYUN_SMS_ACCESS_KEY_ID"],
            access_key_secret=values["ALIYUN_SMS_ACCESS_KEY_SECRET"],
            sign_name=values["ALIYUN_SMS_SIGN_NAME"],
            template_code=values["ALIYUN_SMS_TEMPLATE_CODE"],
            template_param=conf.conf_str("ALIYUN_SMS_TEMPLATE_PARAM", "content"),
            endpoint=conf.conf_str("ALIYUN_SMS_ENDPOINT", ALIYUN_ENDPOINT),
            region=conf.conf_str("ALIYUN_SMS_REGION", "cn-hangzhou"),
            timeout=conf.send_timeout_seconds(),
        )

    def build_params(
        self, *, phone: str, text: str, out_id: str, now: dt.datetime, nonce: str
    ) -> dict[str, str]:
        params = {
            "AccessKeyId": self.access_key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "RegionId": self.region,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": nonce,
            "SignatureVersion": "1.0",
            "Timestamp": now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
            "PhoneNumbers": phone_display(phone),
            "SignName": self.sign_name,
            "TemplateCode": self.template_code,
            "TemplateParam": json.dumps({self.template_param: text}, ensure_ascii=False),
            # The provider echoes OutId in delivery receipts: it names our outbox row.
            "OutId": out_id,
        }
        params["Signature"] = aliyun_signature(self.access_key_secret, "POST", params)
        return params

    def send(self, message: OutboxMessage) -> Delivery:
        phone = phone_of(message)
        params = self.build_params(
            phone=phone,
            text=message.body,
            out_id=str(message.pk),
            now=dt.datetime.now(dt.UTC),
            nonce=uuid.uuid4().hex,
        )
        body = urllib.parse.urlencode(params, quote_via=urllib.parse.quote).encode()
        request = urllib.request.Request(  # noqa: S310 - endpoint is operator configuration
            self.endpoint,
            data=body,
            method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                payload = _json(response.read())
        except urllib.error.HTTPError as exc:
            payload = _json(exc.read())
            if exc.code >= 500 or not payload.get("Code"):
                raise TemporaryFailure(f"HTTP {exc.code}") from exc
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            raise TemporaryFailure(f"{type(exc).__name__}: {exc}") from exc
        code = str(payload.get("Code", ""))
        if code != "OK":
            detail = f"{code}: {payload.get('Message', '')}"
            if code in ALIYUN_PERMANENT_CODES:
                raise PermanentFailure(detail)
            raise TemporaryFailure(detail)
        return Delivery(
            backend="aliyun",
            delivered_to=mask_address(phone),
            provider_message_id=str(payload.get("BizId", "")),
        )


def _json(raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw.decode("utf-8") or "{}")
    except (UnicodeDecodeError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}
