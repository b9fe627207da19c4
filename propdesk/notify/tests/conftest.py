"""Notify tests run at a fixed daytime in Shanghai unless they pass their own `now`.

The default quiet hours (22:00–08:00, Asia/Shanghai) would otherwise hold back
every SMS a test sends when the suite happens to run at night. Tests of quiet
hours pass `now=` explicitly and do not depend on this.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
DAYTIME = dt.datetime(2026, 11, 30, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _daytime_in_shanghai():
    with time_machine.travel(DAYTIME, tick=True):
        yield
