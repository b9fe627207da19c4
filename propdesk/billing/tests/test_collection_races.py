"""The daily dunning run raced on PostgreSQL: two workers (or a worker and a manager's
"run now") on the same community and day open each case once and send each SMS once."""

from __future__ import annotations

import datetime as dt

import pytest

from propdesk.billing import dunning
from propdesk.billing.models import DunningCase, DunningEvent
from propdesk.billing.tests.test_collection import at, charge
from propdesk.billing.tests.test_races import race
from propdesk.notify.models import OutboxMessage

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def test_two_runs_at_once_open_each_case_once_and_send_each_sms_once(cast, fees, on_postgres):
    for house in (cast.house_a1, cast.house_a2):
        charge(cast, fees, house, "100.00", dt.date(2026, 1, 1), "2026-01")
    day = dt.date(2026, 1, 16)
    results = race(
        4, lambda i: dunning.dunning_run(community_id=cast.alpha.pk, today=day, now=at(day, 2))
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(r["opened"] for r in results) == [0, 0, 0, 2]
    assert DunningCase.objects.count() == 2
    assert OutboxMessage.objects.filter(channel="sms").count() == 2
    assert DunningEvent.objects.filter(action="open").count() == 2
