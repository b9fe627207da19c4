"""Writes of the notification outbox.

`outbox_enqueue` is what every other domain calls, inside its own transaction,
to say "tell this person this"; the worker delivers the row after the commit.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from propdesk.accounts.roles import Cap
from propdesk.accounts.selectors import community_ids_for, require
from propdesk.core.audit import audit_record
from propdesk.core.errors import Conflict, ErrorCollector, NotFound
from propdesk.core.models import AuditAction

from .models import RETRYABLE_BY_STAFF, Channel, OutboxMessage, OutboxState

_NEEDS = {
    Channel.SMS: ("to", "customer_id"),
    Channel.EMAIL: ("to", "customer_id", "staff_user_id"),
    Channel.PORTAL: ("customer_id",),
    Channel.STAFF: ("staff_user_id",),
}


def _wake_worker() -> None:
    # Lets an in-process worker (propdesk serve) pick the row up at once instead of
    # at its next poll; a separate worker process finds it by polling anyway.
    from propdesk.jobs.worker import wake

    wake()


def outbox_enqueue(
    *,
    community_id: int,
    channel: str,
    to: str = "",
    customer_id: int | None = None,
    staff_user_id: int | None = None,
    subject: str = "",
    body: str,
    ref_type: str = "",
    ref_id: str = "",
    dedupe_key: str = "",
    now: dt.datetime | None = None,
) -> OutboxMessage:
    """Queue one message for delivery after the caller's transaction commits.

    The same non-empty `dedupe_key` twice returns the first row: never a second message.
    """
    now = now or timezone.now()
    errors = ErrorCollector()
    if channel not in Channel.values:
        errors.add("channel", _("Choose one of: sms, email, portal, staff."))
    if not body.strip():
        errors.add("body", _("This field is required."))
    if len(subject) > 200:
        errors.add("subject", _("At most 200 characters."))
    if len(dedupe_key) > 200:
        errors.add("dedupe_key", _("At most 200 characters."))
    if channel in _NEEDS:
        given = {"to": bool(to.strip()), "customer_id": customer_id, "staff_user_id": staff_user_id}
        if not any(given[name] for name in _NEEDS[Channel(channel)]):
            errors.add(
                "to",
                _("Name a recipient this channel can reach: %(fields)s.")
                % {"fields": ", ".join(_NEEDS[Channel(channel)])},
            )
    if customer_id is not None:
        from propdesk.customers.models import Customer

        if not Customer.objects.filter(id=customer_id, community_id=community_id).exists():
            errors.add("customer_id", _("This customer does not belong to the community."))
    errors.raise_if_any()

    if dedupe_key:
        existing = OutboxMessage.objects.filter(dedupe_key=dedupe_key).first()
        if existing is not None:
            return existing
    fields: dict[str, Any] = {
        "community_id": community_id,
        "channel": channel,
        "to": to.strip(),
        "customer_id": customer_id,
        "staff_user_id": staff_user_id,
        "subject": subject,
        "body": body,
        "ref_type": ref_type,
        "ref_id": str(ref_id),
        "dedupe_key": dedupe_key,
        "state": OutboxState.PENDING,
        "next_attempt_at": now,
        "created_at": now,
    }
    try:
        # A savepoint, so a lost race on the dedupe key does not break the caller's
        # transaction: the constraint decides, the loser reads the winner's row.
        with transaction.atomic():
            message = OutboxMessage.objects.create(**fields)
    except IntegrityError:
        if not dedupe_key:
            raise
        return OutboxMessage.objects.get(dedupe_key=dedupe_key)
    transaction.on_commit(_wake_worker)
    return message


def outbox_retry(*, actor: Any, message_id: int, now: dt.datetime | None = None) -> OutboxMessage:
    """Put a failed or dead message back in the queue for an immediate new attempt."""
    require(actor, Cap.NOTIFY_VIEW)
    now = now or timezone.now()
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update()
            .filter(community_id__in=community_ids_for(actor), id=message_id)
            .first()
        )
        if message is None:
            raise NotFound(_("Message not found."))
        if message.state not in RETRYABLE_BY_STAFF:
            raise Conflict(_("Only failed or dead messages can be retried."))
        before = {"state": message.state, "attempts": message.attempts}
        message.state = OutboxState.PENDING
        message.attempts = 0
        message.next_attempt_at = now
        message.save(update_fields=["state", "attempts", "next_attempt_at", "updated_at"])
        audit_record(
            actor=actor,
            instance=message,
            action=AuditAction.UPDATE,
            before=before,
            after={"state": message.state, "attempts": 0},
            community_id=message.community_id,
            note="retry",
            at=now,
        )
        transaction.on_commit(_wake_worker)
    return message


def staff_alert_mark_read(*, actor: Any, alert_id: int, now: dt.datetime | None = None) -> int:
    """Mark one of the actor's own alerts read (0 = it was not theirs or already read)."""
    from .models import StaffAlert

    return StaffAlert.objects.filter(
        id=alert_id, user_id=getattr(actor, "pk", None) or 0, read_at__isnull=True
    ).update(read_at=now or timezone.now())


def portal_message_mark_read(
    *, customer_id: int, message_id: int, now: dt.datetime | None = None
) -> int:
    """Mark a message of the owner's inbox read; the portal passes the owner's own customer."""
    from .models import PortalMessage

    return PortalMessage.objects.filter(
        id=message_id, customer_id=customer_id, read_at__isnull=True
    ).update(read_at=now or timezone.now())
