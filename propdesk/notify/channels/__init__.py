"""Channel adapters: each turns one claimed outbox row into a delivery.

An adapter returns a `Delivery` or raises `TemporaryFailure` (retry with backoff)
or `PermanentFailure` (no point retrying: park as dead at once).
"""

from __future__ import annotations

from .base import Delivery, PermanentFailure, TemporaryFailure, adapter_for

__all__ = ["Delivery", "PermanentFailure", "TemporaryFailure", "adapter_for"]
