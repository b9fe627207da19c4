"""`python -m benchmarks` (`make bench`): generate or reuse the dataset, run the
scenarios, print the table, write var/bench/latest.json.

Environment: BENCH_SCALE=full|small, BENCH_ONLY=<substring>[,<substring>…],
BENCH_DATABASE_URL (see benchmarks/config.py).
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import config, harness


def main(argv: Sequence[str] | None = None, *, out_dir: Path | None = None) -> int:
    scale = config.scale_from_env()
    only = os.environ.get("BENCH_ONLY", "")
    registry = harness.load_scenarios()
    names = harness.select(registry, only)
    if not names:
        print(f"BENCH_ONLY={only!r} matches no scenario; known: {', '.join(sorted(registry))}")
        return 2
    url = config.setup_django(scale=scale)
    rows = run_selected(registry, names, scale=scale)
    from django.db import connection

    database = (
        f"{connection.vendor} {connection.get_database_version()[0]}"
        if hasattr(connection, "get_database_version")
        else connection.vendor
    )
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    for row in rows:
        row.update(scale=scale, database=database, machine=harness.machine(), measured_at=stamp)
    print()
    print(f"PropDesk benchmarks · {scale} · {database} · {harness.machine()} · {stamp}")
    print(f"database: {_redact(url)}")
    print(harness.format_table(rows))
    latest, copy = harness.write_results(rows, out_dir or config.BENCH_DIR)
    print(f"\nwrote {latest} and {copy.name}")
    return 1 if any(r["status"] == "error" for r in rows) else 0


def run_selected(
    registry: dict[str, harness.Scenario], names: Sequence[str], *, scale: str
) -> list[dict[str, Any]]:
    """Ensure the dataset the scenarios need, then measure them (Django is set up)."""
    from django.test.utils import override_settings

    from .generate import FULL, SMALL, ensure_dataset

    params = FULL if scale == "full" else SMALL
    needs_data = any(
        registry[n].requires == "group"
        or (registry[n].floor and registry[registry[n].floor].requires == "group")
        for n in names
    )
    if needs_data:
        t0 = time.monotonic()
        ensure_dataset(params, say=lambda m: print(m, flush=True))
        print(f"dataset ready in {time.monotonic() - t0:.1f} s", flush=True)
    ctx = harness.Context(scale=scale, dataset=_dataset_label(params), params=params)
    with override_settings(ROOT_URLCONF="benchmarks.urls", DEBUG=False):
        return harness.run(registry, names, ctx, say=lambda m: print(m, flush=True))


def _dataset_label(params: Any) -> str:
    def short(n: int) -> str:
        if n >= 1_000_000 and n % 100_000 == 0:
            return f"{n / 1_000_000:g}M"
        if n >= 1_000 and n % 100 == 0:
            return f"{n / 1_000:g}k"
        return str(n)

    return f"{short(params.communities)} comm/{short(params.houses)} houses/{short(params.customers)} cust"


def _redact(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':', 1)[0]}@{host}"
    return url


if __name__ == "__main__":
    sys.exit(main())
