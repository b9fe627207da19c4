"""Registers the outbox with the worker (imported by `propdesk worker` at start)."""

from __future__ import annotations

from propdesk.jobs.registry import register_queue

from .delivery import outbox_deliver_due

register_queue("notify.outbox", outbox_deliver_due)
