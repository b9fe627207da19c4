"""Reads of deadline clocks for the case page and lists."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from .models import Clock
from .services import clock_status


def case_clocks(case: Any, *, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Each clock of the case with its policy, due time, and time left or how late."""
    now = now or timezone.now()
    rows = []
    for clock in Clock.objects.filter(case_id=case.pk).select_related("policy").order_by("due_at"):
        status = clock_status(clock, now=now)
        rows.append({"clock": clock, "policy": clock.policy, **status})
    return rows
