"""Billing runs in the background (registered with the worker through `billing.tasks`).

A billing run started from the console bills in the background: each task
bills one chunk of houses and queues the next, so the run's progress commits
chunk by chunk (the console polls it), no task outlives its lease, and a
worker killed mid-chunk leaves that chunk undone and its task to be claimed
again. The run row is locked while a chunk is billed, so two tasks of one run
(a resume clicked twice) take turns instead of billing the same houses.
"""

from __future__ import annotations

import logging
from typing import Any

from propdesk.jobs.registry import register_task
from propdesk.jobs.services import task_enqueue

from .models import BillingRun, RunState

log = logging.getLogger("propdesk.billing")

RUN_TASK = "billing.run"


def run_enqueue(run: BillingRun, *, resume: bool = False) -> None:
    """Queue the next chunk of `run`: once per cursor as the chain goes, anew on each resume."""
    key = "" if resume else f"{RUN_TASK}:{run.pk}:{run.cursor}"
    task_enqueue(RUN_TASK, {"run_id": run.pk}, dedupe_key=key)


@register_task(RUN_TASK)
def run_step(payload: dict[str, Any]) -> None:
    """Bill one chunk of a run and queue the next; a failure stops the run, resumable."""
    from . import runs
    from .services import billing_run_execute

    run = BillingRun.objects.select_for_update().filter(pk=int(payload["run_id"])).first()
    if run is None or run.state != RunState.RUNNING:
        return
    before = run.cursor
    try:
        billing_run_execute(run, chunk=runs.CHUNK, max_chunks=1)
    except Exception:
        # The chunk rolled back; the run is marked failed with its error, and staff
        # resume it from the console once the cause is fixed.
        log.exception("billing run %s stopped after house %s", run.pk, before)
        return
    if run.state == RunState.RUNNING:
        run_enqueue(run)
