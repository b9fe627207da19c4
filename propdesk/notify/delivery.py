"""The sender: claim due outbox rows, hand each to its channel adapter, record the outcome.

Sending happens outside any transaction (a slow provider never holds a lock);
every outcome is written with a conditional UPDATE that only applies while the
row is still ours (same state, same attempt), so a worker whose lease ran out
cannot overwrite the result of the worker that took over.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db.models import Case, F, Value, When
from django.utils import timezone

from propdesk.jobs import conf as jobs_conf
from propdesk.jobs.claim import claim_due

from . import conf
from .channels import Delivery, PermanentFailure, adapter_for
from .digest import digests_flush, hold_bursts
from .models import CLAIMABLE_STATES, Channel, OutboxMessage, OutboxState
from .selectors import quiet_windows_of

log = logging.getLogger("propdesk.notify")


def outbox_deliver_due(*, now: dt.datetime | None = None, limit: int | None = None) -> int:
    """Claim and deliver due messages; return how many were claimed.

    Before sending: digests whose window has passed are made (and sent in this
    pass), SMS that reached quiet hours wait for their end, and a burst to one
    staff member is held for a digest.
    """
    now = now or timezone.now()
    digests_flush(now=now)
    ids = claim_due(
        OutboxMessage,
        now=now,
        limit=limit or jobs_conf.batch_size(),
        lease_seconds=jobs_conf.lease_seconds(),
        claimable_states=CLAIMABLE_STATES,
        claimed_state=OutboxState.SENDING,
        time_field="next_attempt_at",
    )
    messages = list(
        OutboxMessage.objects.filter(id__in=ids)
        .select_related("customer", "staff_user")
        .order_by("id")
    )
    messages = defer_quiet_sms(messages, now=now)
    messages = hold_bursts(messages, now=now)
    for message in messages:
        outbox_deliver_one(message, now=now)
    return len(ids)


def defer_quiet_sms(messages: list[OutboxMessage], *, now: dt.datetime) -> list[OutboxMessage]:
    """Put claimed non-urgent SMS back until their community's quiet hours end; return the rest.

    Enqueueing already schedules an SMS after quiet hours; this catches retries
    and rows that became due while the hours (or the worker's backlog) moved.
    """
    sms = [m for m in messages if m.channel == Channel.SMS and not m.urgent]
    if not sms:
        return messages
    windows = quiet_windows_of({m.community_id for m in sms})
    deferred: set[int] = set()
    by_until: dict[dt.datetime, list[int]] = {}
    for m in sms:
        window = windows.get(m.community_id)
        until = window.until(now) if window is not None else None
        if until is not None:
            by_until.setdefault(until, []).append(m.pk)
            deferred.add(m.pk)
    for until, ids in by_until.items():
        OutboxMessage.objects.filter(id__in=ids, state=OutboxState.SENDING).update(
            # Not an attempt: give back what the claim counted.
            state=Case(
                When(attempts__lte=1, then=Value(OutboxState.PENDING)),
                default=Value(OutboxState.FAILED),
            ),
            attempts=F("attempts") - 1,
            next_attempt_at=until,
            updated_at=now,
        )
    return [m for m in messages if m.pk not in deferred]


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
