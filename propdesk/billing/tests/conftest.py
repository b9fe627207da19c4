from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from propdesk.billing.models import FeeItem
from propdesk.billing.seeds import seed_community

SH = ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2026, 11, 3, 10, 0, tzinfo=SH)


@pytest.fixture
def fees(cast):
    """Alpha and Beta with the starting fee items, standards and rules."""
    seed_community(cast.alpha.pk)
    seed_community(cast.beta.pk)
    return {
        (item.community_id, item.code): item
        for item in FeeItem.objects.filter(community__in=[cast.alpha, cast.beta])
    }


def item(fees, community, code):
    return fees[(community.pk, code)]
