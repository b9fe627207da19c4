"""outbox_enqueue: the interface every domain calls inside its transaction."""

from __future__ import annotations

import pytest
from django.db import transaction

from propdesk.core.errors import Invalid
from propdesk.notify.models import OutboxMessage, OutboxState
from propdesk.notify.services import outbox_enqueue


def test_enqueue_writes_a_pending_row(cast):
    m = outbox_enqueue(
        community_id=cast.alpha.id,
        channel="sms",
        customer_id=cast.alice.id,
        body="您的报修已受理",
        ref_type="case",
        ref_id="12",
    )
    assert m.state == OutboxState.PENDING
    assert m.attempts == 0
    assert m.ref_id == "12"


def test_same_dedupe_key_twice_returns_the_first_row(cast):
    first = outbox_enqueue(
        community_id=cast.alpha.id, channel="email", to="a@example.com", body="x", dedupe_key="k1"
    )
    second = outbox_enqueue(
        community_id=cast.alpha.id, channel="email", to="b@example.com", body="y", dedupe_key="k1"
    )
    assert second.pk == first.pk
    assert OutboxMessage.objects.filter(dedupe_key="k1").count() == 1


def test_empty_dedupe_keys_do_not_collide(cast):
    for _ in range(2):
        outbox_enqueue(community_id=cast.alpha.id, channel="email", to="a@example.com", body="x")
    assert OutboxMessage.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_rolled_back_transaction_leaves_no_message(cast):
    def change_that_fails():
        with transaction.atomic():
            outbox_enqueue(
                community_id=cast.alpha.id, channel="portal", customer_id=cast.alice.id, body="x"
            )
            raise RuntimeError("the caller's change failed")

    with pytest.raises(RuntimeError):
        change_that_fails()
    assert OutboxMessage.objects.count() == 0


def test_refuses_bad_input_naming_the_field(cast):
    with pytest.raises(Invalid) as exc:
        outbox_enqueue(community_id=cast.alpha.id, channel="fax", body="")
    assert set(exc.value.errors) == {"channel", "body"}
    with pytest.raises(Invalid) as exc:
        outbox_enqueue(community_id=cast.alpha.id, channel="portal", to="x", body="hi")
    assert "to" in exc.value.errors
    with pytest.raises(Invalid) as exc:
        outbox_enqueue(
            community_id=cast.beta.id, channel="portal", customer_id=cast.alice.id, body="hi"
        )
    assert "customer_id" in exc.value.errors
    assert OutboxMessage.objects.count() == 0
