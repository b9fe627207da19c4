"""Claim due rows so that several workers never take the same one.

PostgreSQL: `SELECT … FOR UPDATE SKIP LOCKED` picks rows nobody else holds and
one UPDATE marks them claimed with a lease. SQLite (one writer at a time): a
conditional UPDATE per candidate — it only succeeds while the row is still in
the state and at the time we read, as healthchecks' `sendalerts` does.

A claimed row's time field becomes `now + lease`; a worker that dies mid-job
leaves the row claimed until the lease runs out, then any worker claims it again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import connection, models, transaction
from django.db.models import F


def claim_due(
    model: type[models.Model],
    *,
    now: dt.datetime,
    limit: int,
    lease_seconds: int,
    claimable_states: Sequence[str],
    claimed_state: str,
    time_field: str,
) -> list[int]:
    """Claim up to `limit` rows due by `now`; return their ids (attempts already +1)."""
    manager: Any = model._default_manager
    due = manager.filter(**{"state__in": list(claimable_states), f"{time_field}__lte": now})
    changes = {
        "state": claimed_state,
        time_field: now + dt.timedelta(seconds=lease_seconds),
        "attempts": F("attempts") + 1,
    }
    if connection.features.has_select_for_update_skip_locked:
        with transaction.atomic():
            ids = list(
                due.select_for_update(skip_locked=True)
                .order_by(time_field, "id")
                .values_list("id", flat=True)[:limit]
            )
            if ids:
                manager.filter(id__in=ids).update(**changes)
        return ids
    claimed: list[int] = []
    candidates = list(due.order_by(time_field, "id").values_list("id", "state", time_field)[:limit])
    for pk, state, stamp in candidates:
        won = manager.filter(id=pk, state=state, **{time_field: stamp}).update(**changes)
        if won:
            claimed.append(pk)
    return claimed
