"""Compliance with the service standards: met, breached, how late, still running.

Reads only, scoped to the user like every selector: the communities they serve,
and only for people who handle cases or configure deadlines (supervisors,
directors, department heads, administrators). Counts are one aggregate query
per breakdown; how late (median, p90) comes from `PERCENTILE_CONT` on
PostgreSQL and from the breached rows' lateness in Python on SQLite (one
function, `_late_stats`, both branches tested by the same figures).

A clock belongs to the period its deadline (`due_at`) falls in, in the given
time zone. A running clock whose deadline has passed counts as breached even
before the sweep marks it (a report is never stale); its lateness so far is
`now - due_at`. A finished breached clock is late by its `late_seconds`.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import (
    Aggregate,
    Count,
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models import Case as SqlCase
from django.db.models.functions import Cast, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from propdesk.accounts.models import Department
from propdesk.accounts.roles import Cap
from propdesk.accounts.selectors import (
    capabilities_of,
    community_filter,
    community_ids_for,
    require,
)
from propdesk.core.errors import Forbidden, NotFound
from propdesk.estates.models import Community

from .models import Clock, ClockState, Policy

REPORT_CAPS = frozenset({Cap.CASES_HANDLE, Cap.SLA_CONFIGURE})
BREAKDOWNS: dict[str, Any] = {
    "policy": gettext_lazy("Policy"),
    "community": gettext_lazy("Community"),
    "department": gettext_lazy("Department"),
    "month": gettext_lazy("Month"),
}
OPEN = (ClockState.RUNNING, ClockState.PAUSED)
COUNTED = (ClockState.MET, ClockState.BREACHED, ClockState.RUNNING, ClockState.PAUSED)


def may_see_compliance(user: Any) -> bool:
    return bool(REPORT_CAPS & capabilities_of(user))


def _scope(user: Any, community_id: int | None) -> Q:
    """The communities the report covers, as a filter; an unserved community is
    NotFound, no right Forbidden."""
    if community_id is not None and community_id not in community_ids_for(user):
        raise NotFound(_("No such community."))
    if not may_see_compliance(user):
        raise Forbidden(_("You do not have the permission for this action."))
    return community_filter(user, community_id=community_id)


def _bounds(date_from: dt.date, date_to: dt.date, tz: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(date_from, dt.time(0), tzinfo=tz)
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    return start, end


# --- percentiles -----------------------------------------------------------------------


class _PercentileCont(Aggregate):
    """PostgreSQL's ordered-set aggregate: PERCENTILE_CONT(f) WITHIN GROUP (ORDER BY x)."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: Any, fraction: float) -> None:
        # A literal in the SQL: only the report's own fixed fractions ever get here.
        super().__init__(expression, fraction=repr(float(fraction)))


def percentile_cont(values: list[float], fraction: float) -> float | None:
    """Linear interpolation between the closest ranks — what PERCENTILE_CONT computes."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _overdue_running(now: dt.datetime) -> Q:
    return Q(state=ClockState.RUNNING, due_at__lt=now)


def _breached(now: dt.datetime) -> Q:
    return Q(state=ClockState.BREACHED) | _overdue_running(now)


def _late_stats(
    clocks: QuerySet[Clock], key: Any, *, now: dt.datetime
) -> dict[Any, tuple[float | None, float | None]]:
    """{group key: (median, p90)} of how late the breached clocks were, in seconds.

    Finished clocks are late by `late_seconds`; unfinished ones by `now - due_at`.
    """
    breached = clocks.filter(_breached(now))
    if connection.vendor == "postgresql":
        # Set-based on the server: ordered-set aggregates per group.
        so_far = Func(
            ExpressionWrapper(
                Value(now, output_field=DateTimeField()) - F("due_at"),
                output_field=DurationField(),
            ),
            template="EXTRACT(EPOCH FROM %(expressions)s)",
            output_field=FloatField(),
        )
        late = SqlCase(
            When(met_at__isnull=False, then=Cast("late_seconds", FloatField())),
            default=so_far,
            output_field=FloatField(),
        )
        rows = (
            breached.annotate(k=key)
            .values("k")
            .annotate(median=_PercentileCont(late, 0.5), p90=_PercentileCont(late, 0.9))
            .order_by()
        )
        return {row["k"]: (row["median"], row["p90"]) for row in rows}
    # SQLite has no ordered-set aggregates: read only the breached rows' lateness.
    values: dict[Any, list[float]] = {}
    for k, met_at, late_seconds, due_at in (
        breached.annotate(k=key).values_list("k", "met_at", "late_seconds", "due_at").order_by()
    ):
        seconds = late_seconds if met_at is not None else (now - due_at).total_seconds()
        values.setdefault(k, []).append(float(seconds))
    return {
        k: (percentile_cont(items, 0.5), percentile_cont(items, 0.9)) for k, items in values.items()
    }


# --- compliance ------------------------------------------------------------------------


@dataclass
class ComplianceRow:
    key: Any
    label: str
    met: int = 0
    breached: int = 0
    running: int = 0
    late_median: float | None = None  # seconds
    late_p90: float | None = None

    @property
    def finished(self) -> int:
        return self.met + self.breached

    @property
    def rate(self) -> float | None:
        """Share met of the clocks that are decided (met or breached)."""
        return self.met / self.finished if self.finished else None


@dataclass
class Compliance:
    by: str
    date_from: dt.date
    date_to: dt.date
    rows: list[ComplianceRow]
    total: ComplianceRow


def _key(by: str, tz: dt.tzinfo) -> Any:
    if by == "policy":
        return F("policy_id")
    if by == "community":
        return F("community_id")
    if by == "department":
        return F("case__department_id")
    return TruncMonth("due_at", tzinfo=tz)


def _labels(by: str, keys: list[Any], tz: dt.tzinfo) -> dict[Any, str]:
    if by == "policy":
        policies = Policy.objects.filter(pk__in=keys).select_related("community")
        return {
            p.pk: f"{p.code} {p.name}"
            + (f"（{p.community.name}）" if p.community is not None else "")
            for p in policies
        }
    if by == "community":
        return dict(Community.objects.filter(pk__in=keys).values_list("pk", "name"))
    if by == "department":
        names: dict[Any, str] = dict(
            Department.objects.filter(pk__in=keys).values_list("pk", "name")
        )
        names[None] = _("No department")
        return names
    return {k: timezone.localtime(k, tz).strftime("%Y-%m") if k else "" for k in keys}


def _sort_key(by: str, row: ComplianceRow) -> Any:
    if by == "month":
        return (row.key is None, row.key or dt.datetime.min.replace(tzinfo=dt.UTC))
    return (row.label,)


def compliance(
    user: Any,
    *,
    by: str,
    date_from: dt.date,
    date_to: dt.date,
    community_id: int | None = None,
    now: dt.datetime | None = None,
    tz: dt.tzinfo | None = None,
) -> Compliance:
    """Met, breached, still running and how late, per policy, community, department or month."""
    if by not in BREAKDOWNS:
        by = "policy"
    now = now or timezone.now()
    tz = tz or timezone.get_current_timezone()
    scope = _scope(user, community_id)
    start, end = _bounds(date_from, date_to, tz)
    # The four states by name rather than "not cancelled": PostgreSQL then walks the
    # (state, due_at) index once per state over the period instead of the table.
    clocks = Clock.objects.filter(scope, state__in=COUNTED, due_at__gte=start, due_at__lt=end)
    overdue = _overdue_running(now)
    counts = {
        "met": Count("pk", filter=Q(state=ClockState.MET)),
        "breached": Count("pk", filter=_breached(now)),
        "running": Count("pk", filter=Q(state__in=OPEN) & ~overdue),
    }
    key = _key(by, tz)
    grouped = list(clocks.annotate(k=key).values("k").annotate(**counts).order_by())
    late = _late_stats(clocks, key, now=now)
    labels = _labels(by, [g["k"] for g in grouped], tz)
    rows = [
        ComplianceRow(
            key=g["k"],
            label=labels.get(g["k"], str(g["k"])),
            met=g["met"],
            breached=g["breached"],
            running=g["running"],
            late_median=late.get(g["k"], (None, None))[0],
            late_p90=late.get(g["k"], (None, None))[1],
        )
        for g in grouped
    ]
    rows.sort(key=lambda r: _sort_key(by, r))
    totals = clocks.aggregate(**counts)
    overall = _late_stats(clocks, Value(0), now=now).get(0, (None, None))
    total = ComplianceRow(
        key=None,
        label=_("Total"),
        met=totals["met"],
        breached=totals["breached"],
        running=totals["running"],
        late_median=overall[0],
        late_p90=overall[1],
    )
    return Compliance(by=by, date_from=date_from, date_to=date_to, rows=rows, total=total)


# --- return-visit coverage (R-REP-5) ---------------------------------------------------


@dataclass
class MissingVisit:
    case_id: int
    number: str
    community: str
    place: str
    completed_at: dt.datetime
    due_at: dt.datetime | None
    overdue: bool


@dataclass
class CoverageRow:
    key: Any
    label: str
    completed: int = 0
    done: int = 0
    on_time: int = 0
    overdue: int = 0

    @property
    def pending(self) -> int:
        """Not visited yet, but not due yet either."""
        return self.completed - self.done - self.overdue

    @property
    def rate(self) -> float | None:
        return self.done / self.completed if self.completed else None

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.completed if self.completed else None


@dataclass
class Coverage:
    """R-REP-5: every completed repair gets a return visit (target 100 %)."""

    total: CoverageRow
    by_community: list[CoverageRow]
    missing: list[MissingVisit]
    missing_more: bool
    target: float = 1.0
    notes: list[str] = field(default_factory=list)


def return_visit_coverage(
    user: Any,
    *,
    date_from: dt.date,
    date_to: dt.date,
    community_id: int | None = None,
    now: dt.datetime | None = None,
    tz: dt.tzinfo | None = None,
    missing_limit: int = 200,
) -> Coverage:
    """Repairs completed in the period vs their return visits: done, done on time, missing.

    A visit counts for a repair when it was recorded after the repair's (latest)
    completion, so a rework needs a new visit; on time means by the visit's due
    time. A repair not visited yet is overdue when its visit is past due.
    """
    from propdesk.servicedesk.models import Case, CaseKind, CaseStatus, ReturnVisit

    now = now or timezone.now()
    tz = tz or timezone.get_current_timezone()
    scope = _scope(user, community_id)
    start, end = _bounds(date_from, date_to, tz)
    after_completion = ReturnVisit.objects.filter(
        case_id=OuterRef("pk"), visited_at__isnull=False, visited_at__gte=OuterRef("completed_at")
    )
    done = Exists(after_completion)
    on_time = Exists(after_completion.filter(visited_at__lte=F("due_at")))
    open_visit_due = Subquery(
        ReturnVisit.objects.filter(case_id=OuterRef("pk"), visited_at__isnull=True)
        .order_by("due_at")
        .values("due_at")[:1]
    )
    repairs = (
        Case.objects.filter(
            scope,
            kind=CaseKind.REPAIR,
            completed_at__gte=start,
            completed_at__lt=end,
        )
        .exclude(status=CaseStatus.CANCELLED)
        .annotate(visit_done=done, visit_on_time=on_time, visit_due=open_visit_due)
    )
    not_done = Q(visit_done=False)
    counts = {
        "completed": Count("pk"),
        "done": Count("pk", filter=Q(visit_done=True)),
        "on_time": Count("pk", filter=Q(visit_on_time=True)),
        "overdue": Count(
            "pk", filter=not_done & (Q(visit_due__lt=now) | Q(visit_due__isnull=True))
        ),
    }
    totals = repairs.aggregate(**counts)
    total = CoverageRow(key=None, label=_("Total"), **totals)
    per = list(repairs.values("community_id").annotate(**counts).order_by())
    names = dict(
        Community.objects.filter(pk__in=[p["community_id"] for p in per]).values_list("pk", "name")
    )
    by_community = sorted(
        (
            CoverageRow(
                key=p["community_id"],
                label=names.get(p["community_id"], ""),
                completed=p["completed"],
                done=p["done"],
                on_time=p["on_time"],
                overdue=p["overdue"],
            )
            for p in per
        ),
        key=lambda r: r.label,
    )
    missing_rows = list(
        repairs.filter(not_done)
        .select_related("community", "house", "building")
        .order_by(F("visit_due").asc(nulls_first=True), "completed_at", "pk")[: missing_limit + 1]
    )
    missing = [
        MissingVisit(
            case_id=c.pk,
            number=c.number,
            community=c.community.name,
            place=c.place_label,
            completed_at=c.completed_at,  # type: ignore[arg-type]
            due_at=c.visit_due,
            overdue=c.visit_due is None or c.visit_due < now,
        )
        for c in missing_rows[:missing_limit]
    ]
    return Coverage(
        total=total,
        by_community=by_community,
        missing=missing,
        missing_more=len(missing_rows) > missing_limit,
    )


# --- about to breach ---------------------------------------------------------------------


@dataclass
class AtRisk:
    clock: Clock
    seconds_left: int  # negative: past the deadline, not swept yet

    @property
    def late(self) -> bool:
        return self.seconds_left < 0


def clocks_about_to_breach(
    user: Any,
    *,
    within: dt.timedelta = dt.timedelta(hours=4),
    community_id: int | None = None,
    now: dt.datetime | None = None,
    limit: int = 20,
) -> list[AtRisk]:
    """Running clocks due within `within`, worst (earliest deadline) first.

    Uses the (state, due_at) index; clocks already past their deadline that the
    sweep has not marked yet come first.
    """
    now = now or timezone.now()
    scope = _scope(user, community_id)
    clocks = (
        Clock.objects.filter(scope, state=ClockState.RUNNING, due_at__lt=now + within)
        .select_related("policy", "case", "case__assignee", "case__community")
        .order_by("due_at", "pk")[:limit]
    )
    return [AtRisk(clock=c, seconds_left=int((c.due_at - now).total_seconds())) for c in clocks]


# --- Excel --------------------------------------------------------------------------------


def _minutes(seconds: float | None) -> float | str:
    return round(seconds / 60, 1) if seconds is not None else ""


def _percent(share: float | None) -> float | str:
    return round(share * 100, 1) if share is not None else ""


def compliance_xlsx(
    user: Any,
    *,
    date_from: dt.date,
    date_to: dt.date,
    community_id: int | None = None,
    now: dt.datetime | None = None,
    tz: dt.tzinfo | None = None,
) -> bytes:
    """The compliance report (every breakdown) and the return-visit coverage as a workbook."""
    import openpyxl
    from openpyxl.styles import Font

    from propdesk.imports.tables import xlsx_bytes

    require(user, Cap.DATA_EXPORT)
    now = now or timezone.now()
    headers = [
        pgettext("report", "Breakdown"),
        pgettext("report", "Group"),
        _("Met"),
        _("Breached"),
        _("Still running"),
        _("Met (%)"),
        _("Late, median (minutes)"),
        _("Late, p90 (minutes)"),
    ]
    lines: list[list[Any]] = []
    total: ComplianceRow | None = None
    for by, title in BREAKDOWNS.items():
        report = compliance(
            user,
            by=by,
            date_from=date_from,
            date_to=date_to,
            community_id=community_id,
            now=now,
            tz=tz,
        )
        total = report.total
        lines.extend(_line(str(title), r) for r in report.rows)
    if total is not None:
        lines.append(_line(_("Total"), total))
    content = xlsx_bytes(
        headers,
        lines,
        title=str(_("Compliance")),
        notes=[
            (_("Item"), "", _("Meaning")),
            (
                _("Period"),
                "",
                f"{date_from:%Y-%m-%d} – {date_to:%Y-%m-%d}",
            ),
            (_("Met"), "", _("Stopped by the deadline.")),
            (
                _("Breached"),
                "",
                _("Stopped after the deadline, or still open past it."),
            ),
            (_("Still running"), "", _("Open and not yet due (or paused).")),
        ],
    )
    coverage = return_visit_coverage(
        user, date_from=date_from, date_to=date_to, community_id=community_id, now=now, tz=tz
    )
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    sheet = workbook.create_sheet(str(_("Return visits")), 1)
    sheet.append(
        [
            _("Community"),
            _("Repairs completed"),
            _("Return visits done"),
            _("Done on time"),
            _("Missing, overdue"),
            _("Not due yet"),
            _("Coverage (%)"),
            _("On time (%)"),
        ]
    )
    for row in [*coverage.by_community, coverage.total]:
        sheet.append(
            [
                row.label,
                row.completed,
                row.done,
                row.on_time,
                row.overdue,
                row.pending,
                _percent(row.rate),
                _percent(row.on_time_rate),
            ]
        )
    sheet.append([])
    sheet.append([_("Repairs without a return visit"), _("Completed"), _("Visit due"), _("Place")])
    marker = sheet.max_row
    for m in coverage.missing:
        sheet.append(
            [
                f"{m.number} {m.community}",
                timezone.localtime(m.completed_at, tz).strftime("%Y-%m-%d %H:%M"),
                timezone.localtime(m.due_at, tz).strftime("%Y-%m-%d %H:%M") if m.due_at else "",
                m.place,
            ]
        )
    for cell in [*sheet[1], *sheet[marker]]:
        cell.font = Font(bold=True)
    for letter in "ABCDEFGH":
        sheet.column_dimensions[letter].width = 18
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _line(title: str, row: ComplianceRow) -> list[Any]:
    return [
        title,
        row.label,
        row.met,
        row.breached,
        row.running,
        _percent(row.rate),
        _minutes(row.late_median),
        _minutes(row.late_p90),
    ]
