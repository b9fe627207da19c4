"""Task handlers the tests register (and the SIGKILL test's child process imports)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from propdesk.core.models import AuditEvent
from propdesk.jobs.registry import register_task


@register_task("test.effect")
def effect(payload: dict[str, Any]) -> None:
    """Writes one row per run, so a test can count how often the task really ran."""
    AuditEvent.objects.create(
        object_type="test.effect", object_id=str(payload["n"]), action="create"
    )
    started = os.environ.get("PROPDESK_TEST_STARTED_FILE")
    if started:
        # The child process of the SIGKILL test: say we are inside the job, then hang.
        Path(started).write_text("started")
        time.sleep(600)


@register_task("test.boom")
def boom(payload: dict[str, Any]) -> None:
    AuditEvent.objects.create(object_type="test.boom", object_id="1", action="create")
    raise RuntimeError("provider down")
