"""Sweeps the worker runs for the desk: overdue keys (R-KEY-3) and parcels to chase (R-PCL-2)."""

from __future__ import annotations

from propdesk.jobs.registry import register_sweep

from .services import key_overdue_sweep, parcel_follow_up_sweep

register_sweep("frontdesk.keys_overdue", key_overdue_sweep, every_seconds=300)
register_sweep("frontdesk.parcels_follow_up", parcel_follow_up_sweep, every_seconds=300)
