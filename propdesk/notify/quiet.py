"""Quiet hours: when a community's residents get no SMS (22:00–08:00 unless set otherwise).

Pure arithmetic on local wall-clock times; the window may cross midnight
(22:00–08:00) or not (12:00–14:00). Times are compared in the community's own
time zone, so 23:00 in Urumqi is quiet even when it is 01:00 in Shanghai.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

DEFAULT_START = dt.time(22, 0)
DEFAULT_END = dt.time(8, 0)


@dataclass(frozen=True)
class QuietWindow:
    enabled: bool
    start: dt.time
    end: dt.time
    tz: zoneinfo.ZoneInfo

    def until(self, at: dt.datetime) -> dt.datetime | None:
        """The end of the quiet period `at` falls in (aware, UTC), or None when it is not quiet."""
        if not self.enabled or self.start == self.end:
            return None
        local = at.astimezone(self.tz)
        t = local.time().replace(tzinfo=None)
        day = local.date()
        if self.start < self.end:  # e.g. 12:00–14:00, within one day
            if not self.start <= t < self.end:
                return None
            end_day = day
        else:  # crosses midnight, e.g. 22:00–08:00
            if self.end <= t < self.start:
                return None
            end_day = day + dt.timedelta(days=1) if t >= self.start else day
        end_local = dt.datetime.combine(end_day, self.end, tzinfo=self.tz)
        # Through UTC and back: a wall time skipped by a DST change resolves forward.
        return end_local.astimezone(dt.UTC)


def window_for(
    *,
    time_zone: str,
    enabled: bool = True,
    start: dt.time | None = None,
    end: dt.time | None = None,
) -> QuietWindow:
    try:
        tz = zoneinfo.ZoneInfo(time_zone or "Asia/Shanghai")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = zoneinfo.ZoneInfo("Asia/Shanghai")
    return QuietWindow(
        enabled=enabled,
        start=DEFAULT_START if start is None else start,
        end=DEFAULT_END if end is None else end,
        tz=tz,
    )
