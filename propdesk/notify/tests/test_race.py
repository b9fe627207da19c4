"""Several workers at once: rows are claimed with SKIP LOCKED, never sent twice."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection

from propdesk.notify import delivery
from propdesk.notify.channels import Delivery
from propdesk.notify.models import OutboxMessage, OutboxState
from propdesk.notify.services import outbox_enqueue


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
def test_two_workers_never_send_the_same_message_twice(cast, on_postgres, monkeypatch, settings):
    settings.WORKER_BATCH = 5
    adapter = CountingAdapter()
    monkeypatch.setattr(delivery, "adapter_for", lambda channel: adapter)
    ids = [
        outbox_enqueue(
            community_id=cast.alpha.id, channel="email", to="a@example.com", body=str(i)
        ).pk
        for i in range(60)
    ]
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            start.wait()
            while delivery.outbox_deliver_due():
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
    assert adapter.sent == Counter(dict.fromkeys(ids, 1))
    assert set(OutboxMessage.objects.values_list("state", flat=True)) == {OutboxState.SENT}
