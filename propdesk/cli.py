"""`propdesk`: the operator's one command.

propdesk serve [--bind HOST:PORT] [--workers N] [--no-worker]
                                                  web server (gunicorn + WhiteNoise) and one
                                                  background worker process beside it
propdesk worker [--once]                          background worker: outbox, tasks, sweeps
propdesk setup [--demo-if-empty]                  migrate, compile messages, optional demo data
propdesk demo [--if-empty] [--reset [--yes]] [--print-logins]
                                                  load the demo company (see `propdesk demo --help`)
propdesk <any Django management command>          e.g. propdesk migrate, propdesk createsuperuser
"""

from __future__ import annotations

import argparse
import atexit
import os
import subprocess
import sys


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "propdesk.settings")
    import django

    django.setup()


def _serve(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="propdesk serve", description="Run the web server.")
    parser.add_argument("--bind", default=os.environ.get("PROPDESK_BIND", "127.0.0.1:8000"))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "3")))
    parser.add_argument("--threads", type=int, default=int(os.environ.get("WEB_THREADS", "4")))
    parser.add_argument(
        "--no-worker",
        action="store_true",
        help="do not start the background worker (run `propdesk worker` yourself)",
    )
    args = parser.parse_args(argv)
    _django()
    from django.conf import settings

    from propdesk.settings import env_bool

    if not args.no_worker and env_bool("PROPDESK_SERVE_WORKER", True):
        _start_worker_beside(settings.BASE_DIR.parent)
    from gunicorn.app.wsgiapp import run

    sys.argv = [
        "gunicorn",
        "propdesk.wsgi:application",
        "--bind",
        args.bind,
        "--workers",
        str(args.workers),
        "--threads",
        str(args.threads),
        "--access-logfile",
        "-",
        "--graceful-timeout",
        "20",
    ]
    run()
    return 0


def _start_worker_beside(cwd: object) -> None:
    """One `propdesk worker` process next to the web server, so `make run` is complete.

    It stops with the server: terminated at exit, and it exits by itself when its
    parent disappears (even if the server was killed).
    """
    worker = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "propdesk.cli", "worker", "--parent-pid", str(os.getpid())],
        cwd=str(cwd),
    )

    owner = os.getpid()

    def stop() -> None:
        # gunicorn's forked web workers inherit this hook: only the server itself stops it.
        if os.getpid() == owner and worker.poll() is None:
            worker.terminate()
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()

    atexit.register(stop)


def _setup(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="propdesk setup", description="Prepare the database.")
    parser.add_argument(
        "--demo-if-empty",
        action="store_true",
        help="load the demo community into an empty database",
    )
    args = parser.parse_args(argv)
    _django()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=1)
    if args.demo_if_empty:
        call_command("demo", if_empty=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(__doc__)
        return 0
    command, rest = argv[0], argv[1:]
    if command == "serve":
        return _serve(rest)
    if command == "setup":
        return _setup(rest)
    _django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["propdesk", command, *rest])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
