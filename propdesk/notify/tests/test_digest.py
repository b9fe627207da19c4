"""Digests: a burst to one staff member is held and delivered as one message, never lost
or sent twice (issue 5: "batched into a digest when a burst would otherwise flood someone")."""

from __future__ import annotations

import datetime as dt
import threading
import zoneinfo
from collections import Counter

import pytest
from django.db import connection

from propdesk.notify import delivery
from propdesk.notify.channels import Delivery
from propdesk.notify.delivery import outbox_deliver_due
from propdesk.notify.digest import digests_flush, hold_bursts
from propdesk.notify.models import OutboxMessage, OutboxState, StaffAlert
from propdesk.notify.services import outbox_enqueue, outbox_enqueue_event

T0 = dt.datetime(2026, 11, 30, 15, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def _alerts(cast, n, *, user=None, now=T0, start=0, channel="staff", **kw):
    return [
        outbox_enqueue(
            community_id=cast.alpha.id,
            channel=channel,
            staff_user_id=(user or cast.desk_a).id,
            subject=f"R-CMP-4 超时：A-{start + i:03d}",
            body="工单超时",
            now=now,
            **kw,
        )
        for i in range(n)
    ]


def _states(messages):
    ids = [m.pk for m in messages]
    return Counter(OutboxMessage.objects.filter(id__in=ids).values_list("state", flat=True))


def test_a_burst_beyond_five_in_ten_minutes_is_held_then_sent_as_one_digest(cast):
    burst = _alerts(cast, 8)
    outbox_deliver_due(now=T0)
    assert _states(burst) == {OutboxState.SENT: 5, OutboxState.HELD: 3}
    assert StaffAlert.objects.filter(user=cast.desk_a).count() == 5
    held = OutboxMessage.objects.filter(state=OutboxState.HELD).order_by("id")
    assert [m.attempts for m in held] == [0, 0, 0]  # holding is not an attempt
    assert all(m.next_attempt_at == at(10) for m in held)

    later = _alerts(cast, 2, now=at(3), start=8)  # while some are held: held too
    outbox_deliver_due(now=at(3))
    assert _states(later) == {OutboxState.HELD: 2}

    assert outbox_deliver_due(now=at(9.9)) == 0
    assert StaffAlert.objects.filter(user=cast.desk_a).count() == 5

    outbox_deliver_due(now=at(10))
    digest = OutboxMessage.objects.get(is_digest=True)
    assert digest.state == OutboxState.SENT
    assert digest.staff_user_id == cast.desk_a.id
    assert digest.subject == "5 条提醒汇总"
    for i in range(5, 10):
        assert f"A-{i:03d}" in digest.body
    assert "A-004" not in digest.body  # sent on its own already
    assert _states(burst[5:] + later) == {OutboxState.IN_DIGEST: 5}
    assert set(
        OutboxMessage.objects.filter(state=OutboxState.IN_DIGEST).values_list("digest", flat=True)
    ) == {digest.pk}
    alerts = StaffAlert.objects.filter(user=cast.desk_a)
    assert alerts.count() == 6  # five on their own, one digest

    # Nothing is sent twice however often the loop runs.
    for minutes in (10, 11, 30, 60):
        outbox_deliver_due(now=at(minutes))
    assert OutboxMessage.objects.filter(is_digest=True).count() == 1
    assert StaffAlert.objects.filter(user=cast.desk_a).count() == 6


def test_after_the_digest_a_new_window_starts(cast):
    _alerts(cast, 7)
    outbox_deliver_due(now=T0)
    outbox_deliver_due(now=at(10))
    fresh = _alerts(cast, 3, now=at(12), start=7)
    outbox_deliver_due(now=at(12))
    assert _states(fresh) == {OutboxState.SENT: 3}


def test_the_window_counts_what_was_sent_in_earlier_passes(cast):
    first = _alerts(cast, 3)
    outbox_deliver_due(now=T0)
    second = _alerts(cast, 3, now=at(4), start=3)
    outbox_deliver_due(now=at(4))
    assert _states(first + second) == {OutboxState.SENT: 5, OutboxState.HELD: 1}
    third = _alerts(cast, 1, now=at(11), start=6)  # the held row still waits for its digest
    outbox_deliver_due(now=at(11))
    assert _states(third) == {OutboxState.HELD: 1}
    outbox_deliver_due(now=at(14))
    digest = OutboxMessage.objects.get(is_digest=True)
    assert digest.subject == "2 条提醒汇总"


def test_other_people_urgent_alerts_and_customers_are_not_held(cast):
    _alerts(cast, 7)
    others = _alerts(cast, 3, user=cast.supervisor_a)
    urgent = _alerts(cast, 2, urgent=True, start=50)
    customer = [
        outbox_enqueue(
            community_id=cast.alpha.id,
            channel="portal",
            customer_id=cast.alice.id,
            body=str(i),
            now=T0,
        )
        for i in range(8)
    ]
    outbox_deliver_due(now=T0)
    assert _states(others) == {OutboxState.SENT: 3}
    assert _states(urgent) == {OutboxState.SENT: 2}
    assert _states(customer) == {OutboxState.SENT: 8}
    assert OutboxMessage.objects.filter(state=OutboxState.HELD).count() == 2


def test_e_mails_and_alerts_are_counted_apart(cast):
    cast.desk_a.email = "desk@example.com"
    cast.desk_a.save(update_fields=["email"])
    alerts = _alerts(cast, 5)
    mails = _alerts(cast, 7, channel="email", start=10)
    outbox_deliver_due(now=T0)
    assert _states(alerts) == {OutboxState.SENT: 5}
    assert _states(mails) == {OutboxState.SENT_DEMO: 5, OutboxState.HELD: 2}
    outbox_deliver_due(now=at(10))
    digest = OutboxMessage.objects.get(is_digest=True)
    assert digest.channel == "email"
    assert digest.state == OutboxState.SENT_DEMO
    assert digest.subject == f"{cast.alpha.name}：2 条提醒汇总"


def test_digest_in_the_staff_members_language(cast):
    cast.desk_a.language = "en"
    cast.desk_a.save(update_fields=["language"])
    _alerts(cast, 6)
    outbox_deliver_due(now=T0)
    outbox_deliver_due(now=at(10))
    assert OutboxMessage.objects.get(is_digest=True).subject == "1 alerts in one"


def test_one_digest_per_community(cast):
    # A person serving two communities: the digest of each lists only its own rows,
    # so nobody reading one community's outbox sees another's.
    _alerts(cast, 5)
    outbox_deliver_due(now=T0)
    for community in (cast.alpha, cast.beta):
        outbox_enqueue(
            community_id=community.id,
            channel="staff",
            staff_user_id=cast.desk_a.id,
            subject=f"{community.code} 提醒",
            body="x",
            now=at(1),
        )
    outbox_deliver_due(now=at(1))
    outbox_deliver_due(now=at(11))
    digests = OutboxMessage.objects.filter(is_digest=True).order_by("community_id")
    assert [d.community_id for d in digests] == [cast.alpha.id, cast.beta.id]
    assert "A 提醒" in digests[0].body
    assert "A 提醒" not in digests[1].body


def test_threshold_and_window_are_configurable(cast, settings):
    settings.NOTIFY_DIGEST_THRESHOLD = 2
    settings.NOTIFY_DIGEST_WINDOW_MINUTES = 1
    burst = _alerts(cast, 4)
    outbox_deliver_due(now=T0)
    assert _states(burst) == {OutboxState.SENT: 2, OutboxState.HELD: 2}
    outbox_deliver_due(now=at(1))
    assert OutboxMessage.objects.filter(is_digest=True).count() == 1
    settings.NOTIFY_DIGEST_THRESHOLD = 0  # off
    more = _alerts(cast, 9, now=at(2))
    outbox_deliver_due(now=at(2))
    assert _states(more) == {OutboxState.SENT: 9}


def test_sla_events_through_outbox_enqueue_event_are_digested_too(cast):
    from propdesk.notify.events import EVENTS

    for i in range(7):
        outbox_enqueue_event(
            event="sla.breach",
            context={**EVENTS["sla.breach"].sample, "case_number": f"A-2026-{i:06d}"},
            community_id=cast.alpha.id,
            staff_user_id=cast.desk_a.id,
            dedupe_key=f"sla:{i}:breach:{cast.desk_a.id}",
            now=T0,
        )
    outbox_deliver_due(now=T0)
    outbox_deliver_due(now=at(10))
    digest = OutboxMessage.objects.get(is_digest=True)
    assert "R-CMP-4 超时：A-2026-000005" in digest.body
    assert "R-CMP-4 超时：A-2026-000006" in digest.body


@pytest.mark.parametrize("a_claimed_before_b_decides", [True, False])
def test_two_workers_deciding_in_either_order_let_through_exactly_five(
    cast, a_claimed_before_b_decides
):
    # Worker A holds the lower ids, worker B the higher ones; B decides first.
    rows = _alerts(cast, 8)
    a, b = rows[:4], rows[4:]

    def claim(batch):
        OutboxMessage.objects.filter(id__in=[m.pk for m in batch]).update(
            state=OutboxState.SENDING, attempts=1
        )
        return list(OutboxMessage.objects.filter(id__in=[m.pk for m in batch]).order_by("id"))

    b_rows = claim(b)
    a_rows = claim(a) if a_claimed_before_b_decides else None
    through_b = hold_bursts(b_rows, now=T0)
    through_a = hold_bursts(a_rows or claim(a), now=T0)
    assert len(through_a) + len(through_b) == 5
    assert _states(rows)[OutboxState.HELD] == 3


def test_a_flush_with_nothing_held_makes_nothing(cast):
    assert digests_flush(now=T0) == 0
    assert not OutboxMessage.objects.filter(is_digest=True).exists()


class CountingAdapter:
    def __init__(self) -> None:
        self.sent: Counter[int] = Counter()
        self.lock = threading.Lock()

    def send(self, message):
        with self.lock:
            self.sent[message.pk] += 1
        return Delivery(backend="counting")


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_workers_share_a_burst_and_the_digest_lists_each_held_row_once(
    cast, on_postgres, monkeypatch, settings
):
    settings.WORKER_BATCH = 4
    adapter = CountingAdapter()
    monkeypatch.setattr(delivery, "adapter_for", lambda channel: adapter)
    burst = _alerts(cast, 40)

    def run_two_workers(now):
        start = threading.Barrier(2)
        errors: list[BaseException] = []

        def worker() -> None:
            try:
                start.wait()
                while outbox_deliver_due(now=now):
                    pass
            except BaseException as exc:
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors

    run_two_workers(T0)
    ids = {m.pk for m in burst}
    assert sum(n for pk, n in adapter.sent.items() if pk in ids) == 5
    assert _states(burst) == {OutboxState.SENT: 5, OutboxState.HELD: 35}
    run_two_workers(at(10))
    digests = list(OutboxMessage.objects.filter(is_digest=True))
    assert len(digests) == 1
    assert adapter.sent[digests[0].pk] == 1
    assert _states(burst) == {OutboxState.SENT: 5, OutboxState.IN_DIGEST: 35}
    assert max(adapter.sent.values()) == 1
