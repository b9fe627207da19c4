"""The demo outbox: a message in every state, and the worker can run over it."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from propdesk.notify.models import OutboxMessage, OutboxState, PortalMessage, StaffAlert


@pytest.mark.django_db
def test_demo_shows_every_outbox_state_and_the_inboxes():
    call_command("demo", stdout=io.StringIO(), scale=0.05)
    states = set(OutboxMessage.objects.values_list("state", flat=True))
    assert {
        OutboxState.PENDING,
        OutboxState.SENT,
        OutboxState.SENT_DEMO,
        OutboxState.FAILED,
        OutboxState.DEAD,
        OutboxState.IN_DIGEST,
    } <= states
    digest = OutboxMessage.objects.get(is_digest=True)
    assert digest.digested.count() == 3
    assert StaffAlert.objects.filter(outbox=digest).exists()
    assert PortalMessage.objects.exists()
    assert StaffAlert.objects.exists()
    call_command("worker", once=True, stdout=io.StringIO())  # nothing due yet: a no-op
    assert OutboxMessage.objects.filter(state=OutboxState.FAILED).count() == 1
