"""Writes of the job queue: enqueue deferred tasks, run due tasks and sweeps."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import traceback
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from propdesk.notify.conf import backoff_seconds

from . import conf, registry
from .claim import claim_due
from .models import TASK_CLAIMABLE_STATES, SweepState, Task, TaskState

log = logging.getLogger("propdesk.jobs")


class LeaseLost(Exception):
    """Another worker took the task over (our lease ran out): undo our work."""


def _wake() -> None:
    from .worker import wake

    wake()


def task_enqueue(
    name: str,
    payload: dict[str, Any] | None = None,
    run_at: dt.datetime | None = None,
    *,
    dedupe_key: str = "",
    now: dt.datetime | None = None,
) -> Task:
    """Queue a one-off task; it exists (and runs) only if the caller's transaction commits.

    The same non-empty `dedupe_key` twice returns the first task.
    """
    now = now or timezone.now()
    if dedupe_key:
        existing = Task.objects.filter(dedupe_key=dedupe_key).first()
        if existing is not None:
            return existing
    try:
        with transaction.atomic():
            task = Task.objects.create(
                name=name,
                payload=payload or {},
                run_at=run_at or now,
                dedupe_key=dedupe_key,
                created_at=now,
            )
    except IntegrityError:
        if not dedupe_key:
            raise
        return Task.objects.get(dedupe_key=dedupe_key)
    transaction.on_commit(_wake)
    return task


def _error_text(exc: BaseException) -> str:
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()[:4000]


def tasks_run_due(*, now: dt.datetime | None = None, limit: int | None = None) -> int:
    """Claim and run due tasks; return how many were claimed."""
    now = now or timezone.now()
    ids = claim_due(
        Task,
        now=now,
        limit=limit or conf.batch_size(),
        lease_seconds=conf.lease_seconds(),
        claimable_states=TASK_CLAIMABLE_STATES,
        claimed_state=TaskState.RUNNING,
        time_field="run_at",
    )
    for task in Task.objects.filter(id__in=ids).order_by("id"):
        _run_task(task, now=now)
    return len(ids)


def _run_task(task: Task, *, now: dt.datetime) -> None:
    mine = Task.objects.filter(id=task.pk, state=TaskState.RUNNING, attempts=task.attempts)
    handler = registry.TASKS.get(task.name)
    if task.attempts > conf.task_max_attempts() or handler is None:
        reason = (
            f"no handler registered for {task.name!r}"
            if handler is None
            else "gave up: the worker died during every attempt"
        )
        mine.update(state=TaskState.DEAD, last_error=reason, finished_at=now)
        return
    try:
        # The handler's writes and "done" commit together: a worker killed half-way
        # leaves neither, and the task runs again when its lease runs out.
        with transaction.atomic():
            handler(dict(task.payload))
            if not mine.update(state=TaskState.DONE, last_error="", finished_at=timezone.now()):
                raise LeaseLost
    except LeaseLost:
        log.warning("task %s: lease lost to another worker; its work was rolled back", task.pk)
    except Exception as exc:
        log.exception("task %s (%s) failed", task.pk, task.name)
        if task.attempts >= conf.task_max_attempts():
            mine.update(state=TaskState.DEAD, last_error=_error_text(exc), finished_at=now)
        else:
            mine.update(
                state=TaskState.FAILED,
                last_error=_error_text(exc),
                run_at=now + dt.timedelta(seconds=backoff_seconds(task.attempts)),
            )


def sweeps_run_due(*, now: dt.datetime | None = None) -> int:
    """Run every registered sweep that is due and that no other worker claimed first."""
    now = now or timezone.now()
    ran = 0
    for sweep in list(registry.SWEEPS.values()):
        with contextlib.suppress(IntegrityError):  # another worker created it first
            SweepState.objects.get_or_create(
                name=sweep.name, defaults={"every_seconds": sweep.every_seconds, "next_run_at": now}
            )
        won = SweepState.objects.filter(name=sweep.name, next_run_at__lte=now).update(
            next_run_at=now + dt.timedelta(seconds=sweep.every_seconds),
            every_seconds=sweep.every_seconds,
            last_started_at=now,
        )
        if not won:
            continue
        ran += 1
        try:
            sweep.fn(now=now)
        except Exception as exc:
            log.exception("sweep %s failed", sweep.name)
            SweepState.objects.filter(name=sweep.name).update(last_error=_error_text(exc))
        else:
            SweepState.objects.filter(name=sweep.name).update(
                last_error="", last_finished_at=timezone.now(), runs=F("runs") + 1
            )
    return ran
