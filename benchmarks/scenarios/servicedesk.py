"""Service-desk scenarios (issue 4): queue.page, case.page, case.create.

The cases are loaded set-based on top of the generated group: on PostgreSQL one
INSERT … SELECT generate_series per million rows (resumable: it continues from
the highest id already there); on SQLite executemany in chunks. Sizes:
full = 10,000,000 cases, small = 50,000; `BENCH_CASES` overrides.
"""

from __future__ import annotations

import os
import time
from typing import Any

from benchmarks.harness import Context, Skip, scenario

FULL_CASES = 10_000_000
SMALL_CASES = 50_000
CHUNK_PG = 1_000_000
CHUNK_SQLITE = 5_000
# received, dispatched, in progress, completed, closed … ; most history is closed.
STATUSES = ["closed"] * 7 + ["received", "dispatched", "in_progress", "completed", "on_hold"]
KINDS = ["repair"] * 6 + ["complaint", "complaint", "inquiry", "paid_service"]
SPAN_SECONDS = 3 * 365 * 24 * 3600


def target_cases(ctx: Context) -> int:
    raw = os.environ.get("BENCH_CASES", "")
    if raw.isdigit():
        return int(raw)
    return FULL_CASES if ctx.scale == "full" else SMALL_CASES


_COLUMNS = (
    "id, community_id, number, kind, channel, status, house_id, building_id, location, "
    "customer_id, reporter_name, reporter_phone_cipher, reporter_phone_masked, category_id, "
    "severity, priority, title, description, complained_party, billing_basis, "
    "immediate_action, work_done, signoff_kind, signoff_form_number, signoff_image, "
    "judgement, responsibility, cause_factors, cause_analysis, remedy, result, "
    "result_told_way, received_at, rework_count, updated_at, due_at"
)


def ensure_cases(ctx: Context) -> int:
    """Load cases up to the target size; returns how many exist."""
    from django.db import connection, transaction

    from propdesk.servicedesk.models import Case

    target = target_cases(ctx)
    have = Case.objects.order_by("-id").values_list("id", flat=True).first() or 0
    if have >= target:
        return have
    houses = ctx.params.houses
    started = time.perf_counter()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            statuses = "ARRAY[" + ",".join(f"'{s}'" for s in STATUSES) + "]"
            kinds = "ARRAY[" + ",".join(f"'{k}'" for k in KINDS) + "]"
            for start in range(have + 1, target + 1, CHUNK_PG):
                end = min(start + CHUNK_PG - 1, target)
                with transaction.atomic():
                    cursor.execute(
                        f"""
                        INSERT INTO servicedesk_case ({_COLUMNS})
                        SELECT g, h.community_id, 'BX' || lpad(g::text, 10, '0'),
                               ({kinds})[1 + g %% {len(KINDS)}], 'phone',
                               ({statuses})[1 + (g / 7) %% {len(STATUSES)}],
                               h.id, h.building_id, '', NULL, '业主', '', '', NULL,
                               '', 'normal', '厨房水龙头漏水', '厨房水龙头一直滴水，请尽快上门',
                               '', '', '', '', '', '', '', '', '', '[]'::jsonb, '', '', '', '',
                               %s::timestamptz - make_interval(secs => (g::bigint * 7919) %% {SPAN_SECONDS}),
                               0, now(),
                               CASE WHEN (g / 7) %% {len(STATUSES)} < 7 THEN NULL
                                    ELSE %s::timestamptz - make_interval(secs => (g::bigint * 7919) %% {SPAN_SECONDS}) + interval '2 days' END
                        FROM generate_series(%s, %s) AS g
                        JOIN estates_house h ON h.id = 1 + (g::bigint * 104729) %% {houses}
                        """,
                        [_base_time(), _base_time(), start, end],
                    )
                print(
                    f"  cases {end:,}/{target:,} ({time.perf_counter() - started:.0f} s)",
                    flush=True,
                )
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('servicedesk_case', 'id'), "
                "(SELECT max(id) FROM servicedesk_case))"
            )
            cursor.execute("ANALYZE servicedesk_case")
        else:
            house_rows = dict(
                _fetch(cursor, "SELECT id, community_id || ',' || building_id FROM estates_house")
            )
            base = _base_time()
            for start in range(have + 1, target + 1, CHUNK_SQLITE):
                rows = []
                for g in range(start, min(start + CHUNK_SQLITE, target + 1)):
                    house_id = 1 + (g * 104729) % houses
                    community_id, building_id = house_rows[house_id].split(",")
                    status = STATUSES[(g // 7) % len(STATUSES)]
                    received = base.timestamp() - (g * 7919) % SPAN_SECONDS
                    rows.append(
                        _sqlite_row(
                            g, int(community_id), int(building_id), house_id, status, received
                        )
                    )
                with transaction.atomic():
                    cursor.executemany(
                        f"INSERT INTO servicedesk_case ({_COLUMNS}) VALUES ({', '.join(['%s'] * 36)})",
                        rows,
                    )
    return target


def _fetch(cursor: Any, sql: str) -> list[Any]:
    cursor.execute(sql)
    return list(cursor.fetchall())


def _base_time() -> Any:
    from benchmarks.generate import BASE_TIME

    return BASE_TIME


def _sqlite_row(
    g: int, community_id: int, building_id: int, house_id: int, status: str, received: float
) -> tuple[Any, ...]:
    import datetime as dt

    at = dt.datetime.fromtimestamp(received, tz=dt.UTC)
    due = None if status == "closed" else at + dt.timedelta(days=2)
    return (
        g,
        community_id,
        f"BX{g:010d}",
        KINDS[g % len(KINDS)],
        "phone",
        status,
        house_id,
        building_id,
        "",
        None,
        "业主",
        "",
        "",
        None,
        "",
        "normal",
        "厨房水龙头漏水",
        "厨房水龙头一直滴水，请尽快上门",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "[]",
        "",
        "",
        "",
        "",
        at,
        0,
        at,
        due,
    )


def _community_clients(ctx: Context, n: int = 20) -> list[Any]:
    """Clients whose console session is set to one community each (the queue is per community)."""
    from propdesk.accounts.selectors import SESSION_COMMUNITY_KEY

    rng = ctx.rng("queue.clients")
    clients = []
    for _ in range(n):
        client = ctx.client()
        session = client.session
        session[SESSION_COMMUNITY_KEY] = rng.randint(1, ctx.params.communities)
        session.save()
        clients.append(client)
    return clients


@scenario(
    "queue.page",
    description="GET /cases/?queue=…&kind=repair — a staff queue page (50 rows) of one "
    "community, cycling open / unassigned / overdue / all, over the loaded cases.",
    runs=200,
    floor="floor.view",
)
def queue_page(ctx: Context) -> Any:
    ensure_cases(ctx)
    clients = _community_clients(ctx)
    queues = ["open", "unassigned", "overdue", "all"]

    def call(i: int) -> None:
        response = clients[i % len(clients)].get(f"/cases/?queue={queues[i % 4]}&kind=repair")
        if response.status_code != 200:
            raise AssertionError(f"queue page answered {response.status_code}")

    return call


@scenario(
    "case.page",
    description="GET /cases/<id>/ — the case page of a random case (details, actions, timeline).",
    runs=200,
    floor="floor.view",
)
def case_page(ctx: Context) -> Any:
    total = ensure_cases(ctx)
    client = ctx.client()
    rng = ctx.rng("case.page")
    ids = [rng.randint(1, total) for _ in range(200)]

    def call(i: int) -> None:
        response = client.get(f"/cases/{ids[i % len(ids)]}/")
        if response.status_code != 200:
            raise AssertionError(f"case page answered {response.status_code}")

    return call


@scenario(
    "case.create",
    description="POST /api/cases/ — repairs taken through the API (numbering, routing, "
    "event, timeline, deadline clocks) by the group's administrator, from BENCH_CLIENTS "
    "(default 2, one per core) processes posting at once; p50/p95/p99 are per request under "
    "that load, throughput is cases per second of wall time.",
    runs=300,
    small_runs=100,
    floor="floor.view",
    kind="batch",
)
def case_create(ctx: Context) -> Any:
    from propdesk.customers.models import Occupancy
    from propdesk.servicedesk.models import Category, ReplyTemplate
    from propdesk.servicedesk.seeds import seed
    from propdesk.sla.models import EscalationLevel, Policy
    from propdesk.sla.seeds import seed as seed_policies

    ensure_cases(ctx)
    seed(Category, ReplyTemplate)  # the generator's load may have emptied the shipped trees
    seed_policies(Policy, EscalationLevel)
    category = Category.objects.filter(company__isnull=True, code="water.tap").first()
    if category is None:
        raise Skip("the shipped case categories are missing (run the migrations)")
    # Homes spread over the group (a call centre serves every community at once): cases
    # of one community queue on its gapless number counter, as they would in production.
    last = Occupancy.objects.order_by("-id").values_list("id", flat=True).first() or 0
    step = max(1, last // 2000)
    homes = list(
        Occupancy.objects.filter(end_date__isnull=True, id__in=range(1, last + 1, step))
        .order_by("id")
        .values_list("house_id", "customer_id", "community_id")
    )
    if not homes:
        raise Skip("no occupancies in the dataset")
    clients = max(1, int(os.environ.get("BENCH_CLIENTS", "") or 2))
    per_client = (300 if ctx.scale == "full" else 100) // clients
    user_id = ctx.user.pk

    def call(_i: int) -> dict[str, Any]:
        import multiprocessing

        from django.db import connections

        from benchmarks.harness import percentile

        connections.close_all()  # each process opens its own connection
        jobs = [(n, clients, per_client, user_id, category.pk, homes) for n in range(clients)]
        with multiprocessing.get_context("fork").Pool(clients) as pool:
            results = pool.map(_post_cases, jobs)
        timings = sorted(t for _start, _end, ts in results for t in ts)
        wall = max(end for _s, end, _t in results) - min(start for start, _e, _t in results)
        return {
            "runs": len(timings),
            "p50_ms": round(percentile(timings, 50) * 1000, 3),
            "p95_ms": round(percentile(timings, 95) * 1000, 3),
            "p99_ms": round(percentile(timings, 99) * 1000, 3),
            "throughput_per_s": round(len(timings) / wall, 1),
        }

    return call


def _post_cases(job: tuple[int, int, int, int, int, list[Any]]) -> tuple[float, float, list[float]]:
    """One client process: 5 warm-up cases, then `runs` timed ones; (start, end, timings)."""
    from rest_framework.test import APIClient

    from propdesk.accounts.models import User

    n, clients, runs, user_id, category_id, homes = job
    client = APIClient()
    client.force_authenticate(User.objects.get(pk=user_id))

    def post(i: int) -> None:
        house_id, customer_id, community_id = homes[(i * clients + n) % len(homes)]
        response = client.post(
            "/api/cases/",
            {
                "community": community_id,
                "kind": "repair",
                "channel": "phone",
                "house": house_id,
                "customer": customer_id,
                "category": category_id,
                "description": "厨房水龙头滴水",
            },
            format="json",
        )
        if response.status_code != 201:
            raise AssertionError(
                f"case create answered {response.status_code}: {response.content[:200]!r}"
            )

    for i in range(5):
        post(runs + i)
    timings = []
    start = time.perf_counter()
    for i in range(runs):
        t0 = time.perf_counter()
        post(i)
        timings.append(time.perf_counter() - t0)
    return start, time.perf_counter(), timings
