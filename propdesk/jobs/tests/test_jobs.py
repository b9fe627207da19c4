"""The database is the queue: tasks, sweeps, the worker command, crashes and races."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
import zoneinfo
from collections import Counter
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from propdesk.core.models import AuditEvent
from propdesk.jobs import registry
from propdesk.jobs.models import SweepState, Task, TaskState
from propdesk.jobs.services import sweeps_run_due, task_enqueue, tasks_run_due
from propdesk.notify.models import OutboxState
from propdesk.notify.services import outbox_enqueue

from . import handlers  # noqa: F401 - registers the test handlers

PROJECT_DIR = Path(__file__).resolve().parents[3]


def _effects() -> Counter[str]:
    return Counter(
        AuditEvent.objects.filter(object_type="test.effect").values_list("object_id", flat=True)
    )


@pytest.fixture
def sweeps():
    saved = dict(registry.SWEEPS)
    registry.SWEEPS.clear()
    yield registry.SWEEPS
    registry.SWEEPS.clear()
    registry.SWEEPS.update(saved)


@pytest.mark.django_db
def test_task_runs_once_and_is_done():
    task = task_enqueue("test.effect", {"n": 1})
    assert tasks_run_due() == 1
    assert tasks_run_due() == 0
    task.refresh_from_db()
    assert task.state == TaskState.DONE
    assert _effects() == {"1": 1}


@pytest.mark.django_db(transaction=True)
def test_task_whose_transaction_rolls_back_is_never_run():
    def change_that_fails() -> None:
        with transaction.atomic():
            task_enqueue("test.effect", {"n": 2})
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        change_that_fails()
    assert tasks_run_due() == 0
    assert Task.objects.count() == 0
    assert not _effects()


@pytest.mark.django_db
def test_task_due_later_waits():
    now = timezone.now()
    task_enqueue("test.effect", {"n": 3}, now + dt.timedelta(hours=1), now=now)
    assert tasks_run_due(now=now) == 0
    assert tasks_run_due(now=now + dt.timedelta(hours=1)) == 1


@pytest.mark.django_db
def test_failing_task_rolls_back_retries_with_backoff_then_is_parked(settings):
    settings.WORKER_TASK_MAX_ATTEMPTS = 2
    settings.NOTIFY_RETRY_BASE_SECONDS = 30
    now = timezone.now()
    task = task_enqueue("test.boom", now=now)
    tasks_run_due(now=now)
    task.refresh_from_db()
    assert task.state == TaskState.FAILED
    assert task.run_at == now + dt.timedelta(seconds=30)
    assert "provider down" in task.last_error
    assert not AuditEvent.objects.filter(object_type="test.boom").exists()  # rolled back
    tasks_run_due(now=task.run_at)
    task.refresh_from_db()
    assert (task.state, task.attempts) == (TaskState.DEAD, 2)


@pytest.mark.django_db
def test_task_without_a_handler_is_parked_with_the_reason():
    task = task_enqueue("nobody.handles.this")
    tasks_run_due()
    task.refresh_from_db()
    assert task.state == TaskState.DEAD
    assert "no handler" in task.last_error


@pytest.mark.django_db
def test_dedupe_key_gives_one_task():
    a = task_enqueue("test.effect", {"n": 4}, dedupe_key="once")
    b = task_enqueue("test.effect", {"n": 5}, dedupe_key="once")
    assert a.pk == b.pk


@pytest.mark.django_db
def test_sweep_runs_once_per_period_whichever_worker_asks(sweeps):
    calls: list[dt.datetime] = []
    registry.register_sweep("test.sweep", lambda *, now: calls.append(now), every_seconds=60)
    now = timezone.now()
    assert sweeps_run_due(now=now) == 1
    assert sweeps_run_due(now=now) == 0  # a second worker in the same minute
    assert sweeps_run_due(now=now + dt.timedelta(seconds=59)) == 0
    assert sweeps_run_due(now=now + dt.timedelta(seconds=60)) == 1
    assert len(calls) == 2
    assert SweepState.objects.get(name="test.sweep").runs == 2


@pytest.mark.django_db
def test_failing_sweep_records_its_error_and_runs_next_period(sweeps):
    def broken(*, now):
        raise ValueError("bad clock")

    registry.register_sweep("test.broken", broken, every_seconds=60)
    now = timezone.now()
    sweeps_run_due(now=now)
    state = SweepState.objects.get(name="test.broken")
    assert "bad clock" in state.last_error
    assert state.next_run_at == now + dt.timedelta(seconds=60)


@pytest.mark.django_db
def test_worker_once_delivers_the_outbox_and_runs_tasks(cast, capsys):
    # At a daytime: in the default quiet hours (22:00–08:00 Shanghai) the SMS would wait.
    daytime = dt.datetime(2026, 11, 30, 10, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(daytime, tick=True):
        message = outbox_enqueue(
            community_id=cast.alpha.id, channel="sms", customer_id=cast.alice.id, body="您好"
        )
        task_enqueue("test.effect", {"n": 6})
        call_command("worker", once=True)
    message.refresh_from_db()
    assert message.state == OutboxState.SENT_DEMO
    assert _effects() == {"6": 1}
    assert "notify.outbox 1" in capsys.readouterr().out


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_workers_on_postgresql_never_run_the_same_task(on_postgres, settings):
    settings.WORKER_BATCH = 3
    for n in range(40):
        task_enqueue("test.effect", {"n": n})
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            start.wait()
            while tasks_run_due():
                pass
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert _effects() == Counter({str(n): 1 for n in range(40)})


def _database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_job_runs_it_again_exactly_once(on_postgres, tmp_path, settings):
    """SIGKILL in the middle of a task: its writes vanish, the task runs again once."""
    settings.WORKER_LEASE_SECONDS = 300
    task = task_enqueue("test.effect", {"n": 7})
    started = tmp_path / "started"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "PROPDESK_TEST_STARTED_FILE": str(started),
        "WORKER_LEASE_SECONDS": "300",
    }
    child = subprocess.Popen(
        [sys.executable, "-m", "propdesk.jobs.tests.child_worker"], cwd=PROJECT_DIR, env=env
    )
    try:
        for _ in range(600):  # wait (at most a minute) for the child to be inside the job
            if started.exists() or child.poll() is not None:
                break
            time.sleep(0.1)
        assert started.exists(), "the child worker never started the task"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    task.refresh_from_db()
    assert task.state == TaskState.RUNNING  # claimed by the dead worker
    assert not _effects()  # its half-done work was rolled back with the connection
    assert tasks_run_due() == 0  # still leased
    assert tasks_run_due(now=timezone.now() + dt.timedelta(seconds=301)) == 1
    task.refresh_from_db()
    assert (task.state, task.attempts) == (TaskState.DONE, 2)
    assert _effects() == {"7": 1}
