from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from propdesk.notify.models import OutboxMessage


@dataclass(frozen=True)
class Delivery:
    backend: str
    delivered_to: str = ""
    provider_message_id: str = ""
    demo: bool = False


class TemporaryFailure(Exception):
    """The provider or network failed; the same message may succeed later."""


class PermanentFailure(Exception):
    """The message cannot be delivered as it is (no address, rejected number …)."""


class Adapter(Protocol):
    def send(self, message: OutboxMessage) -> Delivery: ...


def adapter_for(channel: str) -> Adapter:
    from propdesk.notify import conf
    from propdesk.notify.models import Channel

    from . import email, inapp, sms

    if channel == Channel.SMS:
        return sms.AliyunSms.from_settings() if conf.sms_backend() == "aliyun" else sms.DemoSms()
    if channel == Channel.EMAIL:
        return email.EmailAdapter(conf.email_backend())
    if channel == Channel.PORTAL:
        return inapp.PortalAdapter()
    if channel == Channel.STAFF:
        return inapp.StaffAlertAdapter()
    raise PermanentFailure(f"unknown channel {channel!r}")
