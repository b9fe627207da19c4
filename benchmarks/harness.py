"""The benchmark harness: a registry of named scenarios, a runner, the table and
the JSON in var/bench/.

A scenario is a set-up function registered with `@scenario(...)` in a module of
`benchmarks/scenarios/` (every module there is imported). The set-up receives
the `Context` and returns the callable to measure, `fn(i)` for run i, or raises
`Skip("reason")`. Latency scenarios are run `runs` times (after a warm-up) and
report p50/p95/p99 and calls per second; batch scenarios (`kind="batch"`) run
once, return the number of rows they processed and report their wall time in
the same fields (throughput = rows per second).

Floors are scenarios too (`floor.*`); a scenario naming `floor="floor.view"`
gets `floor_ratio` = its p50 / the floor's p50, measured in the same run.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import json
import math
import os
import pkgutil
import platform
import random
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

RESULT_KEYS = (
    "scenario",
    "dataset",
    "runs",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "throughput_per_s",
    "floor_ratio",
)


class Skip(Exception):
    """Raised by a set-up when the scenario cannot run here (the reason is reported)."""


@dataclasses.dataclass(frozen=True)
class Scenario:
    name: str
    setup: Callable[[Context], Callable[[int], Any]]
    description: str
    runs: int = 200
    small_runs: int = 50
    warmup: int = 5
    floor: str | None = None
    requires: str = "group"  # "group": the generated dataset; "none": nothing
    kind: str = "latency"  # or "batch"


REGISTRY: dict[str, Scenario] = {}


def scenario(
    name: str,
    *,
    description: str,
    runs: int = 200,
    small_runs: int = 50,
    warmup: int = 5,
    floor: str | None = None,
    requires: str = "group",
    kind: str = "latency",
) -> Callable[
    [Callable[[Context], Callable[[int], Any]]], Callable[[Context], Callable[[int], Any]]
]:
    """Register a scenario under `name` (dotted: what it measures, e.g. search.pinyin)."""
    if requires not in {"group", "none"} or kind not in {"latency", "batch"}:
        raise ValueError(f"scenario {name}: bad requires/kind")

    def register(
        setup: Callable[[Context], Callable[[int], Any]],
    ) -> Callable[[Context], Callable[[int], Any]]:
        if name in REGISTRY and REGISTRY[name].setup is not setup:
            raise ValueError(f"scenario {name} is registered twice")
        REGISTRY[name] = Scenario(
            name=name,
            setup=setup,
            description=description,
            runs=runs,
            small_runs=small_runs,
            warmup=warmup,
            floor=floor,
            requires=requires,
            kind=kind,
        )
        return setup

    return register


def load_scenarios(package: str = "benchmarks.scenarios") -> dict[str, Scenario]:
    """Import every module of the scenarios package (each registers its scenarios)."""
    pkg = importlib.import_module(package)
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        if not info.name.startswith("_"):
            importlib.import_module(f"{package}.{info.name}")
    return REGISTRY


def select(names: Iterable[str], only: str | None) -> list[str]:
    """Names matching BENCH_ONLY (comma-separated substrings; empty = all), sorted."""
    wanted = [part.strip() for part in (only or "").split(",") if part.strip()]
    return sorted(n for n in names if not wanted or any(w in n for w in wanted))


@dataclasses.dataclass
class Context:
    """What a scenario's set-up receives."""

    scale: str
    dataset: str
    params: Any  # benchmarks.generate.Params, or None when no dataset is loaded
    seed: str = "bench"
    _user: Any = None

    def rng(self, name: str) -> random.Random:
        return random.Random(f"{self.seed}:{name}")

    @property
    def user(self) -> Any:
        """The staff user serving every community of the group (company administrator)."""
        if self._user is None:
            from propdesk.accounts.models import User

            from .generate import BENCH_USERNAME

            self._user = User.objects.get(username=BENCH_USERNAME)
        return self._user

    def client(self) -> Any:
        """A Django test client logged in as `user`, on the benchmark URLconf."""
        from django.test import Client

        client = Client()
        client.force_login(self.user)
        return client


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        raise ValueError("no values")
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def _row(name: str, dataset: str, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(RESULT_KEYS)
    row.update(scenario=name, dataset=dataset, runs=0)
    row.update(values)
    return row


def measure(sc: Scenario, ctx: Context) -> dict[str, Any]:
    """Run one scenario; never raises (errors are reported in the row)."""
    base = {"kind": sc.kind, "description": sc.description, "floor": sc.floor}
    try:
        fn = sc.setup(ctx)
    except Skip as exc:
        return _row(sc.name, ctx.dataset, status="skipped", reason=str(exc), **base)
    except Exception as exc:
        return _row(sc.name, ctx.dataset, status="error", reason=f"set-up: {exc!r}", **base)
    try:
        if sc.kind == "batch":
            t0 = time.perf_counter()
            rows = fn(0)
            seconds = time.perf_counter() - t0
            if isinstance(rows, dict):
                # A scenario that measures a difference reports its own figures.
                if rows.get("p50_ms"):
                    base["_p50_s"] = rows["p50_ms"] / 1000
                return _row(sc.name, ctx.dataset, status="ok", **base, **rows)
            ms = round(seconds * 1000, 3)
            base["_p50_s"] = seconds
            return _row(
                sc.name,
                ctx.dataset,
                runs=1,
                p50_ms=ms,
                p95_ms=ms,
                p99_ms=ms,
                throughput_per_s=round(float(rows or 1) / seconds, 1),
                status="ok",
                **base,
            )
        runs = sc.runs if ctx.scale == "full" else sc.small_runs
        for i in range(sc.warmup):
            fn(runs + i)
        timings = []
        for i in range(runs):
            t0 = time.perf_counter()
            fn(i)
            timings.append(time.perf_counter() - t0)
    except Exception as exc:
        return _row(sc.name, ctx.dataset, status="error", reason=repr(exc), **base)
    timings.sort()
    return _row(
        sc.name,
        ctx.dataset,
        runs=runs,
        p50_ms=round(percentile(timings, 50) * 1000, 3),
        _p50_s=percentile(timings, 50),
        p95_ms=round(percentile(timings, 95) * 1000, 3),
        p99_ms=round(percentile(timings, 99) * 1000, 3),
        throughput_per_s=round(runs / sum(timings), 1),
        status="ok",
        **base,
    )


def run(
    registry: dict[str, Scenario],
    names: Sequence[str],
    ctx: Context,
    say: Callable[[str], None] = print,
) -> list[dict[str, Any]]:
    """Measure `names` (plus, silently, the floors they are compared with)."""
    floors = sorted({registry[n].floor for n in names if registry[n].floor} - set(names))
    measured: dict[str, dict[str, Any]] = {}
    for name in [*floors, *[n for n in names if n.startswith("floor.")], *names]:
        if name in measured:
            continue
        say(f"  {name} …")
        measured[name] = measure(registry[name], ctx)
    for row in measured.values():
        floor = measured.get(row["floor"] or "")
        if row["status"] == "ok" and floor and floor["status"] == "ok" and floor.get("_p50_s"):
            row["floor_ratio"] = round(row.get("_p50_s", 0.0) / floor["_p50_s"], 1)
    for row in measured.values():
        row.pop("_p50_s", None)
    return [measured[n] for n in names]


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def format_table(rows: Sequence[dict[str, Any]]) -> str:
    headers = ("scenario", "dataset", "runs", "p50 ms", "p95 ms", "p99 ms", "per s", "× floor")
    lines = []
    for r in rows:
        if r["status"] != "ok":
            lines.append((r["scenario"], r["dataset"], f"{r['status']}: {r.get('reason', '')}"))
            continue
        lines.append(
            (
                r["scenario"],
                r["dataset"],
                _fmt(r["runs"]),
                _fmt(r["p50_ms"]),
                _fmt(r["p95_ms"]),
                _fmt(r["p99_ms"]),
                _fmt(r["throughput_per_s"], 1),
                _fmt(r["floor_ratio"], 1),
            )
        )
    widths = [len(h) for h in headers]
    for line in lines:
        # A skipped row's reason runs past the figures; only its name and dataset align.
        cells = line if len(line) == len(headers) else (*line[:2], *[""] * (len(headers) - 2))
        widths = [max(w, len(c)) for w, c in zip(widths, cells, strict=True)]
    out = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    out.append("  ".join("-" * w for w in widths))
    for line in lines:
        if len(line) == len(headers):
            out.append(
                "  ".join(
                    c.ljust(w) if i < 2 else c.rjust(w)
                    for i, (c, w) in enumerate(zip(line, widths, strict=True))
                )
            )
        else:
            out.append(f"{line[0].ljust(widths[0])}  {line[1].ljust(widths[1])}  {line[2]}")
    return "\n".join(out)


def machine() -> str:
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"


def write_results(rows: Sequence[dict[str, Any]], directory: Path) -> tuple[Path, Path]:
    """latest.json and a timestamped copy; returns both paths."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    text = json.dumps(list(rows), ensure_ascii=False, indent=2) + "\n"
    latest = directory / "latest.json"
    copy = directory / f"bench-{stamp}.json"
    latest.write_text(text, encoding="utf-8")
    copy.write_text(text, encoding="utf-8")
    return latest, copy
