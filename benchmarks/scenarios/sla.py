"""Deadline scenarios (issue 5): sla.sweep, sla.case_create_overhead.

`sla.sweep`: one running clock per loaded case (1,000,000 at full scale;
`BENCH_CLOCKS` overrides), of which consecutive blocks of 1,000 cross their
deadline one minute apart. Each measured call sweeps at the next minute, so it
finds and breaches exactly the 1,000 that crossed since the previous sweep,
over the (state, due_at) index, among all the running clocks.

`sla.case_create_overhead`: cases created through `case_create`, timing the
part spent planning the deadline clocks (`sla.services.clocks_plan_new_case`:
matching policies, due times and escalation schedule) for each case. The clock
rows are written in the case's own INSERT statement (`core.rows.insert_family`),
so writing them is no longer a step of its own that could be timed apart.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from typing import Any

from benchmarks.harness import Context, Skip, percentile, scenario
from benchmarks.scenarios.servicedesk import ensure_cases

FULL_CLOCKS = 1_000_000
BLOCK = 1_000
BLOCKS = 30  # enough for warm-up and the measured runs
FAR = dt.timedelta(days=3650)


def _target(ctx: Context, cases: int) -> int:
    raw = os.environ.get("BENCH_CLOCKS", "")
    if raw.isdigit():
        return min(int(raw), cases)
    return min(FULL_CLOCKS if ctx.scale == "full" else cases, cases)


def ensure_clocks(ctx: Context, base: dt.datetime) -> int:
    """One clock per case 1..n: the first BLOCKS×BLOCK cross a minute apart, the rest far off."""
    from django.db import connection, transaction

    from propdesk.sla.models import Clock, ClockState, EscalationLevel, Policy
    from propdesk.sla.seeds import seed

    cases = ensure_cases(ctx)
    seed(Policy, EscalationLevel)  # the generator's load may have emptied the shipped rows
    n = _target(ctx, cases)
    policy = Policy.objects.filter(community__isnull=True, code="R-REP-3").first()
    if policy is None:
        raise Skip("the shipped policies are missing (run the migrations)")
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        # Clocks other scenarios left behind must not be swept by the measured calls.
        Clock.objects.exclude(policy=policy).filter(state=ClockState.RUNNING).update(
            state=ClockState.CANCELLED, next_action_at=None
        )
        have = Clock.objects.filter(policy=policy).count()
        if have < n:
            cursor.execute(
                """
                INSERT INTO sla_clock (case_id, policy_id, community_id, started_at, due_at,
                    paused_seconds, state, late_seconds, warning_level, levels_done)
                SELECT c.id, %s, c.community_id, %s, %s, 0, 'running', 0, 0, 0
                FROM servicedesk_case c
                WHERE c.id <= %s AND NOT EXISTS (
                    SELECT 1 FROM sla_clock k WHERE k.case_id = c.id AND k.policy_id = %s)
                """,
                [policy.pk, base, base + FAR, n, policy.pk],
            )
        # Reset every clock: far off, running; then the crossing blocks.
        Clock.objects.filter(policy=policy).update(
            state=ClockState.RUNNING,
            due_at=base + FAR,
            warn_at=None,
            breached_at=None,
            warning_level=0,
            next_action_at=None,
            levels_done=0,
        )
        ids = list(
            Clock.objects.filter(policy=policy)
            .order_by("id")
            .values_list("id", flat=True)[: BLOCKS * BLOCK]
        )
        for block in range(BLOCKS):
            Clock.objects.filter(id__in=ids[block * BLOCK : (block + 1) * BLOCK]).update(
                due_at=base + dt.timedelta(minutes=block, seconds=30)
            )
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE sla_clock")
    print(f"  clocks ready: {n:,} ({time.perf_counter() - started:.0f} s)", flush=True)
    return n


@scenario(
    "sla.sweep",
    description="sla_sweep(now) over one running clock per case (1,000,000 at full scale): "
    "each call finds and breaches the 1,000 clocks that crossed their deadline since the last.",
    runs=20,
    small_runs=20,
    warmup=2,
)
def sla_sweep_scenario(ctx: Context) -> Any:
    from propdesk.sla.services import sla_sweep

    base = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    ensure_clocks(ctx, base)
    minute = [0]

    def call(_i: int) -> None:
        minute[0] += 1
        counts = sla_sweep(now=base + dt.timedelta(minutes=minute[0]))
        if counts["breached"] != BLOCK:
            raise AssertionError(f"sweep breached {counts['breached']}, expected {BLOCK}")

    return call


@scenario(
    "sla.case_create_overhead",
    description="What starting a new case's clocks adds to case_create: the time spent in "
    "sla.services.clocks_plan_new_case (policy match, due times, escalation schedule) per "
    "case created through the service; the clock rows go out with the case's INSERT.",
    runs=300,
    small_runs=100,
    kind="batch",
)
def case_create_overhead(ctx: Context) -> Any:
    from propdesk.customers.models import Occupancy
    from propdesk.servicedesk import services
    from propdesk.servicedesk.models import Category, ReplyTemplate
    from propdesk.servicedesk.seeds import seed
    from propdesk.sla import services as sla_services
    from propdesk.sla.models import EscalationLevel, Policy
    from propdesk.sla.seeds import seed as seed_policies

    ensure_cases(ctx)
    seed(Category, ReplyTemplate)
    seed_policies(Policy, EscalationLevel)
    category = Category.objects.filter(company__isnull=True, code="water.tap").first()
    homes = list(
        Occupancy.objects.filter(end_date__isnull=True)
        .order_by("id")
        .values_list("house_id", "customer_id", "community_id")[:500]
    )
    if category is None or not homes:
        raise Skip("no categories or occupancies in the dataset")
    runs = 300 if ctx.scale == "full" else 100
    hooks = ("clocks_plan_new_case",)
    originals = {name: getattr(sla_services, name) for name in hooks}
    spent = [0.0]

    def timed(fn: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[0] += time.perf_counter() - t0

        return wrapper

    def call(_i: int) -> dict[str, Any]:
        overheads, totals = [], []
        for name in hooks:
            setattr(sla_services, name, timed(originals[name]))
        try:
            for i in range(runs + 5):
                house_id, customer_id, community_id = homes[i % len(homes)]
                spent[0] = 0.0
                t0 = time.perf_counter()
                services.case_create(
                    actor=ctx.user,
                    community_id=community_id,
                    kind="repair",
                    channel="phone",
                    house_id=house_id,
                    customer_id=customer_id,
                    category_id=category.pk,
                    description="厨房水龙头滴水",
                )
                if i >= 5:
                    totals.append(time.perf_counter() - t0)
                    overheads.append(spent[0])
        finally:
            for name in hooks:
                setattr(sla_services, name, originals[name])
        overheads.sort()
        totals.sort()
        print(
            f"  case_create p50 {percentile(totals, 50) * 1000:.2f} ms, of which clocks "
            f"{percentile(overheads, 50) * 1000:.2f} ms",
            flush=True,
        )
        return {
            "runs": runs,
            "p50_ms": round(percentile(overheads, 50) * 1000, 3),
            "p95_ms": round(percentile(overheads, 95) * 1000, 3),
            "p99_ms": round(percentile(overheads, 99) * 1000, 3),
            "throughput_per_s": round(runs / sum(totals), 1),
        }

    return call
