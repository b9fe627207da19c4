"""Business-calendar arithmetic around China's holidays and make-up working days.

The 2026 dates used here come from the State Council's holiday notice as
shipped in `chinese_calendar`: Spring Festival 15–23 February with make-up
Saturdays 14 and 28 February; Mid-autumn 25–27 September; National Day 1–7
October with the make-up Saturday 10 October. 2025: National Day and Mid-autumn 1–8 October with the
make-up Sunday 28 September and Saturday 11 October.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from propdesk.core.calendar import WorkingCalendar, statutory_data_covers

SH = ZoneInfo("Asia/Shanghai")
URUMQI = ZoneInfo("Asia/Urumqi")  # UTC+6, no DST


def local(y, m, d, hh=0, mm=0, tz=SH):
    return dt.datetime(y, m, d, hh, mm, tzinfo=tz)


@pytest.fixture
def cal():
    return WorkingCalendar(tz=SH)


def test_make_up_saturday_is_a_working_day_and_holiday_weekday_is_not(cal):
    assert cal.is_workday(dt.date(2026, 2, 14))  # Saturday, make-up day
    assert not cal.is_workday(dt.date(2026, 2, 16))  # Monday, Spring Festival
    assert not cal.is_workday(dt.date(2026, 10, 1))  # Thursday, National Day
    assert cal.is_workday(dt.date(2026, 10, 10))  # Saturday, make-up day
    assert not cal.is_workday(dt.date(2026, 10, 11))  # ordinary Sunday


def test_two_working_days_across_spring_festival(cal):
    # Friday 13 Feb 17:00 → Sat 14 (make-up) is day 1, then nine days off,
    # Tue 24 Feb is day 2.
    assert cal.add_working_days(local(2026, 2, 13, 17), 2) == local(2026, 2, 24, 17)


def test_three_days_after_leak_test_on_the_friday_before_national_day(cal):
    # Leak test on Wed 30 Sep (the last working day before the holiday; the
    # Friday before, 25 Sep, is Mid-autumn). Working days after it: Thu 8 Oct,
    # Fri 9 Oct, Sat 10 Oct (make-up) → due Sat 10 Oct at the same time (R-REP-5).
    assert cal.add_working_days(local(2026, 9, 30, 15), 3) == local(2026, 10, 10, 15)
    # In natural days the same rule would have fallen in the middle of the holiday.
    assert local(2026, 9, 30, 15) + dt.timedelta(days=3) == local(2026, 10, 3, 15)


def test_leak_test_on_friday_26_sep_2025_counts_the_make_up_sunday(cal):
    # 2025: Sun 28 Sep is a make-up working day, 1–8 Oct are off. From Fri 26 Sep:
    # Sun 28 (day 1), Mon 29 (day 2), Tue 30 (day 3).
    assert cal.add_working_days(local(2025, 9, 26, 15), 3) == local(2025, 9, 30, 15)
    # Four working days from the same Friday lands after the holiday: Thu 9 Oct.
    assert cal.add_working_days(local(2025, 9, 26, 15), 4) == local(2025, 10, 9, 15)


def test_received_on_a_make_up_saturday_counts_that_day(cal):
    # A complaint on make-up Saturday 10 Oct at 10:00 with 2 working days:
    # Sun 11 is off, Mon 12 day 1, Tue 13 day 2.
    assert cal.add_working_days(local(2026, 10, 10, 10), 2) == local(2026, 10, 13, 10)


def test_same_working_day_for_a_major_complaint_at_1750(cal):
    # R-CMP-6: received 17:50 on a working day → due at the end of that day.
    assert cal.end_of_working_day(local(2026, 11, 20, 17, 50)) == local(2026, 11, 20, 18)
    # Received after hours on Friday → the end of the next working day (Monday).
    assert cal.end_of_working_day(local(2026, 11, 20, 18, 30)) == local(2026, 11, 23, 18)


def test_one_working_hour_across_lunch_and_across_midnight(cal):
    assert cal.add_working_time(local(2026, 11, 20, 11, 30), dt.timedelta(hours=1)) == local(
        2026, 11, 20, 14
    )
    # 17:30 Thursday + 1 h: 30 min today, 30 min from 08:30 Friday.
    assert cal.add_working_time(local(2026, 11, 19, 17, 30), dt.timedelta(hours=1)) == local(
        2026, 11, 20, 9
    )


def test_round_the_clock_desk_crosses_midnight_in_natural_time():
    desk = WorkingCalendar(tz=SH, hours=((dt.time(0), dt.time(0)),))
    assert desk.add_working_time(local(2026, 11, 19, 23, 30), dt.timedelta(hours=1)) == local(
        2026, 11, 20, 0, 30
    )


def test_same_rule_in_two_zones_gives_local_times(cal):
    urumqi = WorkingCalendar(tz=URUMQI)
    due_sh = cal.end_of_working_day(local(2026, 11, 20, 10))
    due_ur = urumqi.end_of_working_day(local(2026, 11, 20, 10, tz=URUMQI))
    assert due_sh.astimezone(SH).time() == due_ur.astimezone(URUMQI).time() == dt.time(18)
    assert due_ur - due_sh == dt.timedelta(hours=2)


def test_working_time_between_skips_nights_weekends_and_holidays(cal):
    # Wed 30 Sep 17:00 → Thu 8 Oct 09:30: 1 h on the 30th, 1 h on the 8th.
    assert cal.working_time_between(
        local(2026, 9, 30, 17), local(2026, 10, 8, 9, 30)
    ) == dt.timedelta(hours=2)
    assert cal.working_time_between(
        local(2026, 10, 8, 9, 30), local(2026, 9, 30, 17)
    ) == -dt.timedelta(hours=2)


def test_override_beats_package_and_covers_unknown_years():
    assert not statutory_data_covers(2099)
    cal = WorkingCalendar(
        tz=SH,
        overrides={dt.date(2026, 11, 20): False, dt.date(2099, 1, 3): True},
    )
    assert not cal.is_workday(dt.date(2026, 11, 20))  # a local day off on a Friday
    assert cal.is_workday(dt.date(2099, 1, 3))  # a Saturday made a working day
    assert cal.is_workday(dt.date(2099, 1, 5))  # unknown year: Monday to Friday


def test_bad_calendars_and_inputs_are_refused():
    with pytest.raises(ValueError, match="overlaps"):
        WorkingCalendar(hours=((dt.time(9), dt.time(12)), (dt.time(11), dt.time(13))))
    with pytest.raises(ValueError, match="aware"):
        WorkingCalendar().add_working_time(dt.datetime(2026, 1, 5, 9), dt.timedelta(hours=1))
    with pytest.raises(ValueError, match="negative"):
        WorkingCalendar().add_working_days(local(2026, 1, 5, 9), -1)
    # Every day of the next years declared a day off: refused, not an endless loop.
    start = dt.date(2026, 1, 1)
    no_work = WorkingCalendar(
        overrides={start + dt.timedelta(days=i): False for i in range(3 * 366 + 2)}
    )
    with pytest.raises(ValueError, match="overrides"):
        no_work.add_working_time(local(2026, 1, 1, 9), dt.timedelta(hours=1))
