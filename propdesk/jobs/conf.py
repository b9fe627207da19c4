"""Worker settings: Django settings first, then the environment, then defaults."""

from __future__ import annotations

from propdesk.notify.conf import conf_int


def poll_seconds() -> int:
    return conf_int("WORKER_POLL_SECONDS", 5, minimum=1)


def batch_size() -> int:
    return conf_int("WORKER_BATCH", 50, minimum=1)


def lease_seconds() -> int:
    """How long a claimed row stays claimed before another worker may take it over."""
    return conf_int("WORKER_LEASE_SECONDS", 300, minimum=1)


def task_max_attempts() -> int:
    return conf_int("WORKER_TASK_MAX_ATTEMPTS", 5, minimum=1)
