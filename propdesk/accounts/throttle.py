"""Lock-out after repeated wrong passwords: console and admin log-in, the API's token
endpoint (all through `authenticate`), and the approver's password of a billing
correction.

A key (`login:<username>`, `approver:<user id>`) that collects
`PROPDESK_AUTH_MAX_FAILURES` wrong passwords (default 5) within
`PROPDESK_AUTH_LOCK_MINUTES` (default 15) is refused, even with the right password,
until the oldest of those failures is that many minutes old. A right password
clears the key. Failures are rows in the database, so every worker process sees
them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.utils import timezone

from .models import AuthFailure


def _limits() -> tuple[int, dt.timedelta]:
    failures = int(getattr(settings, "PROPDESK_AUTH_MAX_FAILURES", 5))
    minutes = int(getattr(settings, "PROPDESK_AUTH_LOCK_MINUTES", 15))
    return failures, dt.timedelta(minutes=minutes)


def login_key(username: str) -> str:
    return f"login:{(username or '').strip().lower()}"[:190]


def locked_until(key: str, *, now: dt.datetime | None = None) -> dt.datetime | None:
    """When the key may try again, if it is locked now; else None."""
    now = now or timezone.now()
    limit, window = _limits()
    if limit <= 0:
        return None
    recent = list(
        AuthFailure.objects.filter(key=key, at__gt=now - window)
        .order_by("-at")
        .values_list("at", flat=True)[:limit]
    )
    if len(recent) < limit:
        return None
    return recent[-1] + window


def failure_record(key: str, *, now: dt.datetime | None = None) -> None:
    """Count one wrong password for `key` (and forget its failures older than the window)."""
    now = now or timezone.now()
    _limit, window = _limits()
    AuthFailure.objects.filter(key=key, at__lte=now - window).delete()
    AuthFailure.objects.create(key=key, at=now)


def failures_clear(key: str) -> None:
    AuthFailure.objects.filter(key=key).delete()


class Locked(Exception):
    """The key is locked until `until`."""

    def __init__(self, until: dt.datetime) -> None:
        super().__init__(until)
        self.until = until


def password_verify(user: Any, raw: str, *, purpose: str) -> bool:
    """Whether `raw` is `user`'s password, for a second person confirming something
    (`purpose`: "approver"); a wrong one counts, a right one clears the count, and a
    locked user raises `Locked` without the password being checked."""
    key = f"{purpose}:{user.pk}"
    until = locked_until(key)
    if until is not None:
        raise Locked(until)
    if not user.check_password(raw or ""):
        failure_record(key)
        return False
    failures_clear(key)
    return True
