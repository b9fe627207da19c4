"""Digests: a burst of alerts to one staff member becomes one message.

Within any window of `NOTIFY_DIGEST_WINDOW_MINUTES` a staff member gets at most
`NOTIFY_DIGEST_THRESHOLD` staff alerts (and, separately, e-mails) one by one.
Beyond that the delivery loop *holds* the rest (state `held`); once the window
that started with the first held row has passed, all held rows of that person,
channel and community go out as one digest message listing them, and each held
row is marked `in_digest` pointing at it, in the same transaction that creates
the digest: a held row is never lost (it stays held until a digest takes it) and
never sent twice (only rows still `held` are taken, under a row lock).

Set-based: per claimed batch, two queries decide which rows go out and two
UPDATEs mark them; per flush, one aggregate finds the due groups.
Urgent messages and digests themselves are never held.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db import connection, transaction
from django.db.models import Count, F, Min
from django.utils import translation
from django.utils.translation import gettext as _

from propdesk.accounts.models import User

from . import conf
from .models import Channel, OutboxMessage, OutboxState

DIGEST_CHANNELS = (Channel.STAFF, Channel.EMAIL)
# Lines a digest lists; the rest are counted (the outbox page shows them all).
MAX_LINES = 100


def _candidate(m: OutboxMessage) -> bool:
    return (
        m.staff_user_id is not None
        and m.channel in DIGEST_CHANNELS
        and not m.is_digest
        and not m.urgent
    )


def hold_bursts(messages: list[OutboxMessage], *, now: dt.datetime) -> list[OutboxMessage]:
    """Hold the claimed messages that would flood their staff recipient; return the rest.

    Each message let through takes a slot (`digest_slot_at`); a person has
    `NOTIFY_DIGEST_THRESHOLD` slots per window. Workers with rows for the same
    person take turns on that person's user row, so each decision sees every
    earlier one and the count is exact however many workers run. Once a person
    has held rows, everything new for them is held until their digest; a retry
    of a message that already had its slot goes through.
    """
    limit = conf.digest_threshold()
    candidates = [m for m in messages if _candidate(m)]
    if limit <= 0 or not candidates:
        return messages
    since = now - dt.timedelta(minutes=conf.digest_window_minutes())
    users = sorted({m.staff_user_id for m in candidates if m.staff_user_id is not None})
    allow: list[int] = []
    hold: list[int] = []
    with transaction.atomic():
        # A no-op on SQLite, which has one writer anyway.
        list(
            User.objects.select_for_update()
            .filter(id__in=users)
            .order_by("id")
            .values_list("id", flat=True)
        )
        mine = OutboxMessage.objects.filter(
            staff_user_id__in=users, channel__in=DIGEST_CHANNELS, is_digest=False
        )
        used: dict[tuple[int | None, str], int] = defaultdict(int)
        for user, channel, n in (
            mine.filter(digest_slot_at__gte=since)
            .values_list("staff_user_id", "channel")
            .annotate(n=Count("id"))
            .values_list("staff_user_id", "channel", "n")
        ):
            used[(user, channel)] = n
        held_keys = set(
            mine.filter(state=OutboxState.HELD).values_list("staff_user_id", "channel").distinct()
        )
        for m in sorted(candidates, key=lambda m: m.pk):
            key = (m.staff_user_id, m.channel)
            if m.digest_slot_at is not None:
                continue  # a retry: it had its slot
            if key not in held_keys and used[key] < limit:
                used[key] += 1
                allow.append(m.pk)
            else:
                hold.append(m.pk)
        if allow:
            OutboxMessage.objects.filter(id__in=allow).update(digest_slot_at=now)
        if hold:
            OutboxMessage.objects.filter(id__in=hold, state=OutboxState.SENDING).update(
                state=OutboxState.HELD,
                # The claim counted an attempt; holding is not one.
                attempts=F("attempts") - 1,
                next_attempt_at=now + dt.timedelta(minutes=conf.digest_window_minutes()),
                updated_at=now,
            )
    held = set(hold)
    return [m for m in messages if m.pk not in held]


def digests_flush(*, now: dt.datetime, limit: int = 100) -> int:
    """Turn each group of held rows whose window has passed into one digest; return how many."""
    groups = list(
        OutboxMessage.objects.filter(state=OutboxState.HELD)
        .values("staff_user_id", "channel", "community_id")
        .annotate(first=Min("next_attempt_at"))
        .filter(first__lte=now)
        .order_by("first")[:limit]
    )
    made = 0
    for group in groups:
        if _flush_group(
            staff_user_id=group["staff_user_id"],
            channel=group["channel"],
            community_id=group["community_id"],
            now=now,
        ):
            made += 1
    return made


def _flush_group(*, staff_user_id: int, channel: str, community_id: int, now: dt.datetime) -> bool:
    from propdesk.estates.models import Community

    from .rendering import display_value
    from .services import message_render, normalise_language

    with transaction.atomic():
        qs = OutboxMessage.objects.filter(
            state=OutboxState.HELD,
            staff_user_id=staff_user_id,
            channel=channel,
            community_id=community_id,
        ).order_by("created_at", "id")
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True)
        held = list(qs.only("id", "subject", "body", "created_at"))
        if not held:
            return False
        user = User.objects.filter(id=staff_user_id).only("language").first()
        community = Community.objects.only("name", "time_zone").get(id=community_id)
        language = normalise_language(user.language if user else None)
        with translation.override(language):
            lines = [
                f"- {display_value(m.created_at, tz=community.tzinfo)[5:]} "
                f"{(m.subject or m.body).splitlines()[0][:80]}"
                for m in held[:MAX_LINES]
            ]
            if len(held) > MAX_LINES:
                lines.append(_("… and %(n)d more (see the outbox).") % {"n": len(held) - MAX_LINES})
        window = conf.digest_window_minutes()
        text = message_render(
            event="notify.digest",
            channel=channel,
            language=language,
            context={
                "count": len(held),
                "window_minutes": window,
                "items": "\n".join(lines),
                "community_name": community.name,
            },
            community_id=community_id,
        )
        digest = OutboxMessage.objects.create(
            community_id=community_id,
            channel=channel,
            staff_user_id=staff_user_id,
            subject=text.subject[:200],
            body=text.body,
            ref_type="notify.digest",
            ref_id=str(held[0].pk),
            # The first held row names the digest: a retried flush cannot make a second one.
            dedupe_key=f"notify.digest:{held[0].pk}",
            event="notify.digest",
            is_digest=True,
            state=OutboxState.PENDING,
            next_attempt_at=now,
            created_at=now,
        )
        taken = OutboxMessage.objects.filter(
            id__in=[m.pk for m in held], state=OutboxState.HELD
        ).update(state=OutboxState.IN_DIGEST, digest=digest, updated_at=now)
        if taken != len(held):
            # Someone else took some of them meanwhile (only possible without row
            # locks): undo, so no row is listed in two digests.
            transaction.set_rollback(True)
            return False
    return True
