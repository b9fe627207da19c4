"""Deadline clocks: started, stopped, paused and recomputed by case events; swept when due.

The service desk calls `clocks_on_event(case, action, at)` after every event
it appends (inside its transaction). `sla_sweep(now)` marks what is overdue
with set-based UPDATEs over the (state, due_at) index and queues escalations.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import F, Min, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from propdesk.core.calendar import DEFAULT_HOURS, WorkingCalendar
from propdesk.core.memo import Memo
from propdesk.servicedesk.rules import flag

from .models import (
    CalendarOverride,
    Clock,
    ClockState,
    CommunityHours,
    EscalationAction,
    EscalationLevel,
    EscalationTarget,
    Policy,
    TargetKind,
)

OPEN_STATES = (ClockState.RUNNING, ClockState.PAUSED)


# --- calendar -----------------------------------------------------------------------


def _parse_hours(intervals: Iterable[str]) -> tuple[tuple[dt.time, dt.time], ...]:
    out = []
    for item in intervals:
        start, end = (dt.time.fromisoformat(x.strip()) for x in str(item).split("-", 1))
        out.append((start, end))
    return tuple(out)


def calendar_for(community: Any) -> WorkingCalendar:
    """The community's working calendar: its hours, its zone, overrides (its own beat global)."""
    hours_row = CommunityHours.objects.filter(community_id=community.pk).first()
    hours = (
        _parse_hours(hours_row.intervals) if hours_row and hours_row.intervals else DEFAULT_HOURS
    )
    overrides: dict[dt.date, bool] = {}
    for row in CalendarOverride.objects.filter(
        Q(community__isnull=True) | Q(community_id=community.pk)
    ).order_by(F("community_id").asc(nulls_first=True)):
        # Global rows first (PostgreSQL sorts NULLs last unless told), the community's own last.
        overrides[row.date] = row.is_workday
    return WorkingCalendar(tz=community.tzinfo, hours=hours, overrides=overrides)


# --- which policies apply --------------------------------------------------------------


def _matches(policy: Policy, case: Any) -> bool:
    if policy.kind and policy.kind != case.kind:
        return False
    if policy.severity and policy.severity != case.severity:
        return False
    if policy.channel and policy.channel != case.channel:
        return False
    if policy.requires_safety and not flag(case.category, "is_safety_facility"):
        return False
    return not (policy.requires_leak and not flag(case.category, "is_leak"))


# The active policies of a case kind (with their ladders), read once per POOL_SECONDS
# per process and split by community on use: starting a case's clocks then costs no
# policy query, whichever of the group's communities the case is in (core.memo says
# when it is forgotten; the services that change policies in bulk clear it too).
POOL_SECONDS = 30.0


@dataclass
class _KindPool:
    policies: list[Policy]
    ladders: dict[int, list[EscalationLevel]]
    by_community: dict[int, list[Policy]] = field(default_factory=dict)

    def of(self, community_id: int) -> list[Policy]:
        """The group-wide policies and the community's own, in policy order."""
        pool = self.by_community.get(community_id)
        if pool is None:
            pool = [p for p in self.policies if p.community_id in (None, community_id)]
            self.by_community[community_id] = pool
        return pool


def _load_pool(kind: str) -> _KindPool:
    policies = list(Policy.objects.filter(is_active=True, kind=kind))
    return _KindPool(policies, _ladders(p.pk for p in policies))


policy_pools: Memo[str, _KindPool] = Memo(
    "sla.policies",
    _load_pool,
    seconds=POOL_SECONDS,
    models=("sla.Policy", "sla.EscalationLevel"),
)


def _pool(community_id: int, kind: str) -> tuple[list[Policy], dict[int, list[EscalationLevel]]]:
    hit = policy_pools.get(kind)
    return hit.of(community_id), hit.ladders


def policies_for(case: Any, *, candidates: Iterable[Policy] | None = None) -> list[Policy]:
    """One policy per rule: the most specific that matches, then the tightest target."""
    pool = candidates if candidates is not None else _pool(case.community_id, case.kind)[0]
    best: dict[str, Policy] = {}
    for policy in pool:
        if not _matches(policy, case):
            continue
        current = best.get(policy.code)
        if current is None or (policy.specificity, -policy.target_minutes) > (
            current.specificity,
            -current.target_minutes,
        ):
            best[policy.code] = policy
    return sorted(best.values(), key=lambda p: p.code)


# --- due dates -------------------------------------------------------------------------


def due_for(
    policy: Policy, case: Any, start: dt.datetime
) -> tuple[dt.datetime | None, dt.datetime]:
    """(not_before, due_at) of `policy` for `case` started at `start`."""
    minutes = dt.timedelta(minutes=policy.target_minutes)
    kind = policy.target_kind
    if kind == TargetKind.APPOINTMENT and case.appointment_end is not None:
        return case.appointment_start, case.appointment_end
    if kind == TargetKind.SAME_WORKING_DAY:
        calendar = calendar_for(case.community)
        return None, calendar.end_of_working_day(start)
    if kind == TargetKind.WORKING:
        return None, calendar_for(case.community).add_working_time(start, minutes)
    if kind == TargetKind.WORKING_DAYS:
        return None, calendar_for(case.community).add_working_days(start, policy.target_minutes)
    if kind == TargetKind.WINDOW:
        return start + dt.timedelta(minutes=policy.window_start_minutes), start + minutes
    due = start + minutes
    if policy.use_requested_time and case.requested_by is not None:
        # R-CMP-7: "within 2 days or the time the resident asked for".
        due = case.requested_by
    return None, due


def _anchor(policy: Policy, case: Any, at: dt.datetime) -> dt.datetime | None:
    """When the clock of `policy` starts: the leak test itself for leak repairs (R-REP-5)."""
    if policy.start_event == "leak_test":
        return case.leak_test_at
    if policy.target_kind == TargetKind.APPOINTMENT and case.appointment_end is None:
        return None  # no appointment was agreed: there is nothing to be on time for
    return at


def _starts_on(policy: Policy, action: str) -> bool:
    if policy.start_event == "leak_test":
        # The leak test is recorded at completion or later, by its own action.
        return action in {"complete", "leak_test"}
    return policy.start_event == action


def _warn_at(policy: Policy, start: dt.datetime, due: dt.datetime) -> dt.datetime | None:
    if due <= start:
        return None
    return start + (due - start) * float(policy.warn_ratio)


def _ladders(policy_ids: Iterable[int]) -> dict[int, list[EscalationLevel]]:
    """Each policy's escalation levels in firing order (one query)."""
    ladders: dict[int, list[EscalationLevel]] = {}
    for level in EscalationLevel.objects.filter(policy_id__in=list(policy_ids)):
        ladders.setdefault(level.policy_id, []).append(level)
    for levels in ladders.values():
        levels.sort(key=lambda lv: (lv.offset_minutes, lv.pk))
    return ladders


def _next_action(clock: Clock, levels: list[EscalationLevel]) -> dt.datetime | None:
    """When the clock's next escalation level fires (None: ladder done or clock stopped)."""
    if clock.state not in {ClockState.RUNNING, ClockState.BREACHED} or clock.met_at is not None:
        return None
    if clock.levels_done >= len(levels):
        return None
    return clock.due_at + dt.timedelta(minutes=levels[clock.levels_done].offset_minutes)


# --- the hook the service desk calls ----------------------------------------------------


def clocks_on_event(case: Any, action: str, *, at: dt.datetime) -> dt.datetime | None:
    """Start, stop, pause or resume the case's clocks for one event; returns the nearest due.

    Runs inside the caller's transaction (the case row is already locked).
    """
    pool, ladders = _pool(case.community_id, case.kind)
    policies = policies_for(case, candidates=pool)
    if action == "create":
        return _start_new_case(case, policies, ladders, at)
    clocks = {
        c.policy_id: c for c in Clock.objects.filter(case_id=case.pk).select_related("policy")
    }
    for policy in policies:
        clock = clocks.pop(policy.pk, None)
        if clock is None and _starts_on(policy, action):
            start = _anchor(policy, case, at)
            if start is not None:
                not_before, due = due_for(policy, case, start)
                new = Clock(
                    case_id=case.pk,
                    policy=policy,
                    community_id=case.community_id,
                    started_at=start,
                    not_before=not_before,
                    due_at=due,
                    warn_at=_warn_at(policy, start, due),
                )
                new.next_action_at = _next_action(new, ladders.get(policy.pk, []))
                new.save()
        elif clock is not None:
            _on_event(case, clock, policy, ladders.get(policy.pk, []), action, at)
    # Clocks started under a policy that no longer wins (customised or switched off
    # since) still follow their own policy's stops and pauses.
    if clocks:
        other = _ladders(clocks)
        for clock in clocks.values():
            _on_event(case, clock, clock.policy, other.get(clock.policy_id, []), action, at)
    # A rework starts the return-visit clocks again from the next completion.
    if action == "return_visit" and case.status not in {"visited"}:
        Clock.objects.filter(
            case_id=case.pk, policy__start_event__in=["complete", "leak_test"]
        ).exclude(state=ClockState.BREACHED).delete()
    return nearest_due(case.pk)


def _on_event(
    case: Any,
    clock: Clock,
    policy: Policy,
    levels: list[EscalationLevel],
    action: str,
    at: dt.datetime,
) -> None:
    """What one event does to an existing clock: stop, cancel, follow the leak test, pause."""
    unmet = clock.state in OPEN_STATES or (
        clock.state == ClockState.BREACHED and clock.met_at is None
    )
    if unmet and action in policy.stop_events:
        _stop(clock, at)
    elif clock.state in OPEN_STATES and action == "cancel":
        clock.state = ClockState.CANCELLED
        clock.next_action_at = None
        clock.save(update_fields=["state", "next_action_at"])
    elif clock.state in OPEN_STATES and action == "leak_test" and policy.start_event == "leak_test":
        # The leak test moved: the window follows it (the rule written next to the policy).
        start = case.leak_test_at
        clock.started_at = start
        clock.not_before, clock.due_at = due_for(policy, case, start)
        clock.warn_at = _warn_at(policy, start, clock.due_at)
        clock.next_action_at = _next_action(clock, levels)
        clock.save(
            update_fields=["started_at", "not_before", "due_at", "warn_at", "next_action_at"]
        )
    else:
        _pause_or_resume(clock, policy, levels, case.status, at)


def _stop(clock: Clock, at: dt.datetime) -> None:
    clock.met_at = at
    if clock.state == ClockState.PAUSED and clock.paused_since:
        clock.paused_seconds += int((at - clock.paused_since).total_seconds())
        clock.paused_since = None
    if at > clock.due_at:
        clock.late_seconds = int((at - clock.due_at).total_seconds())
        if clock.breached_at is None:
            clock.breached_at = clock.due_at
        clock.state = ClockState.BREACHED  # a breach is never erased by a late stop
    elif clock.state != ClockState.BREACHED:
        clock.state = ClockState.MET
    clock.next_action_at = None
    clock.save(
        update_fields=[
            "next_action_at",
            "met_at",
            "late_seconds",
            "breached_at",
            "state",
            "paused_seconds",
            "paused_since",
        ]
    )


def clocks_plan_new_case(case: Any, *, at: dt.datetime) -> list[Clock]:
    """The clocks a case not yet saved starts on reception (not saved either).

    `case_create` plans them before it inserts the case, so the case row is written
    with its `due_at` at once, and writes them with it (`core.rows.insert_family`).
    """
    pool, ladders = _pool(case.community_id, case.kind)
    return _plan_new_case(case, policies_for(case, candidates=pool), ladders, at)


def _start_new_case(
    case: Any,
    policies: list[Policy],
    ladders: dict[int, list[EscalationLevel]],
    at: dt.datetime,
) -> dt.datetime | None:
    """A new case has no clocks yet: start those that start on reception, in one INSERT."""
    new = _plan_new_case(case, policies, ladders, at)
    Clock.objects.bulk_create(new)
    return min((c.due_at for c in new), default=None)


def _plan_new_case(
    case: Any,
    policies: list[Policy],
    ladders: dict[int, list[EscalationLevel]],
    at: dt.datetime,
) -> list[Clock]:
    new = []
    for policy in policies:
        if not _starts_on(policy, "create"):
            continue
        start = _anchor(policy, case, at)
        if start is None:
            continue
        not_before, due = due_for(policy, case, start)
        clock = Clock(
            case=case,
            policy=policy,
            community_id=case.community_id,
            started_at=start,
            not_before=not_before,
            due_at=due,
            warn_at=_warn_at(policy, start, due),
        )
        clock.next_action_at = _next_action(clock, ladders.get(policy.pk, []))
        new.append(clock)
    return new


def _pause_or_resume(
    clock: Clock,
    policy: Policy,
    levels: list[EscalationLevel],
    status: str,
    at: dt.datetime,
) -> None:
    paused = status in (policy.pause_statuses or [])
    if paused and clock.state == ClockState.RUNNING:
        clock.state, clock.paused_since = ClockState.PAUSED, at
        clock.next_action_at = None  # no escalation while on hold
        clock.save(update_fields=["state", "paused_since", "next_action_at"])
    elif not paused and clock.state == ClockState.PAUSED and clock.paused_since is not None:
        held = at - clock.paused_since
        clock.paused_seconds += int(held.total_seconds())
        clock.paused_since = None
        clock.state = ClockState.RUNNING
        # Natural-time targets move by the time on hold; calendar targets are recomputed.
        clock.due_at = clock.due_at + held
        if clock.warn_at is not None:
            clock.warn_at = clock.warn_at + held
        clock.next_action_at = _next_action(clock, levels)
        clock.save(
            update_fields=[
                "state",
                "paused_seconds",
                "paused_since",
                "due_at",
                "warn_at",
                "next_action_at",
            ]
        )


def clocks_recompute(case: Any, *, at: dt.datetime) -> dt.datetime | None:
    """Inputs changed (category, severity, requested time, appointment): recompute running clocks.

    Clocks of policies that no longer apply are stopped as cancelled; a recorded
    breach stays; policies that now apply and whose start already happened start
    from the case's milestone.
    """
    pool, ladders = _pool(case.community_id, case.kind)
    wanted = {p.pk: p for p in policies_for(case, candidates=pool)}
    for clock in Clock.objects.filter(case_id=case.pk).select_related("policy"):
        if clock.state not in OPEN_STATES:
            continue
        if clock.policy_id not in wanted:
            clock.state = ClockState.CANCELLED
            clock.next_action_at = None
            clock.save(update_fields=["state", "next_action_at"])
            continue
        not_before, due = due_for(clock.policy, case, clock.started_at)
        due += dt.timedelta(seconds=clock.paused_seconds)
        clock.not_before, clock.due_at = not_before, due
        clock.warn_at = _warn_at(clock.policy, clock.started_at, due)
        clock.next_action_at = _next_action(clock, ladders.get(clock.policy_id, []))
        clock.save(update_fields=["not_before", "due_at", "warn_at", "next_action_at"])
    clocks = {c.policy_id: c for c in Clock.objects.filter(case_id=case.pk)}
    have = {c.policy.code for c in clocks.values() if c.state != ClockState.CANCELLED}
    for policy in wanted.values():
        if policy.code in have or policy.start_event != "create":
            continue
        not_before, due = due_for(policy, case, case.received_at)
        fields = {
            "started_at": case.received_at,
            "not_before": not_before,
            "due_at": due,
            "warn_at": _warn_at(policy, case.received_at, due),
        }
        probe = Clock(state=ClockState.RUNNING, due_at=due)
        fields["next_action_at"] = _next_action(probe, ladders.get(policy.pk, []))
        old = clocks.get(policy.pk)
        if old is not None:
            # The policy applied before and was stopped: it runs again from the reception.
            Clock.objects.filter(pk=old.pk).update(
                state=ClockState.RUNNING, warning_level=0, paused_seconds=0, levels_done=0, **fields
            )
            continue
        Clock.objects.create(
            case_id=case.pk, policy=policy, community_id=case.community_id, **fields
        )
    return nearest_due(case.pk)


def nearest_due(case_id: int) -> dt.datetime | None:
    """The worst (earliest) due of the case's running clocks — what queues sort on."""
    value: dt.datetime | None = Clock.objects.filter(
        case_id=case_id, state=ClockState.RUNNING
    ).aggregate(m=Min("due_at"))["m"]
    return value


# --- the sweep --------------------------------------------------------------------------


def sla_sweep(*, now: dt.datetime | None = None, batch: int = 1000) -> dict[str, int]:
    """Mark overdue clocks breached and raise warnings; escalate each breach once.

    Set-based: each step is one indexed UPDATE of at most `batch` rows per call.
    """
    now = now or timezone.now()
    counts = {"breached": 0, "warned": 0}
    with transaction.atomic():
        due_ids = list(
            Clock.objects.select_for_update(skip_locked=True)
            .filter(state=ClockState.RUNNING, due_at__lt=now)
            .order_by("due_at")
            .values_list("id", flat=True)[:batch]
        )
        if due_ids:
            # breached_at is the deadline itself, not the moment the sweep noticed.
            counts["breached"] = Clock.objects.filter(
                id__in=due_ids, state=ClockState.RUNNING
            ).update(
                state=ClockState.BREACHED,
                warning_level=2,
                breached_at=Coalesce("breached_at", F("due_at")),
            )
            # No join to the community: SQLite then plans a scan of every community's cases.
            breached = Clock.objects.filter(id__in=due_ids).select_related("policy", "case")
            breached = breached.only(*_ESCALATION_FIELDS)
            people = _People()
            for clock in breached:
                _escalate(clock, now=now, people=people)
        warn_ids = list(
            Clock.objects.select_for_update(skip_locked=True)
            .filter(state=ClockState.RUNNING, warning_level=0, warn_at__lt=now)
            .values_list("id", flat=True)[:batch]
        )
        if warn_ids:
            counts["warned"] = Clock.objects.filter(id__in=warn_ids).update(warning_level=1)
        counts["escalated"] = _escalation_levels(now=now, batch=batch)
    return counts


# What escalating a clock reads: loading whole cases made the sweep mostly model building.
_ESCALATION_FIELDS = (
    "due_at",
    "policy__code",
    "policy__name",
    "policy__escalate_to",
    "case__number",
    "case__title",
    "case__community_id",
    "case__assignee_id",
    "case__department_id",
)


def _escalation_levels(*, now: dt.datetime, batch: int) -> int:
    """Fire the escalation levels that came due: one indexed query finds them, each fires once."""
    ids = list(
        Clock.objects.select_for_update(skip_locked=True)
        .filter(
            next_action_at__lte=now,
            state__in=[ClockState.RUNNING, ClockState.BREACHED],
            met_at__isnull=True,
        )
        .order_by("next_action_at")
        .values_list("id", flat=True)[:batch]
    )
    if not ids:
        return 0
    clocks = list(
        Clock.objects.filter(id__in=ids)
        .select_related("policy", "case")
        .only(*_ESCALATION_FIELDS, "policy_id", "levels_done", "next_action_at", "state", "met_at")
    )
    ladders = _ladders({c.policy_id for c in clocks})
    people = _People()
    fired = 0
    for clock in clocks:
        levels = ladders.get(clock.policy_id, [])
        while clock.levels_done < len(levels):
            level = levels[clock.levels_done]
            if clock.due_at + dt.timedelta(minutes=level.offset_minutes) > now:
                break
            clock.levels_done += 1
            _fire(clock, level, clock.levels_done, people, now=now)
            fired += 1
        clock.next_action_at = _next_action(clock, levels)
    Clock.objects.bulk_update(clocks, ["levels_done", "next_action_at"])
    return fired


class _People:
    """Who an escalation target names, looked up once per sweep per (target, scope)."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, int | None], list[int]] = {}
        self._names: dict[int, str] = {}

    def community_name(self, community_id: int) -> str:
        if community_id not in self._names:
            from propdesk.estates.models import Community

            self._names[community_id] = (
                Community.objects.filter(pk=community_id).values_list("name", flat=True).first()
                or ""
            )
        return self._names[community_id]

    def of(self, target: str, case: Any) -> list[int]:
        from propdesk.accounts.models import User, UserKind
        from propdesk.accounts.roles import Role

        if target == EscalationTarget.ASSIGNEE:
            return [case.assignee_id] if case.assignee_id else []
        if target == EscalationTarget.DEPARTMENT_HEAD:
            key: tuple[str, int | None] = (target, case.department_id)
            if key not in self._cache:
                self._cache[key] = list(
                    User.objects.filter(
                        department_id=case.department_id,
                        role=Role.DEPARTMENT_HEAD,
                        is_active=True,
                    ).values_list("pk", flat=True)
                    if case.department_id
                    else []
                )
            return self._cache[key]
        role = Role.CS_SUPERVISOR if target == EscalationTarget.CS_SUPERVISOR else Role.DIRECTOR
        key = (target, case.community_id)
        if key not in self._cache:
            self._cache[key] = list(
                User.objects.filter(
                    kind=UserKind.STAFF,
                    role=role,
                    is_active=True,
                    scopes__community_id=case.community_id,
                )
                .distinct()
                .values_list("pk", flat=True)
            )
        return self._cache[key]


def _fire(
    clock: Clock, level: EscalationLevel, n: int, people: _People, *, now: dt.datetime
) -> None:
    """One escalation level: notify the target, and reassign or raise the priority if it says so."""
    from propdesk.servicedesk.services import case_escalate

    case = clock.case
    targets = people.of(level.target, case)
    if level.action == EscalationAction.REASSIGN and targets:
        case_escalate(
            case_id=case.pk, level=n, policy=clock.policy, assignee_id=targets[0], now=now
        )
    elif level.action == EscalationAction.RAISE_PRIORITY:
        case_escalate(case_id=case.pk, level=n, policy=clock.policy, urgent=True, now=now)
    _tell(clock, targets, f"L{n}", people, now=now)


def _message_context(clock: Clock, people: _People, *, now: dt.datetime) -> dict[str, Any]:
    case = clock.case
    late = max(int((now - clock.due_at).total_seconds()), 0)
    return {
        "case_number": case.number,
        "case_title": case.title,
        "rule": clock.policy.code,
        "policy_name": clock.policy.name,
        "due_at": f"{timezone.localtime(clock.due_at):%Y-%m-%d %H:%M}",
        "community_name": people.community_name(case.community_id),
        "late": f"{late // 3600}小时{late % 3600 // 60}分" if late >= 3600 else f"{late // 60}分钟",
        "minutes_left": str(max(int((clock.due_at - now).total_seconds()) // 60, 0)),
    }


def _tell(
    clock: Clock, user_ids: Iterable[int], key: str, people: _People, *, now: dt.datetime
) -> None:
    """The deadline message (template `sla.warning` before the deadline, `sla.breach` after)."""
    from propdesk.notify.services import outbox_enqueue_event

    context = _message_context(clock, people, now=now)
    event = "sla.breach" if now >= clock.due_at else "sla.warning"
    for user_id in sorted(set(user_ids)):
        outbox_enqueue_event(
            event=event,
            context=context,
            community_id=clock.case.community_id,
            staff_user_id=user_id,
            ref_type="servicedesk.case",
            ref_id=str(clock.case_id),
            dedupe_key=f"sla:{clock.pk}:{key}:{user_id}",
            now=now,
        )


def _escalate(clock: Clock, *, now: dt.datetime, people: _People) -> None:
    """Tell the people the policy names that a deadline passed (one message each, ever)."""
    case = clock.case
    targets: set[int] = set()
    for who in clock.policy.escalate_to or []:
        if who in EscalationTarget.values:
            targets.update(people.of(who, case))
    if case.assignee_id:
        targets.add(case.assignee_id)
    _tell(clock, targets, "breach", people, now=now)


def clock_status(clock: Clock, *, now: dt.datetime) -> dict[str, Any]:
    """What the case page shows: time left or how late, computed on read from the stored due."""
    if clock.state in (ClockState.MET, ClockState.CANCELLED):
        return {"label": clock.get_state_display(), "late": False, "seconds": 0}
    if clock.state == ClockState.BREACHED and clock.met_at is not None:
        return {"label": clock.get_state_display(), "late": True, "seconds": clock.late_seconds}
    if clock.state == ClockState.PAUSED:
        return {"label": clock.get_state_display(), "late": False, "seconds": 0}
    seconds = int((clock.due_at - now).total_seconds())
    return {"label": clock.get_state_display(), "late": seconds < 0, "seconds": abs(seconds)}
