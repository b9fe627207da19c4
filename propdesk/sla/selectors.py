"""Reads of deadline clocks for the case page and lists, and of the deadline settings."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from propdesk.accounts.roles import Cap
from propdesk.accounts.selectors import community_filter, community_ids_for, require
from propdesk.core.calendar import DEFAULT_HOURS, statutory_data_covers
from propdesk.core.errors import NotFound
from propdesk.estates.models import Community

from .config import MATCH_FIELDS
from .models import CalendarOverride, Clock, CommunityHours, Policy
from .services import calendar_for, clock_status


def case_clocks(case: Any, *, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Each clock of the case with its policy, due time, and time left or how late."""
    now = now or timezone.now()
    rows = []
    for clock in Clock.objects.filter(case_id=case.pk).select_related("policy").order_by("due_at"):
        status = clock_status(clock, now=now)
        rows.append({"clock": clock, "policy": clock.policy, **status})
    return rows


# --- configuration pages ------------------------------------------------------------------


def _configurable_community(user: Any, community_id: Any) -> Community:
    """A community the user serves and may configure deadlines for (404 first, then 403)."""
    try:
        pk = int(community_id)
    except (TypeError, ValueError):
        raise NotFound(_("No such community.")) from None
    if pk not in community_ids_for(user):
        raise NotFound(_("No such community."))
    require(user, Cap.SLA_CONFIGURE)
    return Community.objects.get(pk=pk)


def _conditions(policy: Policy) -> set[tuple[str, Any]]:
    """What a case must be for the policy to match (empty values match anything)."""
    out: set[tuple[str, Any]] = {("kind", policy.kind)}
    if policy.severity:
        out.add(("severity", policy.severity))
    if policy.channel:
        out.add(("channel", policy.channel))
    if policy.requires_safety:
        out.add(("safety", True))
    if policy.requires_leak:
        out.add(("leak", True))
    return out


def _rank(policy: Policy) -> tuple[int, int, int]:
    """The order `policies_for` tries them in: most specific, then tightest (then oldest)."""
    return (-policy.specificity, policy.target_minutes, policy.pk)


@dataclass
class PolicyLine:
    """One policy as the configuration page shows it, with its place in the precedence."""

    policy: Policy
    rank: int
    status: str  # in_force | replaced | shadowed | inactive
    beaten_by: Policy | None = None
    own_copy: Policy | None = None

    @property
    def is_default(self) -> bool:
        return self.policy.community_id is None


@dataclass
class RuleGroup:
    code: str
    lines: list[PolicyLine] = field(default_factory=list)


def policy_precedence(user: Any, *, community_id: Any) -> list[RuleGroup]:
    """The policies that apply to a community, per rule, in the order precedence tries them.

    Within a rule the most specific policy that matches a case wins, then the
    tightest (`policies_for`). A policy that a higher-ranked policy with the same
    or fewer conditions outranks never applies: it is `replaced` by the
    community's own copy, or `shadowed` by a policy with fewer conditions that
    ranks higher (conditions count first; a community's own policy only breaks
    ties).
    """
    community = _configurable_community(user, community_id)
    policies = list(
        Policy.objects.filter(Q(community__isnull=True) | Q(community_id=community.pk)).order_by(
            "code", "id"
        )
    )
    by_code: dict[str, list[Policy]] = {}
    for policy in policies:
        by_code.setdefault(policy.code, []).append(policy)
    groups = []
    for code, members in by_code.items():
        active = sorted((p for p in members if p.is_active), key=_rank)
        own = {
            tuple(getattr(p, f) for f in MATCH_FIELDS): p
            for p in members
            if p.community_id is not None
        }
        group = RuleGroup(code=code)
        for index, policy in enumerate(active):
            status, beaten_by = "in_force", None
            mine = _conditions(policy)
            for better in active[:index]:
                if _conditions(better) <= mine:
                    same = _conditions(better) == mine and better.community_id is not None
                    status = "replaced" if same and policy.community_id is None else "shadowed"
                    beaten_by = better
                    break
            group.lines.append(
                PolicyLine(
                    policy=policy,
                    rank=index + 1,
                    status=status,
                    beaten_by=beaten_by,
                    own_copy=own.get(tuple(getattr(policy, f) for f in MATCH_FIELDS))
                    if policy.community_id is None
                    else None,
                )
            )
        for policy in members:
            if not policy.is_active:
                group.lines.append(PolicyLine(policy=policy, rank=0, status="inactive"))
        groups.append(group)
    return groups


def policy_get_for_config(user: Any, policy_id: Any) -> Policy:
    """A community policy the user may edit (its community served, `sla.configure`)."""
    try:
        pk = int(policy_id)
    except (TypeError, ValueError):
        raise NotFound(_("No such policy.")) from None
    # Not the defaults (no community): a superuser's scope is no filter at all.
    policy = (
        Policy.objects.filter(community_filter(user), community__isnull=False, pk=pk)
        .select_related("community")
        .first()
    )
    if policy is None:
        raise NotFound(_("No such policy."))
    require(user, Cap.SLA_CONFIGURE)
    return policy


HOLIDAY_NAMES: dict[str, Any] = {
    "New Year's Day": pgettext_lazy("holiday", "New Year's Day"),
    "Spring Festival": pgettext_lazy("holiday", "Spring Festival"),
    "Tomb-sweeping Day": pgettext_lazy("holiday", "Tomb-sweeping Day"),
    "Labour Day": pgettext_lazy("holiday", "Labour Day"),
    "Dragon Boat Festival": pgettext_lazy("holiday", "Dragon Boat Festival"),
    "National Day": pgettext_lazy("holiday", "National Day"),
    "Mid-autumn Festival": pgettext_lazy("holiday", "Mid-autumn Festival"),
    "Anti-Fascist 70th Day": pgettext_lazy("holiday", "Anti-Fascist 70th Day"),
}


@dataclass
class CalendarDay:
    """One date of the calendar view: working or not, and why."""

    date: dt.date
    is_workday: bool
    kind: str  # workday | weekend | holiday | makeup | override_off | override_work | unknown
    label: str = ""
    override: CalendarOverride | None = None

    @property
    def is_weekend(self) -> bool:
        return self.date.weekday() >= 5


def _statutory(day: dt.date) -> tuple[bool | None, str]:
    """(is_workday, holiday name) from chinese_calendar; None for a year it does not know."""
    import chinese_calendar

    try:
        workday = bool(chinese_calendar.is_workday(day))
        _is_holiday, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return None, ""
    return workday, str(HOLIDAY_NAMES.get(name or "", name or ""))


def calendar_days(
    user: Any, *, community_id: Any, start: dt.date, days: int = 60
) -> list[CalendarDay]:
    """The community's next `days` dates as the deadline arithmetic sees them."""
    community = _configurable_community(user, community_id)
    calendar = calendar_for(community)
    end = start + dt.timedelta(days=days)
    overrides: dict[dt.date, CalendarOverride] = {}
    for item in CalendarOverride.objects.filter(
        Q(community__isnull=True) | Q(community_id=community.pk), date__gte=start, date__lt=end
    ).order_by(F("community_id").asc(nulls_first=True)):
        overrides[item.date] = item  # the community's own row (last) beats the global one
    out = []
    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        workday = calendar.is_workday(day)
        statutory, holiday = _statutory(day)
        row = overrides.get(day)
        if row is not None:
            kind = "override_work" if workday else "override_off"
            label = row.note
        elif statutory is None:
            kind = "unknown" if day.weekday() < 5 else "weekend"
            label = ""
        elif not workday and holiday:
            kind, label = "holiday", holiday
        elif workday and day.weekday() >= 5:
            kind, label = "makeup", holiday
        else:
            kind, label = ("workday" if workday else "weekend"), ""
        out.append(CalendarDay(date=day, is_workday=workday, kind=kind, label=label, override=row))
    return out


@dataclass
class CalendarSettings:
    community: Community
    intervals: list[str]
    is_default: bool
    overrides: list[CalendarOverride]
    unknown_years: list[int]


def calendar_settings(
    user: Any, *, community_id: Any, today: dt.date, horizon_days: int = 400
) -> CalendarSettings:
    """Working hours (or the default) and the overrides from a month ago on, own and global."""
    community = _configurable_community(user, community_id)
    row = CommunityHours.objects.filter(community=community).first()
    if row is not None and row.intervals:
        intervals, is_default = list(row.intervals), False
    else:
        intervals = [f"{a:%H:%M}-{b:%H:%M}" for a, b in DEFAULT_HOURS]
        is_default = True
    overrides = list(
        CalendarOverride.objects.filter(
            Q(community__isnull=True) | Q(community_id=community.pk),
            date__gte=today - dt.timedelta(days=31),
        )
        .select_related("community")
        .order_by("date", "community_id")
    )
    years = range(today.year, (today + dt.timedelta(days=horizon_days)).year + 1)
    return CalendarSettings(
        community=community,
        intervals=intervals,
        is_default=is_default,
        overrides=overrides,
        unknown_years=sorted(y for y in years if not statutory_data_covers(y)),
    )
