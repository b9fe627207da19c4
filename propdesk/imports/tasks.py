"""Worker registrations of imports: forget the rows of abandoned jobs."""

from __future__ import annotations

from propdesk.jobs.registry import register_sweep

from .services import import_jobs_purge

register_sweep("imports.purge", import_jobs_purge, every_seconds=3600)
