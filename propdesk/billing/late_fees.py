"""Late fees (滞纳金): what a house owes for paying its bills late, month by month.

Design
------
- **Only where the contract allows.** The community's `AdjustmentRule` of kind
  `late_fee` says the rate (a fraction of the overdue amount per day, e.g. 0.0005),
  the grace period in days, an optional cap and the service-contract clause that
  allows the fee. The seeded rule is off; a late-fee rule cannot be switched on
  without `contract_ref` (`services.adjustment_rule_set` refuses, naming the
  field), and a rule that is off or has no clause charges nothing. The rule
  without a fee item covers the property-service fees (management, parking,
  garbage, one-off fees, paid services); utilities collected on behalf and deposits
  only through a rule of their own fee item.
- **What accrues.** For each day *d* after a bill's due date plus the grace period
  (counted from the day the bill was made when it was made after its due date —
  nobody pays late for a bill they had not got), the bill's unpaid amount at the
  start of *d* × the rate. What is paid, discounted, waived or cancelled on a day
  lowers the base from the next day on (a bill due on the 1st and paid on the 31st
  is 30 days late), so a part payment reduces the base. Late-fee bills themselves
  never accrue (no compounding).
- **Suspended days.** Days on which the house's dunning ladder waits — a payment
  plan in force, an open complaint about the house — accrue nothing
  (`dunning.suspended_spans`, the same reasons the daily run suspends a case).
- **Cap.** With a cap *c* the late fees charged on one bill come to at most
  *c* × the bill's amount over all months (1 = the principal, a common contract
  term): a month's charge is min(cap, accrued to its end) − min(cap, accrued before it).
- **Per house and month.** The days of one calendar month make one bill of the
  community's `late_fee` fee item per house, period `YYYY-MM`, one line per bill
  rounded half up once (`core.money`); its note lists the bills it was charged on.
  Bills are unique per (house, fee item, period), so each late day is charged
  once, and a rerun or a resumed run charges nothing twice.
- **When.** A month's late fees are billed once the month is over, as a billing run
  of the late-fee item alone (`propdesk billing late-fees --community X --period
  2026-10`, or a new run in the console with only 滞纳金 ticked), with the same
  preview, chunks, resume and ledger entries as every run (`runs.compute_chunk`
  computes them). Not inside the month's regular run, because a prepaid run bills a
  month on its first day, before any of its days are late; finance bills the past
  month's late fees on the first working day after it (with that day's payments
  in), checks the preview and confirms — late fees are the charge owners question
  most, so they are billed on their own, never as a side effect. The late-fee bill
  is due the day it is billed.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from propdesk.core.money import money

from .models import ZERO, AdjustmentKind, AdjustmentRule, Bill, EntryKind, FeeKind, LedgerEntry

# What the community-wide rule covers: the fees of the property-service contract.
CONTRACT_KINDS = frozenset(
    {FeeKind.MANAGEMENT, FeeKind.PARKING, FeeKind.GARBAGE, FeeKind.ONE_OFF, FeeKind.SERVICE}
)
# Never late-fee bearing, whatever the rules say.
NEVER = frozenset({FeeKind.LATE_FEE, FeeKind.DEPOSIT})
ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Terms:
    rate: Decimal
    grace_days: int
    cap: Decimal | None


class LateFeeRules:
    """The community's active late-fee rules that name their contract clause."""

    def __init__(self, community_id: int) -> None:
        self.general: Terms | None = None
        self.by_item: dict[int, Terms] = {}
        rules = (
            AdjustmentRule.objects.filter(
                community_id=community_id, kind=AdjustmentKind.LATE_FEE, is_active=True
            )
            .exclude(contract_ref="")
            .filter(rate__gt=0)
        )
        for rule in rules:
            terms = Terms(rule.rate, rule.grace_days, rule.cap)
            if rule.fee_item_id is None:
                self.general = terms
            else:
                self.by_item[rule.fee_item_id] = terms

    def __bool__(self) -> bool:
        return self.general is not None or bool(self.by_item)

    def terms(self, fee_item_id: int, kind: str) -> Terms | None:
        if kind in NEVER:
            return None
        found = self.by_item.get(fee_item_id)
        if found is None and kind in CONTRACT_KINDS:
            found = self.general
        return found


@dataclass
class Charge:
    """A house's late fees for one month."""

    house_id: int
    days: int
    rate: Decimal
    gross: Decimal
    amount: Decimal
    note: str


def _spans_minus(
    first: dt.date, last: dt.date, suspended: list[tuple[dt.date, dt.date]]
) -> list[tuple[dt.date, dt.date]]:
    """[first, last] without the suspended spans, as spans."""
    pieces = [(first, last)]
    for s_first, s_last in suspended:
        rest: list[tuple[dt.date, dt.date]] = []
        for a, b in pieces:
            if s_last < a or s_first > b:
                rest.append((a, b))
                continue
            if s_first > a:
                rest.append((a, s_first - ONE_DAY))
            if s_last < b:
                rest.append((s_last + ONE_DAY, b))
        pieces = rest
    return pieces


def _accrued(
    amount: Decimal,
    cleared_on: list[tuple[dt.date, Decimal]],
    spans: Iterable[tuple[dt.date, dt.date]],
) -> tuple[Decimal, int]:
    """Σ over the days of `spans` of the unpaid amount at the start of the day, and the
    days with something unpaid; `cleared_on` is (day, amount cleared that day), by day."""
    total, days = ZERO, 0
    for first, last in spans:
        start = first
        while start <= last:
            # The base is constant until the day after the next clearing.
            base = amount - sum((c for day, c in cleared_on if day < start), ZERO)
            nxt = next((day + ONE_DAY for day, _c in cleared_on if day >= start), None)
            end = min(last, nxt - ONE_DAY) if nxt and nxt > start else last
            n = (end - start).days + 1
            if base > ZERO:
                total += base * n
                days += n
            start = end + ONE_DAY
    return total, days


def charges(
    house_ids: list[int],
    rules: LateFeeRules,
    *,
    first_day: dt.date,
    last_day: dt.date,
    tz: Any,
) -> list[Charge]:
    """What each of these houses owes in late fees for the days first_day..last_day."""
    if not rules or not house_ids:
        return []
    from .dunning import suspended_spans

    start_at = dt.datetime.combine(first_day, dt.time.min, tzinfo=tz)
    kinds = Q(fee_item__kind__in=list(CONTRACT_KINDS)) if rules.general else Q(pk__in=[])
    if rules.by_item:
        kinds |= Q(fee_item_id__in=list(rules.by_item))
    # Bills with days of this month to charge: open ones, and those cleared during it.
    cleared_since = LedgerEntry.objects.filter(bill=OuterRef("pk"), at__gte=start_at).exclude(
        kind=EntryKind.CHARGE
    )
    bills = list(
        Bill.objects.filter(kinds, house_id__in=house_ids, due_date__lt=last_day)
        .exclude(fee_item__kind__in=list(NEVER))
        .filter(Q(cleared__lt=F("amount")) | Exists(cleared_since))
        .values(
            "id",
            "house_id",
            "fee_item_id",
            "fee_item__kind",
            "fee_item__name",
            "period",
            "due_date",
            "created_at",
            "amount",
        )
        .order_by("house_id", "due_date", "id")
    )
    if not bills:
        return []
    cleared: dict[int, list[tuple[dt.date, Decimal]]] = defaultdict(list)
    entries = (
        LedgerEntry.objects.filter(bill_id__in=[b["id"] for b in bills])
        .exclude(kind=EntryKind.CHARGE)
        .exclude(due_delta=0)
        .values_list("bill_id", "at", "due_delta")
        .order_by("at", "id")
    )
    for bill_id, at, due_delta in entries:
        cleared[bill_id].append((timezone.localtime(at, tz).date(), -due_delta))
    suspended = suspended_spans({b["house_id"] for b in bills}, until=last_day, tz=tz)

    by_house: dict[int, list[tuple[Decimal, Decimal, int, Terms, str]]] = defaultdict(list)
    for bill in bills:
        terms = rules.terms(bill["fee_item_id"], bill["fee_item__kind"])
        if terms is None:
            continue
        made = timezone.localtime(bill["created_at"], tz).date()
        late_from = max(bill["due_date"], made) + dt.timedelta(days=terms.grace_days + 1)
        if late_from > last_day:
            continue
        spans = suspended.get(bill["house_id"], [])
        history = cleared.get(bill["id"], [])
        month, days = _accrued(
            bill["amount"], history, _spans_minus(max(late_from, first_day), last_day, spans)
        )
        if not days:
            continue
        month *= terms.rate
        charged = month
        if terms.cap is not None:
            ceiling = terms.cap * bill["amount"]
            before = ZERO
            if late_from < first_day:
                before, _d = _accrued(
                    bill["amount"],
                    history,
                    _spans_minus(late_from, first_day - ONE_DAY, spans),
                )
                before *= terms.rate
            charged = max(ZERO, min(ceiling, before + month) - min(ceiling, before))
        label = _("%(item)s %(period)s: %(days)s days") % {
            "item": bill["fee_item__name"],
            "period": bill["period"],
            "days": days,
        }
        by_house[bill["house_id"]].append((month, charged, days, terms, label))

    out: list[Charge] = []
    for house_id, parts in by_house.items():
        amount = money(sum((p[1] for p in parts), ZERO))
        if amount <= ZERO:
            continue
        rates = {p[3].rate for p in parts}
        notes = [p[4] for p in parts]
        if any(p[1] < p[0] for p in parts):
            notes.append(_("capped"))
        out.append(
            Charge(
                house_id=house_id,
                days=sum(p[2] for p in parts),
                rate=rates.pop() if len(rates) == 1 else ZERO,
                gross=money(sum((p[0] for p in parts), ZERO)),
                amount=amount,
                note="; ".join(notes)[:200],
            )
        )
    return out
