"""The deadline sweep, run by `propdesk worker` every minute."""

from __future__ import annotations

from propdesk.jobs.registry import register_sweep

from .services import sla_sweep

register_sweep("sla.sweep", lambda now: sla_sweep(now=now), every_seconds=60)
