"""The sender: claim due outbox rows, hand each to its channel adapter, record the outcome.

Sending happens outside any transaction (a slow provider never holds a lock);
every outcome is written with a conditional UPDATE that only applies while the
row is still ours (same state, same attempt), so a worker whose lease ran out
cannot overwrite the result of the worker that took over.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.utils import timezone

from propdesk.jobs import conf as jobs_conf
from propdesk.jobs.claim import claim_due

from . import conf
from .channels import Delivery, PermanentFailure, adapter_for
from .models import CLAIMABLE_STATES, OutboxMessage, OutboxState

log = logging.getLogger("propdesk.notify")


def outbox_deliver_due(*, now: dt.datetime | None = None, limit: int | None = None) -> int:
    """Claim and deliver due messages; return how many were claimed."""
    now = now or timezone.now()
    ids = claim_due(
        OutboxMessage,
        now=now,
        limit=limit or jobs_conf.batch_size(),
        lease_seconds=jobs_conf.lease_seconds(),
        claimable_states=CLAIMABLE_STATES,
        claimed_state=OutboxState.SENDING,
        time_field="next_attempt_at",
    )
    messages = OutboxMessage.objects.filter(id__in=ids).select_related("customer", "staff_user")
    for message in messages.order_by("id"):
        outbox_deliver_one(message, now=now)
    return len(ids)


def outbox_deliver_one(message: OutboxMessage, *, now: dt.datetime) -> str:
    """Send one claimed message and record the outcome; return the new state."""
    mine = OutboxMessage.objects.filter(
        id=message.pk, state=OutboxState.SENDING, attempts=message.attempts
    )
    limit = conf.max_attempts()
    if message.attempts > limit:
        mine.update(
            state=OutboxState.DEAD,
            last_error="gave up: the worker stopped during every attempt",
            updated_at=now,
        )
        return OutboxState.DEAD
    try:
        delivery: Delivery = adapter_for(message.channel).send(message)
    except PermanentFailure as exc:
        mine.update(state=OutboxState.DEAD, last_error=str(exc)[:2000], updated_at=now)
        return OutboxState.DEAD
    except Exception as exc:
        log.warning("outbox %s attempt %s failed: %s", message.pk, message.attempts, exc)
        error = f"{type(exc).__name__}: {exc}"[:2000]
        if message.attempts >= limit:
            mine.update(state=OutboxState.DEAD, last_error=error, updated_at=now)
            return OutboxState.DEAD
        mine.update(
            state=OutboxState.FAILED,
            last_error=error,
            next_attempt_at=now + dt.timedelta(seconds=conf.backoff_seconds(message.attempts)),
            updated_at=now,
        )
        return OutboxState.FAILED
    state = OutboxState.SENT_DEMO if delivery.demo else OutboxState.SENT
    if not mine.update(
        state=state,
        sent_at=now,
        backend=delivery.backend,
        delivered_to=delivery.delivered_to[:254],
        provider_message_id=delivery.provider_message_id[:128],
        last_error="",
        updated_at=now,
    ):
        log.warning("outbox %s: delivered after its lease ran out", message.pk)
    return state
