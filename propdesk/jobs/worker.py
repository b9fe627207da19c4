"""The worker loop (filled in below); `wake()` nudges an in-process worker."""

from __future__ import annotations

import threading

_wake_event = threading.Event()


def wake() -> None:
    """Tell a worker running in this process that new work was committed."""
    _wake_event.set()
