from __future__ import annotations

from propdesk.notify.tests.conftest import _daytime_in_shanghai  # noqa: F401 - autouse fixture
