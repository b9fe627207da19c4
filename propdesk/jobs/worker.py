"""The worker: one loop that runs due sweeps, due tasks and the registered queues.

Run it as `propdesk worker` (as many as you like: rows are claimed, never shared)
or let `propdesk serve` start one beside the web server.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from dataclasses import dataclass, field

from django.db import close_old_connections
from django.utils import timezone

from . import conf, registry
from .services import sweeps_run_due, tasks_run_due

log = logging.getLogger("propdesk.jobs")

_wake_event = threading.Event()


def wake() -> None:
    """Tell a worker running in this process that new work was committed."""
    _wake_event.set()


@dataclass
class PassResult:
    sweeps: int = 0
    tasks: int = 0
    queues: dict[str, int] = field(default_factory=dict)

    @property
    def busy(self) -> bool:
        return bool(self.tasks or any(self.queues.values()))


def run_pass(*, now: dt.datetime | None = None, limit: int | None = None) -> PassResult:
    """One pass: due sweeps, then one batch of tasks, then one batch of every queue."""
    registry.autodiscover()
    now = now or timezone.now()
    result = PassResult()
    result.sweeps = sweeps_run_due(now=now)
    result.tasks = tasks_run_due(now=now, limit=limit)
    for queue in list(registry.QUEUES.values()):
        result.queues[queue.name] = queue.drain(now=now, limit=limit)
    return result


def run_until_idle(*, now: dt.datetime | None = None, max_passes: int = 1000) -> PassResult:
    """Passes until nothing due is left (what `--once` and the tests use)."""
    total = PassResult()
    for _ in range(max_passes):
        result = run_pass(now=now)
        total.sweeps += result.sweeps
        total.tasks += result.tasks
        for name, count in result.queues.items():
            total.queues[name] = total.queues.get(name, 0) + count
        if not result.busy:
            break
    return total


def run_forever(
    *, stop: threading.Event, poll_seconds: int | None = None, parent_pid: int | None = None
) -> None:
    """Loop until `stop` is set (or the parent process is gone, when one is named)."""
    poll = poll_seconds or conf.poll_seconds()
    registry.autodiscover()
    log.info("worker started (poll %ss, pid %s)", poll, os.getpid())
    while not stop.is_set():
        if parent_pid is not None and os.getppid() != parent_pid:
            log.info("worker: parent %s is gone, stopping", parent_pid)
            break
        close_old_connections()
        try:
            result = run_pass()
        except Exception:
            log.exception("worker pass failed; retrying after the poll interval")
            result = PassResult()
        if result.busy:
            continue
        _wake_event.wait(poll)
        _wake_event.clear()
        if stop.is_set():
            break
    close_old_connections()
    log.info("worker stopped")


def start_thread(*, poll_seconds: int | None = None) -> tuple[threading.Thread, threading.Event]:
    """Run a worker in a daemon thread of this process; set the event to stop it."""
    stop = threading.Event()
    thread = threading.Thread(
        target=run_forever, kwargs={"stop": stop, "poll_seconds": poll_seconds}, daemon=True
    )
    thread.start()
    return thread, stop
