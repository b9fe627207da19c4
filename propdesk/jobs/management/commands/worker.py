"""`propdesk worker`: deliver the outbox, run queued tasks and periodic sweeps."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from propdesk.jobs.worker import run_forever, run_until_idle, wake


class Command(BaseCommand):
    help = (
        "Run the background worker: due sweeps, queued tasks and the notification outbox. "
        "Several may run at once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once",
            action="store_true",
            help="work until nothing is due, then exit (for cron and tests)",
        )
        parser.add_argument("--poll", type=int, default=None, help="seconds between idle polls")
        parser.add_argument(
            "--parent-pid",
            type=int,
            default=None,
            help="stop when this process is no longer our parent (used by propdesk serve)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["once"]:
            result = run_until_idle()
            queues = ", ".join(f"{k} {v}" for k, v in sorted(result.queues.items()))
            self.stdout.write(
                f"sweeps {result.sweeps}, tasks {result.tasks}" + (f", {queues}" if queues else "")
            )
            return
        stop = threading.Event()

        def _stop(signum: int, frame: Any) -> None:
            stop.set()
            wake()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        run_forever(stop=stop, poll_seconds=options["poll"], parent_pid=options["parent_pid"])
