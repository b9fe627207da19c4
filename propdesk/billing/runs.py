"""Billing runs: periods, what each house owes, and the chunked, resumable run.

One function, `compute_chunk`, says what a set of houses owes for a period; the
preview shows its result and the run writes it, so what staff preview is what
the run bills. Writes are set-based per chunk (bulk inserts that skip bills
already there, one UPDATE for the balances), each chunk in one transaction,
the run's cursor moved with it: a run killed halfway is resumed (or started
again) and creates nothing twice, because bills are unique per
(house, fee item, period).

Late fees are a run of the late-fee item alone, for a month that is over
(`late_fees` has the design); `compute_chunk` computes them like any line.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from propdesk.core.errors import Invalid
from propdesk.core.models import AuditEvent
from propdesk.core.money import money
from propdesk.estates.models import Community, House, HouseStatus, MeterReading

from . import late_fees, ledger
from .models import (
    ZERO,
    Account,
    AccountKind,
    AdjustmentKind,
    AdjustmentRule,
    Bill,
    BillingRun,
    Cycle,
    EntryKind,
    FeeItem,
    FeeKind,
    LedgerEntry,
    PriceBasis,
    PriceStandard,
    RunState,
    Timing,
)

CHUNK = 5000
# Statuses in which a house owes recurring fees; unsold houses are the developer's.
BILLABLE = {
    HouseStatus.DELIVERED,
    HouseStatus.OCCUPIED,
    HouseStatus.VACANT,
    HouseStatus.RENOVATING,
    HouseStatus.CUSTODY,
}


@dataclass(frozen=True)
class Period:
    key: str
    cycle: str
    start: dt.date
    end: dt.date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def months(self) -> int:
        return {Cycle.MONTH: 1, Cycle.QUARTER: 3, Cycle.YEAR: 12}[Cycle(self.cycle)]


def period_parse(key: str) -> Period:
    """`2026-11` (month), `2026-Q4` (quarter) or `2026` (year)."""
    key = (key or "").strip().upper()
    if m := re.fullmatch(r"(\d{4})-(\d{1,2})", key):
        year, month = int(m[1]), int(m[2])
        if 1 <= month <= 12:
            last = calendar.monthrange(year, month)[1]
            return Period(
                f"{year}-{month:02d}",
                Cycle.MONTH,
                dt.date(year, month, 1),
                dt.date(year, month, last),
            )
    if m := re.fullmatch(r"(\d{4})-Q([1-4])", key):
        year, quarter = int(m[1]), int(m[2])
        first = 3 * quarter - 2
        last = calendar.monthrange(year, first + 2)[1]
        return Period(
            f"{year}-Q{quarter}",
            Cycle.QUARTER,
            dt.date(year, first, 1),
            dt.date(year, first + 2, last),
        )
    if re.fullmatch(r"\d{4}", key):
        year = int(key)
        return Period(key, Cycle.YEAR, dt.date(year, 1, 1), dt.date(year, 12, 31))
    raise Invalid.field("period", _("Enter a month (2026-11), a quarter (2026-Q4) or a year."))


def due_date(period: Period, timing: str) -> dt.date:
    return period.start if timing == Timing.PREPAID else period.end


@dataclass
class Line:
    """What one house owes for one fee item in a period."""

    house_id: int
    label: str
    fee_item_id: int
    quantity: Decimal
    unit_price: Decimal
    gross: Decimal
    amount: Decimal
    note: str


class Pricing:
    """The standards and adjustment rules of a community, valid for one period.

    `as_of` is the day the run bills (late fees are billed for a period over by then).
    """

    def __init__(
        self,
        community_id: int,
        fee_items: list[FeeItem],
        period: Period,
        *,
        as_of: dt.date | None = None,
        tz: Any = None,
    ) -> None:
        self.period = period
        self.fee_items = fee_items
        self.tz = tz or self.tz_of(community_id)
        self.as_of = as_of or timezone.localtime(timezone.now(), self.tz).date()
        self.late_fees = (
            late_fees.LateFeeRules(community_id)
            if any(i.kind == FeeKind.LATE_FEE for i in fee_items)
            else None
        )
        self.standards: dict[tuple[int, str], PriceStandard] = {}
        rows = PriceStandard.objects.filter(
            fee_item__in=fee_items, valid_from__lte=period.start
        ).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=period.start))
        for std in rows.order_by("valid_from"):
            self.standards[(std.fee_item_id, std.house_kind)] = std  # latest start wins
        self.rules: dict[tuple[str, int | None], Decimal] = {
            (r.kind, r.fee_item_id): r.rate
            for r in AdjustmentRule.objects.filter(community_id=community_id, is_active=True)
        }

    @staticmethod
    def tz_of(community_id: int) -> Any:
        from .reports import community_tz

        return community_tz(Community.objects.get(pk=community_id))

    def standard(self, fee_item_id: int, house_kind: str) -> PriceStandard | None:
        return self.standards.get((fee_item_id, house_kind)) or self.standards.get(
            (fee_item_id, "")
        )

    def rate(self, kind: str, item: FeeItem) -> Decimal | None:
        rate = self.rules.get((kind, item.pk))
        if rate is None and item.kind == FeeKind.MANAGEMENT:
            rate = self.rules.get((kind, None))
        return rate

    def factor(self, status: str, item: FeeItem) -> tuple[Decimal, str]:
        """The share of the full fee a house in `status` pays, and why."""
        if status not in BILLABLE:
            return ZERO, ""
        if status == HouseStatus.CUSTODY:
            rate = self.rate(AdjustmentKind.CUSTODY, item)
            if rate is not None:
                return rate, _("custody %(pct)s%%") % {"pct": _pct(rate)}
        if status == HouseStatus.VACANT:
            rate = self.rate(AdjustmentKind.VACANCY, item)
            if rate is not None:
                return Decimal(1) - rate, _("vacancy discount %(pct)s%%") % {"pct": _pct(rate)}
        return Decimal(1), ""


def _pct(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f}"


def _status_segments(
    house: dict[str, Any], changes: list[tuple[dt.date, str, str]], period: Period
) -> tuple[tuple[int, str], ...]:
    """(days, status) pieces of the period: status changes split it, handover starts it."""
    status_at_start = changes[0][1] if changes else house["status"]
    points = [(period.start, status_at_start)]
    for day, _before, after in changes:
        points.append((max(day, period.start), after))
    handover = house["handover_date"]
    segments: list[tuple[int, str]] = []
    for n, (start, status) in enumerate(points):
        end = points[n + 1][0] if n + 1 < len(points) else period.end + dt.timedelta(days=1)
        if handover and handover > start:
            start = min(handover, end)
        days = (end - start).days
        if days > 0:
            segments.append((days, status))
    return tuple(segments)


def _changes_in(house_ids: list[int], period: Period) -> dict[int, list[tuple[dt.date, str, str]]]:
    """Status changes of these houses during the period, from the audit trail."""
    start = dt.datetime.combine(period.start, dt.time.min, tzinfo=dt.UTC) - dt.timedelta(hours=8)
    end = dt.datetime.combine(period.end, dt.time.max, tzinfo=dt.UTC)
    out: dict[int, list[tuple[dt.date, str, str]]] = defaultdict(list)
    events = AuditEvent.objects.filter(
        object_type="estates.house",
        object_id__any=[str(i) for i in house_ids],
        at__gte=start,
        at__lte=end,
    ).order_by("at", "id")
    for event in events.only("object_id", "at", "changes"):
        status = (event.changes or {}).get("status")
        if status and len(status) == 2 and status[0] != status[1]:
            day = timezone.localtime(event.at).date()
            if period.start <= day <= period.end:
                out[int(event.object_id)].append((day, status[0], status[1]))
    return out


def _consumption(house_ids: list[int], meter_kind: str, period: Period) -> dict[int, Decimal]:
    """Metered use in the period: last reading in it less the last reading before it."""

    def last(before: dt.date, after: dt.date | None) -> dict[int, Decimal]:
        # Each meter's latest reading in the window, by a correlated subquery on the
        # (meter, read_on) unique index: one query whatever the number of meters.
        window = MeterReading.objects.filter(meter=OuterRef("meter"), read_on__lte=before)
        if after:
            window = window.filter(read_on__gte=after)
        latest = window.order_by("-read_on").values("read_on")[:1]
        values: dict[int, Decimal] = defaultdict(Decimal)
        for row in MeterReading.objects.filter(
            meter__house_id__in=house_ids, meter__kind=meter_kind, read_on=Subquery(latest)
        ).values("meter__house_id", "value"):
            values[row["meter__house_id"]] += row["value"]
        return values

    end = last(period.end, period.start)
    begin = last(period.start - dt.timedelta(days=1), None)
    return {
        house: value - begin[house]
        for house, value in end.items()
        if house in begin and value >= begin[house]
    }


def compute_chunk(houses: list[dict[str, Any]], pricing: Pricing, period: Period) -> list[Line]:
    """What each house owes for each fee item: price × quantity × months × status share."""
    ids = [h["id"] for h in houses]
    changes = _changes_in(ids, period)
    segments = {h["id"]: _status_segments(h, changes.get(h["id"], []), period) for h in houses}
    lines: list[Line] = []
    for item in pricing.fee_items:
        if item.kind == FeeKind.LATE_FEE:
            lines.extend(_late_fee_lines(houses, pricing, period, item))
            continue
        usage: dict[int, Decimal] = {}
        if item.kind == FeeKind.UTILITY and item.meter_kind:
            usage = _consumption(ids, item.meter_kind, period)
        item_id = item.pk
        standards = {kind: pricing.standard(item_id, kind) for kind in {h["kind"] for h in houses}}
        # Houses of one standard, size and history owe the same: priced once per chunk.
        priced: dict[tuple[Any, ...], tuple[Decimal, Decimal, str] | None] = {}
        for house in houses:
            std = standards[house["kind"]]
            if std is None or std.basis == PriceBasis.ONE_OFF:
                continue
            house_id = house["id"]
            if std.basis == PriceBasis.PER_UNIT:
                if house_id not in usage or house["status"] not in BILLABLE:
                    continue
                qty = usage[house_id]
                gross = money(qty * std.unit_price)
                lines.append(
                    Line(house_id, house["label"], item_id, qty, std.unit_price, gross, gross, "")
                )
                continue
            qty = house["area"] if std.basis == PriceBasis.PER_AREA_MONTH else Decimal(1)
            key = (std.pk, qty, segments[house_id])
            if key not in priced:
                priced[key] = _priced(item, std, qty, segments[house_id], pricing, period)
            price = priced[key]
            if price is not None:
                lines.append(Line(house_id, house["label"], item_id, qty, std.unit_price, *price))
    return lines


def _priced(
    item: FeeItem,
    std: PriceStandard,
    qty: Decimal,
    segments: tuple[tuple[int, str], ...],
    pricing: Pricing,
    period: Period,
) -> tuple[Decimal, Decimal, str] | None:
    """Full fee, amount due and note of one house for one item, or None if it owes nothing."""
    full = qty * std.unit_price * period.months
    share = ZERO
    notes: list[str] = []
    for days, status in segments:
        factor, why = pricing.factor(status, item)
        share += factor * days / period.days
        if why and why not in notes:
            notes.append(why)
    if share == ZERO:
        return None
    billed_days = sum(d for d, s in segments if s in BILLABLE)
    if billed_days < period.days:
        notes.append(_("%(days)s of %(all)s days") % {"days": billed_days, "all": period.days})
    amount = money(full * share)
    if amount <= ZERO:
        return None
    return money(full), amount, "; ".join(notes)[:200]


def _late_fee_lines(
    houses: list[dict[str, Any]], pricing: Pricing, period: Period, item: FeeItem
) -> list[Line]:
    """Late fees for the days of `period`, once it is over (the services refuse earlier)."""
    if pricing.late_fees is None or period.end >= pricing.as_of:
        return []
    labels = {h["id"]: h["label"] for h in houses}
    return [
        Line(
            c.house_id,
            labels[c.house_id],
            item.pk,
            Decimal(c.days),
            c.rate,
            c.gross,
            c.amount,
            c.note,
        )
        for c in late_fees.charges(
            list(labels),
            pricing.late_fees,
            first_day=period.start,
            last_day=period.end,
            tz=pricing.tz,
        )
    ]


# What a run does not bill: one-off, service and deposit items are charged one by one.
# (The late-fee item is billed by a run of its own: `is_late_fee_run`.)
NOT_IN_RUNS = (FeeKind.DEPOSIT, FeeKind.ONE_OFF, FeeKind.SERVICE)


def is_late_fee_run(fee_items: Iterable[FeeItem]) -> bool:
    """A run of the late-fee item: due the day it bills, not at the period's start or end."""
    return any(i.kind == FeeKind.LATE_FEE for i in fee_items)


def _houses(community_id: int, after: int, limit: int) -> list[dict[str, Any]]:
    rows = (
        House.objects.filter(community_id=community_id, id__gt=after)
        .order_by("id")
        .values("id", "label", "kind", "status", "area", "handover_date")[:limit]
    )
    return [dict(row) for row in rows]


def preview(
    community_id: int, period: Period, fee_items: list[FeeItem], *, as_of: dt.date | None = None
) -> dict[str, Any]:
    """What a run would bill, per fee item, without writing anything; skips bills already there."""
    pricing = Pricing(community_id, fee_items, period, as_of=as_of)
    existing = set(
        Bill.objects.filter(
            community_id=community_id, period=period.key, fee_item__in=fee_items
        ).values_list("house_id", "fee_item_id")
    )
    totals: dict[int, dict[str, Any]] = {
        item.pk: {"item": item, "bills": 0, "amount": ZERO, "skipped": 0} for item in fee_items
    }
    sample: list[Line] = []
    cursor = 0
    while batch := _houses(community_id, cursor, CHUNK):
        cursor = batch[-1]["id"]
        for line in compute_chunk(batch, pricing, period):
            row = totals[line.fee_item_id]
            if (line.house_id, line.fee_item_id) in existing:
                row["skipped"] += 1
                continue
            row["bills"] += 1
            row["amount"] += line.amount
            if len(sample) < 20 or (line.note and len(sample) < 40):
                sample.append(line)
    return {
        "period": period,
        "items": list(totals.values()),
        "bills": sum(r["bills"] for r in totals.values()),
        "amount": sum((r["amount"] for r in totals.values()), ZERO),
        "skipped": sum(r["skipped"] for r in totals.values()),
        "sample": sample,
    }


def execute(
    run: BillingRun,
    *,
    chunk: int = CHUNK,
    progress: Callable[[BillingRun], None] | None = None,
    fail_after_chunks: int | None = None,
    max_chunks: int | None = None,
) -> BillingRun:
    """Bill the run's houses chunk by chunk from its cursor; safe to call again after a crash.

    `max_chunks` returns after that many chunks with the run still running (the
    worker bills one chunk per task, so progress commits and shows as it goes).

    `fail_after_chunks` stops the run with an error in the middle of a chunk
    (after its bills were inserted, before it commits): the fault tests use it
    to prove the rerun creates exactly the bills of an uninterrupted run.
    """
    period = period_parse(run.period)
    items = list(FeeItem.objects.filter(pk__in=run.fee_item_ids).order_by("sort", "pk"))
    tz = Pricing.tz_of(run.community_id)
    pricing = Pricing(
        run.community_id,
        items,
        period,
        as_of=timezone.localtime(run.started_at, tz).date(),
        tz=tz,
    )
    due = pricing.as_of if is_late_fee_run(items) else due_date(period, run.timing)
    if not run.houses_total:
        run.houses_total = House.objects.filter(community_id=run.community_id).count()
    run.state = RunState.RUNNING
    run.save(update_fields=["state", "houses_total"])
    chunks = 0
    while batch := _houses(run.community_id, run.cursor, chunk):
        with transaction.atomic():
            created, amount = _write_chunk(run, batch, pricing, period, due)
            if fail_after_chunks is not None and chunks >= fail_after_chunks:
                raise RuntimeError("billing run stopped on purpose (fault test)")
            run.cursor = batch[-1]["id"]
            run.houses_done += len(batch)
            run.bills_created += created
            run.amount_created += amount
            run.save(update_fields=["cursor", "houses_done", "bills_created", "amount_created"])
        chunks += 1
        if progress:
            progress(run)
        if max_chunks is not None and chunks >= max_chunks:
            return run
    run.state = RunState.DONE
    run.finished_at = timezone.now()
    run.save(update_fields=["state", "finished_at"])
    return run


def _write_chunk(
    run: BillingRun,
    batch: list[dict[str, Any]],
    pricing: Pricing,
    period: Period,
    due: dt.date,
) -> tuple[int, Decimal]:
    lines = compute_chunk(batch, pricing, period)
    # Every charge of a run is booked as of the run's start, whichever chunk (or resume, or
    # worker) writes it: one run is one act of billing, and a statement never splits it.
    now = run.started_at
    if connection.vendor == "postgresql":
        created, amount, with_credit = _write_copy(run, lines, period, due, now)
    else:
        created, amount, with_credit = _write_orm(run, batch, lines, period, due, now)
    _use_prepayments(run, with_credit, now)
    return created, amount


def _write_orm(
    run: BillingRun,
    batch: list[dict[str, Any]],
    lines: list[Line],
    period: Period,
    due: dt.date,
    now: dt.datetime,
) -> tuple[int, Decimal, list[int]]:
    """Accounts, bills, charge entries and balances through the ORM (SQLite).

    Returns the bills created, their amount and the accounts with prepayment to use.
    """
    house_ids = sorted({line.house_id for line in lines})
    Account.objects.bulk_create(
        [
            Account(community_id=run.community_id, kind=AccountKind.HOUSE, house_id=h)
            for h in house_ids
        ],
        ignore_conflicts=True,
    )
    accounts = dict(
        Account.objects.filter(kind=AccountKind.HOUSE, house_id__in=house_ids).values_list(
            "house_id", "id"
        )
    )
    rows = _insert_orm(run, batch, lines, accounts, period, due, now)
    # Each account owes its new bills: one UPDATE per distinct total (houses of one
    # kind and size share it), not one per account nor a correlated subquery.
    totals: dict[int, Decimal] = defaultdict(Decimal)
    for _bill, account_id, amount in rows:
        totals[account_id] += amount
    by_total: dict[Decimal, list[int]] = defaultdict(list)
    for account_id, total in totals.items():
        by_total[total].append(account_id)
    for total, ids in by_total.items():
        Account.objects.filter(pk__in=ids).update(due=ledger.plus("due", total))
    with_credit = list(
        Account.objects.filter(pk__in=list(totals), credit__gt=0).values_list("pk", flat=True)
    )
    return len(rows), sum((m for _b, _a, m in rows), ZERO), with_credit


def _insert_orm(
    run: BillingRun,
    batch: list[dict[str, Any]],
    lines: list[Line],
    accounts: dict[int, int],
    period: Period,
    due: dt.date,
    now: dt.datetime,
) -> list[tuple[int, int, Decimal]]:
    """Bills and their charge entries through the ORM (SQLite); returns (bill, account, amount)."""
    lo, hi = batch[0]["id"], batch[-1]["id"]
    Bill.objects.bulk_create(
        [
            Bill(
                community_id=run.community_id,
                house_id=line.house_id,
                account_id=accounts[line.house_id],
                fee_item_id=line.fee_item_id,
                period=period.key,
                period_start=period.start,
                period_end=period.end,
                due_date=due,
                quantity=line.quantity,
                unit_price=line.unit_price,
                gross=line.gross,
                amount=line.amount,
                note=line.note,
                run=run,
                created_at=now,
            )
            for line in lines
        ],
        batch_size=2000,
        ignore_conflicts=True,
    )
    # The bills this chunk created are exactly those of this run in its house range:
    # a chunk commits whole, so an earlier attempt's bills carry another run or none.
    new = Bill.objects.filter(run=run, house_id__gte=lo, house_id__lte=hi)
    rows = list(new.values_list("id", "account_id", "amount"))
    LedgerEntry.objects.bulk_create(
        [
            LedgerEntry(
                community_id=run.community_id,
                account_id=account_id,
                kind=EntryKind.CHARGE,
                amount=amount,
                due_delta=amount,
                bill_id=bill_id,
                actor_id=run.started_by_id,
                at=now,
            )
            for bill_id, account_id, amount in rows
        ],
        batch_size=2000,
    )
    return rows


class _Sql(str):
    """A column expression of the SELECT (as opposed to a value passed as a parameter)."""


def _columns(model: Any, given: dict[str, Any]) -> tuple[str, str, list[Any]]:
    """(column list, select list, parameters) for every concrete column of `model` but the id:
    the expression or value given for it, else its model default.

    A column a later migration adds gets its default, so this stays one INSERT however
    the table grows.
    """
    names, values, params = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        names.append(connection.ops.quote_name(field.column))
        value = given[field.attname] if field.attname in given else field.get_default()
        if isinstance(value, _Sql):
            values.append(str(value))
        else:
            values.append("%s")
            params.append(field.get_db_prep_save(value, connection))
    return ", ".join(names), ", ".join(values), params


def _write_copy(
    run: BillingRun,
    lines: list[Line],
    period: Period,
    due: dt.date,
    now: dt.datetime,
) -> tuple[int, Decimal, list[int]]:
    """PostgreSQL: COPY the computed lines into a temporary table; make the missing house
    accounts; then one statement inserts the bills not there yet (ON CONFLICT DO
    NOTHING: unique per house, fee item and period), a charge entry for each bill it
    inserted, and adds them to the accounts' owed balance.

    An account made here starts owing its house's lines (no second write of each new
    row): no bill of its house can exist yet, as a bill needs the account, so every
    one of those lines becomes a bill. The statement's result shows that it did.

    Returns the bills created, their amount and the accounts with prepayment to use.
    """
    account_cols, account_select, account_params = _columns(
        Account,
        {
            "community_id": run.community_id,
            "kind": AccountKind.HOUSE.value,
            "house_id": _Sql("h.house_id"),
            "due": _Sql("h.total"),
        },
    )
    bill_cols, bill_select, bill_params = _columns(
        Bill,
        {
            "community_id": run.community_id,
            "house_id": _Sql("c.house_id"),
            "account_id": _Sql("a.id"),
            "fee_item_id": _Sql("c.fee_item_id"),
            "period": period.key,
            "period_start": period.start,
            "period_end": period.end,
            "due_date": due,
            "quantity": _Sql("c.quantity"),
            "unit_price": _Sql("c.unit_price"),
            "gross": _Sql("c.gross"),
            "amount": _Sql("c.amount"),
            "note": _Sql("c.note"),
            "run_id": run.pk,
            "created_at": now,
        },
    )
    entry_cols, entry_select, entry_params = _columns(
        LedgerEntry,
        {
            "community_id": run.community_id,
            "account_id": _Sql("new.account_id"),
            "kind": EntryKind.CHARGE.value,
            "amount": _Sql("new.amount"),
            "due_delta": _Sql("new.amount"),
            "bill_id": _Sql("new.id"),
            "actor_id": run.started_by_id,
            "at": now,
        },
    )
    account_table = Account._meta.db_table
    with connection.cursor() as cursor:
        # This chunk's commit does not wait for its WAL to reach the disk. A crash of the
        # database server may then lose the last chunks committed (well under a second's
        # worth), but each chunk commits together with the run's cursor, so it loses them
        # whole and resuming the run writes them again (the SIGKILL test in test_races
        # proves a resumed run is exact). The run's final, ordinary commit waits for all
        # WAL before it, so a run shown done is on disk. SET LOCAL ends with the chunk.
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute(
            "CREATE TEMPORARY TABLE IF NOT EXISTS billing_run_chunk ("
            "house_id bigint, fee_item_id bigint, quantity numeric, unit_price numeric,"
            " gross numeric, amount numeric, note text) ON COMMIT DELETE ROWS"
        )
        cursor.execute("TRUNCATE billing_run_chunk")
        with cursor.cursor.copy(
            "COPY billing_run_chunk (house_id, fee_item_id, quantity, unit_price, gross,"
            " amount, note) FROM STDIN"
        ) as copy:
            for line in lines:
                copy.write_row(
                    (
                        line.house_id,
                        line.fee_item_id,
                        line.quantity,
                        line.unit_price,
                        line.gross,
                        line.amount,
                        line.note,
                    )
                )
        # The accounts first: a data-modifying CTE sees the tables as they were when its
        # statement began, so the UPDATE of balances below would miss accounts made in it.
        cursor.execute(
            f"""
            INSERT INTO {account_table} ({account_cols})
            SELECT {account_select} FROM (
                SELECT house_id, SUM(amount) AS total FROM billing_run_chunk GROUP BY house_id
            ) h
            ON CONFLICT (house_id) WHERE kind = 'house' DO NOTHING
            RETURNING id, due
            """,  # noqa: S608 - table and column names come from the models
            account_params,
        )
        made = dict(cursor.fetchall())
        # ANY(ARRAY(...)) keeps `a` an index lookup of the chunk's houses even when the
        # table's statistics are stale (a join would hash every account).
        cursor.execute(
            f"""
            WITH a AS (
                SELECT id, house_id FROM {account_table}
                WHERE kind = 'house'
                AND house_id = ANY(ARRAY(SELECT DISTINCT house_id FROM billing_run_chunk))
            ), new AS (
                INSERT INTO {Bill._meta.db_table} ({bill_cols})
                SELECT {bill_select} FROM billing_run_chunk c JOIN a ON a.house_id = c.house_id
                ON CONFLICT DO NOTHING
                RETURNING id, account_id, amount
            ), entries AS (
                INSERT INTO {LedgerEntry._meta.db_table} ({entry_cols})
                SELECT {entry_select} FROM new
            ), totals AS (
                SELECT account_id, SUM(amount) AS total FROM new GROUP BY account_id
            ), made AS (
                SELECT account_id, total FROM totals WHERE account_id = ANY(%s)
            ), owed AS (
                UPDATE {account_table} acc SET due = acc.due + t.total
                FROM (SELECT account_id, total FROM totals WHERE account_id <> ALL(%s)) t
                WHERE acc.id = t.account_id
                RETURNING acc.id, acc.credit
            )
            SELECT
                (SELECT COUNT(*) FROM new),
                (SELECT COALESCE(SUM(amount), 0) FROM new),
                (SELECT COALESCE(array_agg(id), '{{}}') FROM owed WHERE credit > 0),
                (SELECT COUNT(*) FROM made),
                (SELECT COALESCE(SUM(total), 0) FROM made)
            """,  # noqa: S608 - table and column names come from the models
            [*bill_params, *entry_params, list(made), list(made)],
        )
        created, amount, with_credit, made_billed, made_total = cursor.fetchone()
    # Each new account's bills add up to at most what it was made owing (no amount is
    # negative, its bills are a subset of its lines): equal counts and sums mean each
    # balance is exact. If that ever failed, the chunk rolls back rather than keep a
    # balance its entries do not add up to.
    if made_billed != len(made) or made_total != sum(made.values(), ZERO):
        raise RuntimeError(f"billing run {run.pk}: new accounts' balances differ from their bills")
    return int(created), Decimal(amount), list(with_credit)


def _use_prepayments(run: BillingRun, account_ids: Iterable[int], now: dt.datetime) -> None:
    """Prepayment held on an account pays its new bills at once (oldest first)."""
    for account_id in sorted(account_ids):
        account = ledger.lock(account_id)
        ledger.allocate(account, at=now, actor=run.started_by)
