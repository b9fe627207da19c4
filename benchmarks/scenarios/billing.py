"""Billing scenarios (issue 6): billing.run, billing.arrears_report, payment.post.

- `billing.run` (batch): one billing run per community of the group for one month,
  three fee items each (management fee per m², garbage fee, shared public energy),
  through `services.billing_run_start` — 1,000 communities / 1,000,000 houses at
  full scale (≈ 2.9 M bills: unsold houses owe nothing). Committed chunk by chunk
  as in production (a rolled-back run would skip the deferred foreign-key checks
  that run at each commit); each invocation bills the next month not yet billed
  (from 2026-12 on), and BENCH_BILLING_RESET=1 first deletes what earlier
  invocations billed (untimed). BENCH_BILLING_WORKERS=n splits the communities
  over n processes, like n `propdesk worker`s sharing the billing.run tasks.
- `billing.arrears_report`: `reports.arrears_by_age` of a 10,000-house community
  (made once and kept: community `BARR2`, billed by 14 monthly runs; one house in
  five owes 1–14 months — handed over month by month, nothing paid, ≈ 45,000 open
  bills — the others owe nothing), cycling the community, building and house levels.
- `payment.post`: `POST /api/payments/` with an Idempotency-Key, 100.00 for an
  owing house of that community (allocated oldest first, receipt issued),
  committed, by that community's cashier (`bench_cashier`, one community: the
  group administrator's 1,000-community scope would add an IN list of 1,000 ids
  to every scoped query).
"""

from __future__ import annotations

import datetime as dt
import os
import time
import uuid
from decimal import Decimal
from typing import Any

from benchmarks.generate import COMPANY_CODE
from benchmarks.harness import Context, Skip, scenario

RUN_PERIOD = "2026-12"
ARREARS_CODE = "BARR2"
EXTRA_COMPANY = "bench-billing"
ARREARS_HOUSES = 10_000
ARREARS_MONTHS = 14
# code, name, kind, basis, price (every house kind)
BENCH_ITEMS = (
    ("management", "物业管理费", "management", "per_area_month", "2.50"),
    ("garbage", "生活垃圾处理费", "garbage", "fixed_month", "10.00"),
    ("public_energy", "公共能耗分摊", "utility", "fixed_month", "8.00"),
)


def ensure_fee_items(community_ids: list[int]) -> None:
    """The three bench fee items, their standards and the custody rule (R-CST-4), set-based."""
    from propdesk.billing.models import AdjustmentRule, FeeItem, PriceStandard

    have = set(
        FeeItem.objects.filter(community_id__in=community_ids, code="public_energy").values_list(
            "community_id", flat=True
        )
    )
    missing = [c for c in community_ids if c not in have]
    if not missing:
        return
    FeeItem.objects.bulk_create(
        [
            FeeItem(
                community_id=c,
                code=code,
                name=name,
                kind=kind,
                sort=n * 10,
            )
            for c in missing
            for n, (code, name, kind, _basis, _price) in enumerate(BENCH_ITEMS)
        ],
        batch_size=2000,
        ignore_conflicts=True,
    )
    rows = FeeItem.objects.filter(
        community_id__in=missing, code__in=[c for c, *_ in BENCH_ITEMS]
    ).values_list("id", "community_id", "code")
    spec = {code: (basis, price) for code, _n, _k, basis, price in BENCH_ITEMS}
    PriceStandard.objects.bulk_create(
        [
            PriceStandard(
                community_id=community_id,
                fee_item_id=item_id,
                house_kind="",
                basis=spec[code][0],
                unit_price=Decimal(spec[code][1]),
                valid_from=dt.date(2020, 1, 1),
            )
            for item_id, community_id, code in rows
        ],
        batch_size=2000,
        ignore_conflicts=True,
    )
    AdjustmentRule.objects.bulk_create(
        [
            AdjustmentRule(community_id=c, kind="custody", fee_item=None, rate=Decimal("0.70"))
            for c in missing
        ],
        ignore_conflicts=True,
    )


def next_period(community_id: int) -> str:
    """The first month from RUN_PERIOD on that the community has no run for."""
    from propdesk.billing.models import BillingRun

    billed = set(
        BillingRun.objects.filter(community_id=community_id).values_list("period", flat=True)
    )
    year, month = (int(x) for x in RUN_PERIOD.split("-"))
    while f"{year}-{month:02d}" in billed:
        year, month = (year, month + 1) if month < 12 else (year + 1, 1)
    return f"{year}-{month:02d}"


def reset_runs(community_ids: list[int]) -> None:
    """Delete what earlier billing.run benchmarks billed in these communities (untimed)."""
    from django.db import connection, transaction

    from propdesk.billing.models import Account, Bill, BillingRun, LedgerEntry

    marks = ", ".join(["%s"] * len(community_ids))
    with transaction.atomic(), connection.cursor() as cursor:
        # Raw deletes: the ORM would load millions of rows to check what points at them.
        for model in (LedgerEntry, Bill, BillingRun, Account):
            cursor.execute(
                f"DELETE FROM {model._meta.db_table} WHERE community_id IN ({marks})",
                community_ids,
            )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE billing_bill, billing_ledgerentry, billing_account")


def _run_communities(community_ids: list[int], username: str, period: str) -> int:
    """Bill `period` for each community (committed chunk by chunk); returns the bills made."""
    from propdesk.accounts.models import User
    from propdesk.billing import services

    actor = User.objects.get(username=username)
    made = 0
    for community_id in community_ids:
        run = services.billing_run_start(actor=actor, community_id=community_id, period=period)
        made += run.bills_created
    return made


def _worker(args: tuple[list[int], str, str, str]) -> int:
    community_ids, username, period, url = args
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "propdesk.settings")
    import django

    django.setup()
    return _run_communities(community_ids, username, period)


@scenario(
    "billing.run",
    description="One billing run per community for one month, 3 fee items (management per m², "
    "garbage, public energy) for every house of the group through billing_run_start, committed "
    "chunk by chunk (batch: wall time; bills per second). Each invocation bills the next month.",
    kind="batch",
)
def billing_run(ctx: Context) -> Any:
    from django.db import connection

    from propdesk.estates.models import Community

    communities = list(
        Community.objects.filter(company__code=COMPANY_CODE)
        .order_by("id")
        .values_list("id", flat=True)
    )
    ensure_fee_items(communities)
    if os.environ.get("BENCH_BILLING_RESET", "") in {"1", "true", "yes"}:
        reset_runs(communities)
    period = next_period(communities[0])
    workers = max(1, int(os.environ.get("BENCH_BILLING_WORKERS", "1") or 1))
    if workers > 1 and connection.vendor != "postgresql":
        raise Skip("BENCH_BILLING_WORKERS > 1 needs PostgreSQL (SQLite has one writer)")
    username = ctx.user.username
    print(f"  billing {period} for {len(communities):,} communities, {workers} process(es)")

    def call(_i: int) -> int:
        if workers == 1:
            return _run_communities(communities, username, period)
        import multiprocessing

        url = os.environ["DATABASE_URL"]
        shares = [(communities[n::workers], username, period, url) for n in range(workers)]
        connection.close()
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            return sum(pool.map(_worker, shares))

    return call


def ensure_arrears_community(ctx: Context) -> int:
    """The 10,000-house community with 14 months of unpaid bills (made once, kept)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from propdesk.billing import services
    from propdesk.billing.models import BillingRun
    from propdesk.estates.models import Building, Community, Company, House

    community = Community.objects.filter(code=ARREARS_CODE, company__code=EXTRA_COMPANY).first()
    months = _months(timezone.localdate(), ARREARS_MONTHS)
    if (
        community is not None
        and BillingRun.objects.filter(
            community=community, period=f"{months[-1]:%Y-%m}", state="done"
        ).count()
    ):
        return community.pk
    started = time.perf_counter()
    with transaction.atomic():
        if community is None:
            # Another company than the generated group's, so the dataset check of
            # benchmarks.generate still finds exactly the group it generated.
            company, _made = Company.objects.get_or_create(
                code=EXTRA_COMPANY, defaults={"name": "基准测试附加公司"}
            )
            community = Community.objects.create(
                company=company, code=ARREARS_CODE, name="欠费基准花园", address="基准市"
            )
            buildings = Building.objects.bulk_create(
                Building(
                    community=community, code=str(b + 1), name=f"{b + 1}栋", floors=25, units=2
                )
                for b in range(ARREARS_HOUSES // 100)
            )
            statuses = ["occupied"] * 8 + ["custody", "vacant"]
            House.objects.bulk_create(
                (
                    House(
                        community=community,
                        building=buildings[n // 100],
                        unit=str(n % 100 // 50 + 1),
                        room=f"{n % 50 // 2 + 1}{n % 2 + 1:02d}",
                        label=f"{n // 100 + 1}-{n % 100 // 50 + 1}-{n % 50 // 2 + 1}{n % 2 + 1:02d}",
                        floor=n % 50 // 2 + 1,
                        area=Decimal("89.16") if n % 2 else Decimal("128.47"),
                        kind="residence",
                        status=statuses[n % len(statuses)],
                        # One house in five owes 1..14 months (handed over month by month,
                        # nothing paid); the others are handed over next year and owe nothing.
                        handover_date=months[n // 5 % ARREARS_MONTHS]
                        if n % 5 == 0
                        else months[-1].replace(year=months[-1].year + 1),
                    )
                    for n in range(ARREARS_HOUSES)
                ),
                batch_size=2000,
            )
        ensure_fee_items([community.pk])
    for month in months:
        period = f"{month:%Y-%m}"
        if not BillingRun.objects.filter(community=community, period=period).exists():
            services.billing_run_start(
                actor=_manager(community.pk), community_id=community.pk, period=period
            )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE billing_bill, billing_account, estates_house")
    print(
        f"  arrears community {ARREARS_CODE}: {ARREARS_HOUSES:,} houses, {ARREARS_MONTHS} months "
        f"billed ({time.perf_counter() - started:.0f} s)",
        flush=True,
    )
    return community.pk


def _months(today: dt.date, n: int) -> list[dt.date]:
    out, year, month = [], today.year, today.month
    for _ in range(n):
        out.append(dt.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]


@scenario(
    "billing.arrears_report",
    description="reports.arrears_by_age for a 10,000-house community, 2,000 houses owing 1–14 "
    "months (≈45,000 open bills), cycling the community, building and house levels.",
    runs=60,
    small_runs=30,
    floor="floor.select",
)
def arrears_report(ctx: Context) -> Any:
    try:
        from propdesk.billing.reports import arrears_by_age
    except ImportError:
        raise Skip("arrears report not built yet: propdesk.billing.reports is missing") from None
    community_id = ensure_arrears_community(ctx)
    user = _cashier(community_id)
    levels = ["community", "building", "house"]

    def call(i: int) -> None:
        report = arrears_by_age(user, level=levels[i % 3], community_id=community_id)
        if not report.rows:
            raise AssertionError("the arrears report is empty")

    return call


def _manager(community_id: int) -> Any:
    """A director of the arrears community (it belongs to no group the admin serves)."""
    return _staff("bench_director", "基准管理处主任", "director", community_id)


def _cashier(community_id: int) -> Any:
    """The cashier of the arrears community (a cashier serves one community)."""
    return _staff("bench_cashier", "基准收费员", "cashier", community_id)


def _staff(username: str, name: str, role: str, community_id: int) -> Any:
    from propdesk.accounts.models import StaffScope, User, UserKind
    from propdesk.estates.models import Community

    company_id = Community.objects.values_list("company_id", flat=True).get(pk=community_id)
    user, made = User.objects.get_or_create(
        username=username,
        defaults={
            "display_name": name,
            "kind": UserKind.STAFF,
            "role": role,
            "company_id": company_id,
        },
    )
    if made:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    StaffScope.objects.get_or_create(user=user, community_id=community_id)
    return user


@scenario(
    "payment.post",
    description="POST /api/payments/ (Idempotency-Key header) by the community's cashier: 100.00 "
    "for an owing house of the 10,000-house arrears community, allocated oldest first, "
    "receipt numbered; committed.",
    runs=200,
    small_runs=100,
    floor="floor.view",
)
def payment_post(ctx: Context) -> Any:
    from rest_framework.test import APIClient

    from propdesk.billing.models import Bill

    community_id = ensure_arrears_community(ctx)
    client = APIClient()
    client.force_authenticate(_cashier(community_id))
    rng = ctx.rng("payment.post")
    houses = list(
        Bill.objects.filter(community_id=community_id)
        .values_list("house_id", flat=True)
        .distinct()
        .order_by("house_id")
    )
    sample = [houses[rng.randrange(len(houses))] for _ in range(500)]

    def call(i: int) -> None:
        response = client.post(
            "/api/payments/",
            {"house": sample[i % len(sample)], "amount": "100.00", "method": "cash"},
            format="json",
            HTTP_IDEMPOTENCY_KEY=f"bench-{uuid.uuid4().hex}",
        )
        if response.status_code != 201:
            raise AssertionError(
                f"payment answered {response.status_code}: {response.content[:200]!r}"
            )

    return call
