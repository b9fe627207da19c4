"""What the worker runs: task handlers, queues and periodic sweeps other apps register.

Apps register in their `tasks.py` module (the worker imports `tasks` of every
installed app at start):

    from propdesk.jobs.registry import register_sweep, register_task

    register_sweep("sla.clocks", sweep_clocks, every_seconds=60)  # fn(*, now) -> int | None

    @register_task("billing.dunning_letter")
    def dunning_letter(payload: dict) -> None: ...

Sweeps and tasks must be idempotent: a worker killed half-way runs them again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

SweepFn = Callable[..., Any]
TaskFn = Callable[[dict[str, Any]], Any]
QueueFn = Callable[..., int]


@dataclass(frozen=True)
class Sweep:
    name: str
    fn: SweepFn
    every_seconds: int


@dataclass(frozen=True)
class Queue:
    name: str
    drain: QueueFn  # drain(*, now, limit) -> how many items it processed


SWEEPS: dict[str, Sweep] = {}
TASKS: dict[str, TaskFn] = {}
QUEUES: dict[str, Queue] = {}


def register_sweep(name: str, fn: SweepFn, every_seconds: int) -> SweepFn:
    """Run `fn(now=...)` every `every_seconds` in one worker (whichever claims it first)."""
    if every_seconds < 1:
        raise ValueError("every_seconds must be at least 1")
    SWEEPS[name] = Sweep(name, fn, every_seconds)
    return fn


def register_task(name: str) -> Callable[[TaskFn], TaskFn]:
    """Decorator: the handler of tasks enqueued with `task_enqueue(name, payload)`."""

    def decorate(fn: TaskFn) -> TaskFn:
        TASKS[name] = fn
        return fn

    return decorate


def register_queue(name: str, drain: QueueFn) -> QueueFn:
    """A table another app drains on every worker pass (the notification outbox)."""
    QUEUES[name] = Queue(name, drain)
    return drain


_discovered = False


def autodiscover() -> None:
    """Import every installed app's `tasks` module once, so their registrations run."""
    global _discovered
    if _discovered:
        return
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("tasks")
    _discovered = True
