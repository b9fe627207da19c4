"""Portal inbox and staff alerts: delivery is a row the reader's screen shows."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import Delivery, PermanentFailure

if TYPE_CHECKING:
    from propdesk.notify.models import OutboxMessage


class PortalAdapter:
    def send(self, message: OutboxMessage) -> Delivery:
        from propdesk.notify.models import PortalMessage

        if message.customer_id is None:
            raise PermanentFailure("a portal message needs a customer")
        # One inbox row per outbox row, however often the send is retried.
        row, _ = PortalMessage.objects.get_or_create(
            outbox=message,
            defaults={
                "community_id": message.community_id,
                "customer_id": message.customer_id,
                "subject": message.subject,
                "body": message.body,
                "ref_type": message.ref_type,
                "ref_id": message.ref_id,
            },
        )
        return Delivery(backend="portal", provider_message_id=f"portal:{row.pk}")


class StaffAlertAdapter:
    def send(self, message: OutboxMessage) -> Delivery:
        from propdesk.notify.models import StaffAlert

        if message.staff_user_id is None:
            raise PermanentFailure("a staff alert needs a staff member")
        row, _ = StaffAlert.objects.get_or_create(
            outbox=message,
            defaults={
                "community_id": message.community_id,
                "user_id": message.staff_user_id,
                "subject": message.subject,
                "body": message.body,
                "ref_type": message.ref_type,
                "ref_id": message.ref_id,
            },
        )
        return Delivery(backend="staff", provider_message_id=f"alert:{row.pk}")
