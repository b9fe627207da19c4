"""Resolve where a message goes at send time (phones are stored encrypted)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from propdesk.core.crypto import decrypt

from .base import PermanentFailure

if TYPE_CHECKING:
    from propdesk.notify.models import OutboxMessage


def phone_of(message: OutboxMessage) -> str:
    if message.to:
        return message.to
    customer = message.customer
    if customer is None or not customer.phone_cipher:
        raise PermanentFailure("no mobile number for this recipient")
    return decrypt(customer.phone_cipher)


def email_of(message: OutboxMessage) -> str:
    if message.to:
        return message.to
    if message.customer is not None and message.customer.email:
        return message.customer.email
    if message.staff_user is not None and message.staff_user.email:
        return message.staff_user.email
    raise PermanentFailure("no e-mail address for this recipient")
