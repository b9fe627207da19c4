"""Arrears by age and the collection rate (收缴率), scoped to the user, with Excel exports.

Arrears are what is still open on bills (`amount - cleared`) whose due date is
before the as-of date, aged by how many months the due date lies back:
1–3 months (anything overdue up to three months), 4–6, 7–12, over 12. One
aggregate query per report, served by the partial index of open bills.

The collection rate of a year compares, for the bills whose period starts in
the year, what was billed (less discounts and waivers) with what payments
cleared of them by the as-of date, month by month; the rate of past years'
arrears compares what bills of earlier years still owed on 1 January with what
payments cleared of them during the year. Cancelled bills count nowhere.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    Count,
    DecimalField,
    F,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, ExtractMonth
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from propdesk.accounts.roles import Cap
from propdesk.accounts.selectors import community_filter, community_ids_for, require
from propdesk.core.errors import Invalid, NotFound
from propdesk.core.money import money
from propdesk.estates.models import Building, Community

from .models import ZERO, Bill, EntryKind, LedgerEntry

AMOUNT: DecimalField[Decimal, Decimal] = DecimalField(max_digits=16, decimal_places=2)
LEVELS = ("community", "building", "house")
BUCKETS: list[tuple[str, Any]] = [
    ("m1_3", gettext_lazy("1–3 months")),
    ("m4_6", gettext_lazy("4–6 months")),
    ("m7_12", gettext_lazy("7–12 months")),
    ("over_12", gettext_lazy("Over 12 months")),
]


def months_back(day: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months earlier (the month's last day where it is shorter)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _served(user: Any, community_id: int) -> int:
    """The chosen community if the user serves it; else NotFound."""
    if int(community_id) not in community_ids_for(user):
        raise NotFound(_("No such community."))
    return int(community_id)


# --- arrears by age ------------------------------------------------------------------


@dataclass
class ArrearsRow:
    key: int
    label: str
    m1_3: Decimal = ZERO
    m4_6: Decimal = ZERO
    m7_12: Decimal = ZERO
    over_12: Decimal = ZERO
    houses: int = 0

    @property
    def total(self) -> Decimal:
        return self.m1_3 + self.m4_6 + self.m7_12 + self.over_12

    def buckets(self) -> list[Decimal]:
        return [self.m1_3, self.m4_6, self.m7_12, self.over_12]


@dataclass
class ArrearsReport:
    level: str
    as_of: dt.date
    rows: list[ArrearsRow]
    total: ArrearsRow
    community_id: int | None = None
    building_id: int | None = None


def open_overdue_bills(scope: Q, as_of: dt.date) -> QuerySet[Bill]:
    """Open bills of `scope` (a `community_filter`) due before `as_of` (the partial index
    `bill_open_due_idx` serves this)."""
    return Bill.objects.filter(scope, cleared__lt=F("amount"), due_date__lt=as_of)


def arrears_by_age(
    user: Any,
    *,
    level: str = "community",
    community_id: int | None = None,
    building_id: int | None = None,
    as_of: dt.date | None = None,
) -> ArrearsReport:
    """Arrears per community, building or house, in four age buckets (one query)."""
    require(user, Cap.BILLING_VIEW)
    if level not in LEVELS:
        raise Invalid.field("level", _("Choose community, building or house."))
    as_of = as_of or timezone.localdate()
    chosen = None if community_id is None else _served(user, community_id)
    bills = open_overdue_bills(community_filter(user, community_id=chosen), as_of)
    if building_id is not None:
        bills = bills.filter(house__building_id=building_id)
    group = {
        "community": ("community_id", "community__name"),
        "building": ("house__building_id", "house__building__name"),
        "house": ("house_id", "house__label"),
    }[level]
    open_amount = F("amount") - F("cleared")
    m3, m6, m12 = (months_back(as_of, n) for n in (3, 6, 12))

    def bucket(condition: Q) -> Any:
        return Coalesce(
            Sum(Case(When(condition, then=open_amount), output_field=AMOUNT)),
            Value(ZERO),
            output_field=AMOUNT,
        )

    rows = (
        bills.values(*group)
        .annotate(
            m1_3=bucket(Q(due_date__gte=m3)),
            m4_6=bucket(Q(due_date__gte=m6, due_date__lt=m3)),
            m7_12=bucket(Q(due_date__gte=m12, due_date__lt=m6)),
            over_12=bucket(Q(due_date__lt=m12)),
            houses=Count("house_id", distinct=True),
        )
        .order_by(group[1], group[0])
    )
    result = [
        ArrearsRow(
            key=r[group[0]],
            label=str(r[group[1]]),
            m1_3=money(r["m1_3"]),
            m4_6=money(r["m4_6"]),
            m7_12=money(r["m7_12"]),
            over_12=money(r["over_12"]),
            houses=r["houses"],
        )
        for r in rows
    ]
    if level == "house":
        result.sort(key=lambda r: _natural(r.label))
    total = ArrearsRow(key=0, label=_("Total"))
    for r in result:
        total.m1_3 += r.m1_3
        total.m4_6 += r.m4_6
        total.m7_12 += r.m7_12
        total.over_12 += r.over_12
        total.houses += r.houses
    return ArrearsReport(level, as_of, result, total, community_id, building_id)


def _natural(label: str) -> list[Any]:
    """Sort 1-1-101 before 1-1-1001 and 2-… after 1-…."""
    parts: list[Any] = []
    for piece in label.replace("-", " ").split():
        parts.append((0, int(piece), "") if piece.isdigit() else (1, 0, piece))
    return parts


# --- collection rate ---------------------------------------------------------------


@dataclass
class RateMonth:
    month: int
    billed: Decimal = ZERO
    collected: Decimal = ZERO
    cum_billed: Decimal = ZERO
    cum_collected: Decimal = ZERO

    @property
    def rate(self) -> Decimal | None:
        return rate(self.collected, self.billed)

    @property
    def cum_rate(self) -> Decimal | None:
        return rate(self.cum_collected, self.cum_billed)


@dataclass
class RateRow:
    key: int
    label: str
    months: list[RateMonth] = field(default_factory=lambda: [RateMonth(m) for m in range(1, 13)])
    # Past years' arrears: owed on 1 January, and collected by the end of each month.
    past_owed: Decimal = ZERO
    past_collected: list[Decimal] = field(default_factory=lambda: [ZERO] * 12)

    @property
    def billed(self) -> Decimal:
        return sum((m.billed for m in self.months), ZERO)

    @property
    def collected(self) -> Decimal:
        return sum((m.collected for m in self.months), ZERO)

    @property
    def rate(self) -> Decimal | None:
        return rate(self.collected, self.billed)

    @property
    def past_collected_total(self) -> Decimal:
        return self.past_collected[-1]

    @property
    def past_rate(self) -> Decimal | None:
        return rate(self.past_collected_total, self.past_owed)

    def past_months(self) -> list[tuple[int, Decimal, Decimal | None]]:
        return [
            (n + 1, amount, rate(amount, self.past_owed))
            for n, amount in enumerate(self.past_collected)
        ]


@dataclass
class CollectionRateReport:
    community: Community
    year: int
    as_of: dt.date
    total: RateRow
    buildings: list[RateRow]


def community_tz(community: Community) -> Any:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(community.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.get_current_timezone()


def rate(collected: Decimal, billed: Decimal) -> Decimal | None:
    """Collected as a percentage of billed, two places; None when nothing was billed."""
    if not billed:
        return None
    return money(collected * 100 / billed)


def _cancelled(community_id: int) -> QuerySet[LedgerEntry, Any]:
    """Ids of the community's bills whose charge was reversed (cancelled bills)."""
    return LedgerEntry.objects.filter(
        community_id=community_id, kind=EntryKind.REVERSAL, reverses__kind=EntryKind.CHARGE
    ).values("bill_id")


def _month_ends(year: int, as_of: dt.date, tz: Any) -> list[dt.datetime]:
    """The first instant after each month of `year`, never later than the end of `as_of`."""
    cap = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    ends = []
    for month in range(1, 13):
        nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
        ends.append(min(dt.datetime.combine(nxt, dt.time.min, tzinfo=tz), cap))
    return ends


def _sum_when(condition: Q, value: Any) -> Any:
    return Coalesce(
        Sum(Case(When(condition, then=value), output_field=AMOUNT)),
        Value(ZERO),
        output_field=AMOUNT,
    )


PAID = Q(kind=EntryKind.ALLOCATION) | Q(
    kind=EntryKind.REVERSAL, reverses__kind=EntryKind.ALLOCATION
)
REDUCED = Q(kind__in=[EntryKind.DISCOUNT, EntryKind.WAIVER]) | Q(
    kind=EntryKind.REVERSAL, reverses__kind__in=[EntryKind.DISCOUNT, EntryKind.WAIVER]
)


def collection_rate(
    user: Any, *, community_id: int, year: int, as_of: dt.date | None = None
) -> CollectionRateReport:
    """The year's collection rate by building and month, and that of past years' arrears."""
    require(user, Cap.BILLING_VIEW)
    community = Community.objects.get(pk=_served(user, community_id))
    if not 2000 <= int(year) <= 2100:
        raise Invalid.field("year", _("Choose a year between 2000 and 2100."))
    year = int(year)
    as_of = as_of or timezone.localdate()
    tz = community_tz(community)
    jan1 = dt.date(year, 1, 1)
    start = dt.datetime.combine(jan1, dt.time.min, tzinfo=tz)
    ends = _month_ends(year, as_of, tz)
    cap = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    rows: dict[int, RateRow] = {}

    def row(building_id: int) -> RateRow:
        if building_id not in rows:
            rows[building_id] = RateRow(key=building_id, label="")
        return rows[building_id]

    # This year's bills: billed per building and month (query 1) ...
    bills = Bill.objects.filter(community_id=community.pk, period_start__year=year).exclude(
        pk__in=_cancelled(community.pk)
    )
    for r in (
        bills.annotate(m=ExtractMonth("period_start"))
        .values("house__building_id", "m")
        .annotate(billed=Sum("amount"))
    ):
        row(r["house__building_id"]).months[r["m"] - 1].billed += money(r["billed"])
    # ... and what discounts, waivers and payments cleared of them (query 2).
    paid_by = {
        f"c{n}": _sum_when(PAID & Q(at__lt=end), -F("due_delta")) for n, end in enumerate(ends)
    }
    entries = LedgerEntry.objects.filter(
        bill__community_id=community.pk,
        bill__period_start__year=year,
        at__lt=cap,
        bill__in=bills,
    )
    for r in (
        entries.annotate(m=ExtractMonth("bill__period_start"))
        .values("bill__house__building_id", "m")
        .annotate(
            reduced=_sum_when(REDUCED, -F("due_delta")),
            paid=_sum_when(PAID, -F("due_delta")),
            **paid_by,
        )
    ):
        target = row(r["bill__house__building_id"])
        bill_month = r["m"] - 1
        target.months[bill_month].billed -= money(r["reduced"])
        target.months[bill_month].collected += money(r["paid"])
        for n in range(12):
            if bill_month <= n:
                target.months[n].cum_collected += money(r[f"c{n}"])

    # Past years' arrears: what bills of earlier years still owed on 1 January (query 3) ...
    old = Bill.objects.filter(community_id=community.pk, period_start__lt=jan1).exclude(
        pk__in=_cancelled(community.pk)
    )
    open_then = old.filter(
        Q(cleared__lt=F("amount"))
        | Q(
            pk__in=LedgerEntry.objects.filter(
                community_id=community.pk, at__gte=start, bill__isnull=False
            ).values("bill_id")
        )
    )
    for r in open_then.values("house__building_id").annotate(amount=Sum("amount")):
        row(r["house__building_id"]).past_owed += money(r["amount"])
    before = (
        LedgerEntry.objects.filter(bill__in=open_then, at__lt=start)
        .exclude(kind=EntryKind.CHARGE)
        .exclude(kind=EntryKind.REVERSAL, reverses__kind=EntryKind.CHARGE)
    )
    for r in before.values("bill__house__building_id").annotate(cleared=Sum(-F("due_delta"))):
        row(r["bill__house__building_id"]).past_owed -= money(r["cleared"])
    # ... and what payments cleared of them during the year, by month end (query 4).
    paid_past = {
        f"c{n}": _sum_when(PAID & Q(at__gte=start, at__lt=end), -F("due_delta"))
        for n, end in enumerate(ends)
    }
    for r in (
        LedgerEntry.objects.filter(bill__in=open_then, at__gte=start, at__lt=ends[-1])
        .values("bill__house__building_id")
        .annotate(**paid_past)
    ):
        target = row(r["bill__house__building_id"])
        target.past_collected = [money(r[f"c{n}"]) for n in range(12)]

    names = dict(Building.objects.filter(pk__in=list(rows)).values_list("pk", "name"))
    total = RateRow(key=0, label=str(community.name))
    for building_id, line in rows.items():
        line.label = names.get(building_id, "")
        cum = ZERO
        for n, month in enumerate(line.months):
            cum += month.billed
            month.cum_billed = cum
            total.months[n].billed += month.billed
            total.months[n].collected += month.collected
            total.months[n].cum_billed += month.cum_billed
            total.months[n].cum_collected += month.cum_collected
        total.past_owed += line.past_owed
        total.past_collected = [
            a + b for a, b in zip(total.past_collected, line.past_collected, strict=True)
        ]
    buildings = sorted(rows.values(), key=lambda r: _natural(r.label))
    return CollectionRateReport(community, year, as_of, total, buildings)


# --- Excel -------------------------------------------------------------------------------


def arrears_xlsx(report: ArrearsReport) -> bytes:
    from propdesk.imports.tables import xlsx_bytes

    first = {"community": _("Community"), "building": _("Building"), "house": _("House")}[
        report.level
    ]
    headers = [first, *[str(label) for _k, label in BUCKETS], _("Total"), _("Houses in arrears")]
    lines = [[r.label, *r.buckets(), r.total, r.houses] for r in [*report.rows, report.total]]
    notes = [
        (_("As of"), "", report.as_of.isoformat()),
        (_("Amounts"), "", _("Open amount of bills due before the date, aged by due date.")),
    ]
    return xlsx_bytes(headers, lines, title=_("Arrears by age"), notes=notes)


def collection_rate_xlsx(report: CollectionRateReport) -> bytes:
    from propdesk.imports.tables import xlsx_bytes

    headers = [
        _("Scope"),
        _("Month"),
        _("Billed"),
        pgettext("collection", "Collected"),
        _("Rate %"),
        _("Billed to date"),
        _("Collected to date"),
        _("Rate to date %"),
        _("Past years' arrears on 1 January"),
        _("Collected of them to date"),
        _("Rate of past arrears %"),
    ]
    lines: list[list[Any]] = []
    for r in [report.total, *report.buildings]:
        for m, (_n, past, past_rate) in zip(r.months, r.past_months(), strict=True):
            lines.append(
                [
                    r.label,
                    f"{report.year}-{m.month:02d}",
                    m.billed,
                    m.collected,
                    m.rate,
                    m.cum_billed,
                    m.cum_collected,
                    m.cum_rate,
                    r.past_owed,
                    past,
                    past_rate,
                ]
            )
        lines.append(
            [
                r.label,
                _("Year"),
                r.billed,
                r.collected,
                r.rate,
                "",
                "",
                "",
                r.past_owed,
                r.past_collected_total,
                r.past_rate,
            ]
        )
    notes = [
        (_("As of"), "", report.as_of.isoformat()),
        (_("Billed"), "", _("Bills whose period starts in the month, less discounts and waivers.")),
        (
            pgettext("collection", "Collected"),
            "",
            _("What payments cleared of those bills by the as-of date."),
        ),
    ]
    return xlsx_bytes(headers, lines, title=_("Collection rate"), notes=notes)
