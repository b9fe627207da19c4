"""Quiet hours: no SMS 22:00–08:00 community time except urgent ones; queued, never dropped."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from propdesk.core.errors import Forbidden, Invalid, NotFound
from propdesk.core.models import AuditEvent
from propdesk.notify.delivery import outbox_deliver_due
from propdesk.notify.models import OutboxMessage, OutboxState, QuietHours
from propdesk.notify.quiet import window_for
from propdesk.notify.selectors import quiet_window_of
from propdesk.notify.services import outbox_enqueue, quiet_hours_set

SH = zoneinfo.ZoneInfo("Asia/Shanghai")
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
NY = zoneinfo.ZoneInfo("America/New_York")


def sh(day: int, hour: int, minute: int = 0, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=SH)


def _sms(cast, now, community=None, **kw):
    return outbox_enqueue(
        community_id=(community or cast.alpha).id,
        channel="sms",
        to="+8613800138000",
        body="您的快递已到前台",
        now=now,
        **kw,
    )


@pytest.mark.parametrize(
    ("local", "until"),
    [
        (sh(30, 21, 59), None),
        (sh(30, 22, 0), sh(1, 8, month=12)),
        (sh(30, 23, 30), sh(1, 8, month=12)),  # across midnight: next morning
        (sh(30, 0, 5), sh(30, 8)),  # after midnight: this morning
        (sh(30, 7, 59), sh(30, 8)),
        (sh(30, 8, 0), None),
        (sh(30, 12, 0), None),
    ],
)
def test_default_window_crosses_midnight_in_shanghai(local, until):
    window = window_for(time_zone="Asia/Shanghai")
    assert window.until(local) == until


def test_a_window_within_one_day():
    window = window_for(time_zone="Asia/Shanghai", start=dt.time(12), end=dt.time(14))
    assert window.until(sh(30, 11, 59)) is None
    assert window.until(sh(30, 12, 0)) == sh(30, 14)
    assert window.until(sh(30, 14, 0)) is None
    assert window.until(sh(30, 23, 0)) is None


def test_off_means_never_quiet():
    assert window_for(time_zone="Asia/Shanghai", enabled=False).until(sh(30, 23)) is None


def test_the_same_instant_is_quiet_in_shanghai_and_not_in_berlin():
    instant = dt.datetime(2026, 11, 30, 14, 30, tzinfo=dt.UTC)  # 22:30 Shanghai, 15:30 Berlin
    assert window_for(time_zone="Asia/Shanghai").until(instant) == sh(1, 8, month=12)
    assert window_for(time_zone="Europe/Berlin").until(instant) is None
    night_in_berlin = dt.datetime(2026, 11, 30, 23, 0, tzinfo=dt.UTC)  # 00:00 Berlin, 07:00 SH
    assert window_for(time_zone="Europe/Berlin").until(night_in_berlin) == dt.datetime(
        2026, 12, 1, 8, 0, tzinfo=BERLIN
    )
    assert window_for(time_zone="Asia/Shanghai").until(night_in_berlin) == sh(1, 8, month=12)


def test_an_end_skipped_by_daylight_saving_resolves_after_the_gap():
    # New York springs forward at 02:00 on 2026-03-08: 02:30 does not exist that night.
    window = window_for(time_zone="America/New_York", start=dt.time(22), end=dt.time(2, 30))
    until = window.until(dt.datetime(2026, 3, 7, 23, 0, tzinfo=NY))
    assert until == dt.datetime(2026, 3, 8, 7, 30, tzinfo=dt.UTC)  # 03:30 EDT
    assert until.astimezone(NY).hour == 3


def test_sms_queued_at_night_waits_for_the_morning_and_is_then_sent(cast):
    night = sh(30, 23, 10)
    message = _sms(cast, night)
    assert message.state == OutboxState.PENDING
    assert message.next_attempt_at == sh(1, 8, month=12)
    assert outbox_deliver_due(now=sh(1, 7, 59, month=12)) == 0
    assert outbox_deliver_due(now=sh(1, 8, 0, month=12)) == 1
    message.refresh_from_db()
    assert message.state == OutboxState.SENT_DEMO
    assert message.attempts == 1


def test_urgent_sms_goes_at_once_at_night(cast):
    night = sh(30, 2, 0)
    message = _sms(cast, night, urgent=True)
    assert message.next_attempt_at == night
    outbox_deliver_due(now=night)
    message.refresh_from_db()
    assert message.state == OutboxState.SENT_DEMO


def test_other_channels_ignore_quiet_hours(cast):
    night = sh(30, 23, 0)
    for channel, extra in (
        ("email", {"to": "a@example.com"}),
        ("portal", {"customer_id": cast.alice.id}),
        ("staff", {"staff_user_id": cast.desk_a.id}),
    ):
        m = outbox_enqueue(
            community_id=cast.alpha.id, channel=channel, body="x", now=night, **extra
        )
        assert m.next_attempt_at == night


def test_a_due_sms_reaching_the_worker_in_quiet_hours_is_put_back_not_sent(cast):
    evening = sh(30, 21, 55)
    message = _sms(cast, evening)
    assert message.next_attempt_at == evening
    late = sh(30, 22, 5)  # the worker was busy
    assert outbox_deliver_due(now=late) == 1
    message.refresh_from_db()
    assert (message.state, message.attempts) == (OutboxState.PENDING, 0)
    assert message.next_attempt_at == sh(1, 8, month=12)


def test_a_retry_falling_in_quiet_hours_keeps_its_failure_and_waits(cast):
    message = _sms(cast, sh(30, 21, 0))
    OutboxMessage.objects.filter(pk=message.pk).update(
        state=OutboxState.FAILED, attempts=2, last_error="timeout", next_attempt_at=sh(30, 22, 30)
    )
    outbox_deliver_due(now=sh(30, 22, 30))
    message.refresh_from_db()
    assert (message.state, message.attempts) == (OutboxState.FAILED, 2)
    assert message.next_attempt_at == sh(1, 8, month=12)


def test_each_community_has_its_own_hours_and_time_zone(cast):
    cast.beta.time_zone = "Europe/Berlin"
    cast.beta.save(update_fields=["time_zone"])
    quiet_hours_set(
        actor=cast.admin, community_id=cast.alpha.id, enabled=True, start="23:00", end="07:00"
    )
    at = sh(30, 22, 30)  # 15:30 in Berlin
    assert _sms(cast, at).next_attempt_at == at  # alpha is quiet only from 23:00
    assert _sms(cast, at, community=cast.beta).next_attempt_at == at
    at = sh(1, 6, 30, month=12)  # 23:30 in Berlin
    assert _sms(cast, at).next_attempt_at == sh(1, 7, month=12)
    assert _sms(cast, at, community=cast.beta).next_attempt_at == dt.datetime(
        2026, 12, 1, 8, 0, tzinfo=BERLIN
    )
    quiet_hours_set(
        actor=cast.admin, community_id=cast.alpha.id, enabled=False, start="23:00", end="07:00"
    )
    assert _sms(cast, at).next_attempt_at == at


def test_setting_hours_is_audited_and_read_back(cast):
    row = quiet_hours_set(
        actor=cast.supervisor_a,
        community_id=cast.alpha.id,
        enabled=True,
        start="21:30",
        end=dt.time(7, 30),
    )
    assert (row.start, row.end, row.updated_by) == (
        dt.time(21, 30),
        dt.time(7, 30),
        cast.supervisor_a,
    )
    window = quiet_window_of(cast.alpha.id)
    assert (window.start, window.end, window.tz.key) == (
        dt.time(21, 30),
        dt.time(7, 30),
        "Asia/Shanghai",
    )
    quiet_hours_set(
        actor=cast.supervisor_a,
        community_id=cast.alpha.id,
        enabled=True,
        start="22:00",
        end="08:00",
    )
    assert QuietHours.objects.count() == 1
    assert AuditEvent.objects.filter(object_type="notify.quiethours").count() == 2


@pytest.mark.parametrize(
    ("start", "end", "fields"),
    [
        ("25:00", "08:00", {"start"}),
        ("22:00", "8点", {"end"}),
        ("", "", {"start", "end"}),
        ("22:61", "08:00", {"start"}),
        ("22:00", "22:00", {"end"}),
    ],
)
def test_invalid_hours_are_refused_naming_the_field_and_nothing_is_written(
    cast, start, end, fields
):
    with pytest.raises(Invalid) as exc:
        quiet_hours_set(
            actor=cast.supervisor_a, community_id=cast.alpha.id, enabled=True, start=start, end=end
        )
    assert set(exc.value.errors) == fields
    assert not QuietHours.objects.exists()
    assert not AuditEvent.objects.filter(object_type="notify.quiethours").exists()


def test_who_may_set_quiet_hours(cast):
    kw = {"enabled": True, "start": "22:00", "end": "08:00"}
    with pytest.raises(Forbidden):
        quiet_hours_set(actor=cast.desk_a, community_id=cast.alpha.id, **kw)
    with pytest.raises(NotFound):
        quiet_hours_set(actor=cast.supervisor_a, community_id=cast.beta.id, **kw)
    with pytest.raises(Forbidden):
        quiet_hours_set(actor=cast.owner_alice, community_id=cast.alpha.id, **kw)
    assert not QuietHours.objects.exists()
