"""Business-calendar arithmetic: working hours, China's statutory holidays and
make-up working days (调休/补班), and per-date overrides.

Pure functions over a `WorkingCalendar` value; the per-community settings that
build one (working hours, overrides editable in the console) live with the
service-standard policies. All inputs and outputs are aware datetimes; the
arithmetic happens in the community's wall-clock time, so "the same working
day" means the community's day, whatever zone the server runs in.

Which days are working days, in order of precedence:
1. an explicit override for the date (a holiday the package does not know, a
   year it has no data for yet, a local day off);
2. `chinese_calendar` for the years it covers (statutory holidays, and the
   weekend days that are make-up working days);
3. Monday to Friday.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import chinese_calendar

DEFAULT_HOURS: tuple[tuple[dt.time, dt.time], ...] = (
    (dt.time(8, 30), dt.time(12, 0)),
    (dt.time(13, 30), dt.time(18, 0)),
)
# Far enough for any service standard; a calendar with no working day in this
# span is a configuration error, not a reason to loop forever.
_MAX_DAYS = 3 * 366


def statutory_data_covers(year: int) -> bool:
    """Whether the installed `chinese_calendar` knows the holidays of `year`."""
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


@dataclass(frozen=True)
class WorkingCalendar:
    """A community's working time: zone, daily intervals, date overrides.

    `hours` are (start, end) wall-clock intervals of a working day, ordered and
    not overlapping; an end of 00:00 means midnight at the end of the day, so
    `((time(0), time(0)),)` is a round-the-clock desk.
    """

    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    hours: tuple[tuple[dt.time, dt.time], ...] = DEFAULT_HOURS
    overrides: Mapping[dt.date, bool] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.hours:
            raise ValueError("a working calendar needs at least one interval a day")
        previous_end = dt.timedelta(0)
        for start, end in self.hours:
            s, e = _offset(start), _offset(end, end_of_day=True)
            if e <= s or s < previous_end:
                raise ValueError(
                    f"working interval {start}-{end} is empty or overlaps the previous one"
                )
            previous_end = e

    # -- days ---------------------------------------------------------------
    def is_workday(self, day: dt.date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            return day.weekday() < 5

    def periods(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        """The aware working intervals of one local day (none on a day off)."""
        if not self.is_workday(day):
            return []
        midnight = dt.datetime.combine(day, dt.time(0), tzinfo=self.tz)
        return [
            (
                _at(midnight, _offset(start)),
                _at(midnight, _offset(end, end_of_day=True)),
            )
            for start, end in self.hours
        ]

    def _periods_from(self, at: dt.datetime) -> Iterator[tuple[dt.datetime, dt.datetime]]:
        """Working intervals that end after `at`, in order (starting on at's local day)."""
        day = at.astimezone(self.tz).date()
        for offset in range(_MAX_DAYS):
            for start, end in self.periods(day + dt.timedelta(days=offset)):
                if end > at:
                    yield max(start, at), end
        raise ValueError("no working time in the next three years: check the calendar overrides")

    # -- instants -----------------------------------------------------------
    def is_working_time(self, at: dt.datetime) -> bool:
        return any(start <= at < end for start, end in self.periods(at.astimezone(self.tz).date()))

    def next_working_instant(self, at: dt.datetime) -> dt.datetime:
        """`at` itself during working time, otherwise the start of the next interval."""
        start, _end = next(self._periods_from(_aware(at)))
        return start

    def add_working_time(self, start: dt.datetime, duration: dt.timedelta) -> dt.datetime:
        """The instant after `duration` of working time has passed since `start`."""
        if duration < dt.timedelta(0):
            raise ValueError("duration must not be negative")
        remaining = duration
        for begin, end in self._periods_from(_aware(start)):
            available = end - begin
            if remaining <= available:
                return begin + remaining
            remaining -= available
        raise AssertionError("unreachable: _periods_from raises when it runs out")

    def add_working_days(self, start: dt.datetime, days: int) -> dt.datetime:
        """The same wall-clock time `days` working days later.

        A start outside working time counts from the next working instant, so a
        complaint received on Saturday evening with "2 working days" is due on
        Tuesday at opening time (when Monday and Tuesday are working days).
        """
        if days < 0:
            raise ValueError("days must not be negative")
        begin = self.next_working_instant(start).astimezone(self.tz)
        day = begin.date()
        counted = 0
        for _ in range(_MAX_DAYS):
            if counted == days:
                return dt.datetime.combine(day, begin.time(), tzinfo=self.tz)
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                counted += 1
        raise ValueError("no working days in the next three years: check the calendar overrides")

    def end_of_working_day(self, at: dt.datetime) -> dt.datetime:
        """End of the working day `at` falls in; after hours or on a day off, of the next one."""
        at = _aware(at)
        day = at.astimezone(self.tz).date()
        for offset in range(_MAX_DAYS):
            periods = self.periods(day + dt.timedelta(days=offset))
            if periods and periods[-1][1] > at:
                return periods[-1][1]
        raise ValueError("no working days in the next three years: check the calendar overrides")

    def working_time_between(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """Working time inside [start, end); negative when end is before start."""
        start, end = _aware(start), _aware(end)
        if end < start:
            return -self.working_time_between(end, start)
        total = dt.timedelta(0)
        for begin, finish in self._periods_from(start):
            if begin >= end:
                break
            total += min(finish, end) - begin
        return total


def _offset(t: dt.time, *, end_of_day: bool = False) -> dt.timedelta:
    offset = dt.timedelta(hours=t.hour, minutes=t.minute, seconds=t.second)
    if end_of_day and offset == dt.timedelta(0):
        return dt.timedelta(days=1)
    return offset


def _at(midnight: dt.datetime, offset: dt.timedelta) -> dt.datetime:
    # Wall-clock arithmetic: combine the local date with the time, then let the
    # zone decide the UTC offset (correct in zones with and without DST).
    local = midnight.replace(tzinfo=None) + offset
    return local.replace(tzinfo=midnight.tzinfo)


def _aware(at: dt.datetime) -> dt.datetime:
    if at.tzinfo is None:
        raise ValueError("business-calendar arithmetic needs aware datetimes")
    return at
