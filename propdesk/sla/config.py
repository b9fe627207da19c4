"""Writes of the deadline settings a community's staff configure in the console.

A community customises a shipped (default) policy by copying it and editing the
copy; the default stays for every other community. Working hours and calendar
overrides feed `calendar_for`. None of these rewrites a running clock: a changed
policy applies to clocks started afterwards (and to a running clock only when its
case's inputs change and the clock is recomputed).

Each function checks scope (an unknown community is `NotFound`), then the
capability `sla.configure` (`Forbidden`), validates everything and names the
field of each refusal (`Invalid`), then writes and audits in one transaction.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from itertools import pairwise
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from propdesk.accounts.roles import Cap
from propdesk.accounts.selectors import community_filter, community_ids_for, require
from propdesk.core import validation as v
from propdesk.core.audit import audit_record, snapshot
from propdesk.core.calendar import WorkingCalendar
from propdesk.core.errors import Conflict, ErrorCollector, Forbidden, Invalid, NotFound
from propdesk.core.models import AuditAction
from propdesk.estates.models import Community

from .models import CalendarOverride, CommunityHours, Policy, TargetKind
from .services import policy_pools

POLICY_AUDIT_FIELDS = (
    "name",
    "target_kind",
    "target_minutes",
    "window_start_minutes",
    "warn_ratio",
    "escalate_to",
    "is_active",
)
# The conditions that decide which cases a policy matches (and so what a copy replaces).
MATCH_FIELDS = ("code", "kind", "severity", "channel", "requires_safety", "requires_leak")

ESCALATE_TO: tuple[tuple[str, Any], ...] = (
    ("assignee", gettext_lazy("Assignee")),
    ("department_head", gettext_lazy("Department head")),
    ("director", gettext_lazy("Management-office director")),
)

UNIT_MINUTES = {"minutes": 1, "hours": 60, "days": 24 * 60}
TARGET_UNITS: tuple[tuple[str, Any], ...] = (
    ("minutes", gettext_lazy("minutes")),
    ("hours", gettext_lazy("hours")),
    ("days", gettext_lazy("days")),
)
# Which units each kind of target may be given in, and its upper bound in minutes
# (for working days: in days). A year is far beyond any service standard.
_KIND_UNITS: dict[str, tuple[str, ...]] = {
    TargetKind.DURATION: ("minutes", "hours", "days"),
    TargetKind.WORKING: ("minutes", "hours"),
    TargetKind.WORKING_DAYS: ("days",),
    TargetKind.WINDOW: ("minutes", "hours", "days"),
}
_KIND_MAX: dict[str, int] = {
    TargetKind.DURATION: 366 * 24 * 60,
    TargetKind.WORKING: 1000 * 60,
    TargetKind.WORKING_DAYS: 250,
    TargetKind.WINDOW: 366 * 24 * 60,
}
NO_AMOUNT_KINDS = (TargetKind.SAME_WORKING_DAY, TargetKind.APPOINTMENT)

MAX_INTERVALS = 6
_INTERVAL = re.compile(r"^(\d{1,2}):(\d{2})\s*[-–~—至]\s*(\d{1,2}):(\d{2})$")
_TRUE = {"1", "true", "on", "yes", "workday"}
_FALSE = {"0", "false", "off", "no", "dayoff", "day_off"}


# --- shared ---------------------------------------------------------------------------


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()


def _community(actor: Any, community_id: Any) -> Community:
    """A community the actor serves, else NotFound (scope first, then the capability)."""
    try:
        pk = int(community_id)
    except (TypeError, ValueError):
        raise NotFound(_("No such community.")) from None
    if pk not in community_ids_for(actor):
        raise NotFound(_("No such community."))
    return Community.objects.get(pk=pk)


def _defaults_or_served(actor: Any) -> Q:
    """Rows of every community (no community) or of a community the actor serves.

    A superuser's `community_filter` is an empty Q, which `|` drops instead of
    widening to every row: for them it is every row here too.
    """
    served = community_filter(actor)
    return (Q(community__isnull=True) | served) if served else Q()


def may_set_every_community(actor: Any) -> bool:
    """A date for all communities touches communities the actor may not serve."""
    return bool(getattr(actor, "is_superuser", False) or getattr(actor, "all_communities", False))


def _flag(errors: ErrorCollector, field: str, value: Any, message: str) -> bool | None:
    if isinstance(value, bool):
        return value
    cleaned = ("" if value is None else str(value)).strip().lower()
    if cleaned in _TRUE:
        return True
    if cleaned in _FALSE:
        return False
    errors.add(field, message)
    return None


# --- policies --------------------------------------------------------------------------


def _forget_policies() -> None:
    """Drop this process's policy pools now and again once the change is committed.

    Now, so the rest of this transaction starts clocks with the change; on commit,
    so a pool another request read meanwhile (without the change) is not kept.
    Other processes see the change within `services.POOL_SECONDS`.
    """
    policy_pools.clear_now_and_on_commit()


def _policy_for(actor: Any, policy_id: Any, *, lock: bool = False) -> Policy:
    """A default policy, or one of a community the actor serves; otherwise NotFound."""
    try:
        pk = int(policy_id)
    except (TypeError, ValueError):
        raise NotFound(_("No such policy.")) from None
    qs = Policy.objects.filter(_defaults_or_served(actor), pk=pk)
    if lock:
        qs = qs.select_for_update()
    policy = qs.first()
    if policy is None:
        raise NotFound(_("No such policy."))
    return policy


def policy_customise(
    *, actor: Any, community_id: Any, policy_id: Any, now: dt.datetime | None = None
) -> Policy:
    """Copy a default policy into the community's own policy (the default stays for others)."""
    now = _now(now)
    community = _community(actor, community_id)
    require(actor, Cap.SLA_CONFIGURE)
    with transaction.atomic():
        # Locking the default serialises two supervisors customising it at once.
        default = _policy_for(actor, policy_id, lock=True)
        if default.community_id is not None:
            raise Conflict(_("This policy already belongs to a community; edit it instead."))
        same = {f: getattr(default, f) for f in MATCH_FIELDS}
        existing = Policy.objects.filter(community=community, **same).first()
        if existing is not None:
            raise Conflict(
                _("This community already has its own copy of this policy."),
                details={"policy_id": existing.pk},
            )
        copy = Policy(community=community)
        for field in Policy._meta.concrete_fields:
            if field.primary_key or field.name == "community":
                continue
            setattr(copy, field.attname, getattr(default, field.attname))
        copy.escalate_to = list(default.escalate_to or [])
        copy.stop_events = list(default.stop_events or [])
        copy.pause_statuses = list(default.pause_statuses or [])
        copy.save()
        _copy_escalation_levels(default, copy)
        _forget_policies()
        audit_record(
            actor=actor,
            instance=copy,
            action=AuditAction.CREATE,
            after=snapshot(copy, ("code", "community", *POLICY_AUDIT_FIELDS)),
            community_id=community.pk,
            note=f"customised from default policy #{default.pk}",
            at=now,
        )
    return copy


def _copy_escalation_levels(source: Policy, target: Policy) -> None:
    """The copy escalates like the default until staff change it (when the policy has levels)."""
    levels = getattr(source, "levels", None)
    if levels is None:
        return
    model = levels.model
    model.objects.bulk_create(
        [
            model(
                policy=target,
                **{
                    f.attname: getattr(level, f.attname)
                    for f in model._meta.concrete_fields
                    if not f.primary_key and f.name != "policy"
                },
            )
            for level in levels.all()
        ]
    )


def _amount(
    errors: ErrorCollector,
    field: str,
    value: Any,
    *,
    kind: str,
    unit: str,
    minimum: int,
) -> int | None:
    """A target amount in the given unit → minutes (days for working days)."""
    maximum = _KIND_MAX[kind]
    if kind == TargetKind.WORKING_DAYS:
        return v.integer(errors, field, value, minimum=minimum, maximum=maximum)
    number = v.integer(errors, field, value, minimum=minimum, maximum=maximum)
    if number is None:
        return None
    minutes = number * UNIT_MINUTES[unit]
    if minutes > maximum:
        errors.add(
            field,
            _("At most %(max)d minutes (%(days)d days).")
            % {"max": maximum, "days": maximum // (24 * 60)},
        )
        return None
    return minutes


def policy_update(
    *,
    actor: Any,
    policy_id: Any,
    name: Any = None,
    target_kind: Any = None,
    target: Any = None,
    target_unit: Any = "minutes",
    window_start: Any = None,
    warn_ratio: Any = None,
    escalate_to: Iterable[str] | str | None = None,
    is_active: Any = None,
    now: dt.datetime | None = None,
) -> Policy:
    """Change a community's own policy: name, target, warning share, escalation, active.

    Arguments left as None keep their value. `target` and `window_start` are
    read in `target_unit` (minutes, hours, days; working days are always days).
    Running clocks keep their deadline; the change applies to new clocks.
    """
    now = _now(now)
    policy = _policy_for(actor, policy_id)
    require(actor, Cap.SLA_CONFIGURE)
    if policy.community_id is None:
        raise Conflict(
            _(
                "A default policy applies to every community; customise it for this "
                "community and edit the copy."
            )
        )
    errors = ErrorCollector()
    changes: dict[str, Any] = {}
    if name is not None:
        changes["name"] = v.text(errors, "name", name, max_length=120)
    kind = policy.target_kind
    if target_kind is not None:
        kind = v.choice(errors, "target_kind", target_kind, TargetKind.choices)
        if (
            kind
            and (TargetKind.APPOINTMENT in {kind, policy.target_kind})
            and (kind != policy.target_kind)
        ):
            errors.add(
                "target_kind",
                _(
                    "The end of the appointment window is the target of on-site visits; "
                    "it cannot be swapped for another kind of target."
                ),
            )
        changes["target_kind"] = kind
    unit = v.choice(errors, "target_unit", target_unit or "minutes", TARGET_UNITS)
    if kind in _KIND_UNITS and unit and unit not in _KIND_UNITS[kind]:
        if kind == TargetKind.WORKING_DAYS:
            unit = "days"  # the number is the days; the unit is implied
        else:
            errors.add("target_unit", _("This kind of target is not given in days."))
    if kind in NO_AMOUNT_KINDS:
        if target_kind is not None:
            changes["target_minutes"] = 0
            changes["window_start_minutes"] = 0
    elif kind in _KIND_UNITS and unit in UNIT_MINUTES:
        if target is not None:
            minutes = _amount(errors, "target", target, kind=kind, unit=unit, minimum=1)
            if minutes is not None:
                changes["target_minutes"] = minutes
        elif target_kind is not None and kind != policy.target_kind:
            errors.add("target", _("Give the target for the new kind of deadline."))
        if kind == TargetKind.WINDOW:
            if window_start is not None:
                start = _amount(
                    errors, "window_start", window_start, kind=kind, unit=unit, minimum=0
                )
                if start is not None:
                    changes["window_start_minutes"] = start
        elif target_kind is not None:
            changes["window_start_minutes"] = 0
    if warn_ratio is not None:
        ratio = v.decimal(
            errors,
            "warn_ratio",
            warn_ratio,
            places=2,
            minimum=Decimal(0),
            exclusive_minimum=True,
            maximum=Decimal("0.99"),
        )
        if ratio is not None:
            changes["warn_ratio"] = ratio
    if escalate_to is not None:
        changes["escalate_to"] = _escalate_to(errors, escalate_to)
    if is_active is not None:
        active = _flag(errors, "is_active", is_active, _("Choose active or not."))
        if active is not None:
            changes["is_active"] = active
    final_kind = changes.get("target_kind", policy.target_kind)
    final_target = changes.get("target_minutes", policy.target_minutes)
    final_start = changes.get("window_start_minutes", policy.window_start_minutes)
    if (
        final_kind == TargetKind.WINDOW
        and final_start >= final_target
        and "target" not in errors.errors
    ):
        errors.add(
            "window_start",
            _("“Not before” must be earlier than the deadline of the window."),
        )
    errors.raise_if_any()
    with transaction.atomic():
        locked = Policy.objects.select_for_update().get(pk=policy.pk)
        before = snapshot(locked, POLICY_AUDIT_FIELDS)
        for field, value in changes.items():
            setattr(locked, field, value)
        if changes:
            locked.save(update_fields=list(changes))
            _forget_policies()
        audit_record(
            actor=actor,
            instance=locked,
            action=AuditAction.UPDATE,
            before=before,
            after=snapshot(locked, POLICY_AUDIT_FIELDS),
            community_id=locked.community_id,
            at=now,
        )
    return locked


def _escalate_to(errors: ErrorCollector, value: Iterable[str] | str) -> list[str]:
    items = value.replace("，", ",").split(",") if isinstance(value, str) else list(value)
    allowed = dict(ESCALATE_TO)
    out: list[str] = []
    for raw in items:
        item = str(raw).strip()
        if not item:
            continue
        if item not in allowed:
            errors.add(
                "escalate_to", _("“%(value)s” is not one of the allowed choices.") % {"value": item}
            )
        elif item not in out:
            out.append(item)
    return out


# --- working hours ------------------------------------------------------------------------


def _parse_intervals(errors: ErrorCollector, value: Sequence[str] | str) -> list[str]:
    """ "08:30-12:00" lines → sorted, checked "HH:MM-HH:MM" strings (end 24:00 = midnight)."""
    if isinstance(value, str):
        items = [p.strip() for p in re.split(r"[\n,，;；]+", value)]
    else:
        items = [str(p).strip() for p in value]
    items = [p for p in items if p]
    if len(items) > MAX_INTERVALS:
        errors.add("intervals", _("At most %(n)d intervals a day.") % {"n": MAX_INTERVALS})
        return []
    spans: list[tuple[int, int, str]] = []
    for item in items:
        match = _INTERVAL.match(item)
        if match is None:
            errors.add(
                "intervals",
                _("“%(value)s” is not an interval like 08:30-12:00.") % {"value": item},
            )
            continue
        h1, m1, h2, m2 = (int(x) for x in match.groups())
        if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or (h2 == 24 and m2):
            errors.add("intervals", _("“%(value)s” is not a time of day.") % {"value": item})
            continue
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if end == 0:
            end = 24 * 60  # "…-00:00" ends at midnight, as the calendar reads it
        if start >= end:
            errors.add(
                "intervals",
                _("“%(value)s”: the start must be before the end.") % {"value": item},
            )
            continue
        spans.append((start, end, item))
    spans.sort()
    for (_s1, e1, first), (s2, _e2, second) in pairwise(spans):
        if s2 < e1:
            errors.add(
                "intervals",
                _("“%(a)s” and “%(b)s” overlap.") % {"a": first, "b": second},
            )
    return [f"{s // 60:02d}:{s % 60:02d}-{(e // 60) % 24:02d}:{e % 60:02d}" for s, e, _i in spans]


def hours_set(
    *,
    actor: Any,
    community_id: Any,
    intervals: Sequence[str] | str,
    now: dt.datetime | None = None,
) -> CommunityHours | None:
    """Set the community's working hours; no intervals means the default hours again."""
    now = _now(now)
    community = _community(actor, community_id)
    require(actor, Cap.SLA_CONFIGURE)
    errors = ErrorCollector()
    cleaned = _parse_intervals(errors, intervals)
    errors.raise_if_any()
    if cleaned:
        try:  # the calendar's own check, so the two can never disagree
            WorkingCalendar(hours=tuple(_to_times(cleaned)))
        except ValueError as exc:
            raise Invalid.field("intervals", str(exc)) from None
    with transaction.atomic():
        row = CommunityHours.objects.select_for_update().filter(community=community).first()
        if not cleaned:
            if row is not None:
                audit_record(
                    actor=actor,
                    instance=row,
                    action=AuditAction.DELETE,
                    before=snapshot(row, ("community", "intervals")),
                    community_id=community.pk,
                    note="back to the default working hours",
                    at=now,
                )
                row.delete()
            return None
        if row is None:
            row = CommunityHours.objects.create(community=community, intervals=cleaned)
            audit_record(
                actor=actor,
                instance=row,
                action=AuditAction.CREATE,
                after=snapshot(row, ("community", "intervals")),
                community_id=community.pk,
                at=now,
            )
            return row
        before = snapshot(row, ("intervals",))
        row.intervals = cleaned
        row.save(update_fields=["intervals"])
        audit_record(
            actor=actor,
            instance=row,
            action=AuditAction.UPDATE,
            before=before,
            after=snapshot(row, ("intervals",)),
            community_id=community.pk,
            at=now,
        )
    return row


def _to_times(intervals: Iterable[str]) -> list[tuple[dt.time, dt.time]]:
    out = []
    for item in intervals:
        start, end = item.split("-")
        out.append((dt.time.fromisoformat(start), dt.time.fromisoformat(end)))
    return out


# --- calendar overrides ---------------------------------------------------------------


def override_set(
    *,
    actor: Any,
    community_id: Any,
    date: Any,
    is_workday: Any,
    note: Any = "",
    now: dt.datetime | None = None,
) -> CalendarOverride:
    """Make a date a working day or a day off, for one community or (None) for all."""
    now = _now(now)
    community = None if community_id in (None, "") else _community(actor, community_id)
    require(actor, Cap.SLA_CONFIGURE)
    if community is None and not may_set_every_community(actor):
        raise Forbidden(_("Only a company administrator sets a date for every community."))
    errors = ErrorCollector()
    day = v.date(errors, "date", date)
    if day is not None and not dt.date(2000, 1, 1) <= day <= dt.date(2100, 12, 31):
        errors.add("date", _("Give a date between 2000 and 2100."))
    workday = _flag(errors, "is_workday", is_workday, _("Choose working day or day off."))
    text = v.text(errors, "note", note, max_length=100, required=False)
    errors.raise_if_any()
    assert day is not None
    assert workday is not None
    fields = ("community", "date", "is_workday", "note")
    try:
        with transaction.atomic():
            row = (
                CalendarOverride.objects.select_for_update()
                .filter(community=community, date=day)
                .first()
            )
            if row is None:
                row = CalendarOverride.objects.create(
                    community=community, date=day, is_workday=workday, note=text
                )
                audit_record(
                    actor=actor,
                    instance=row,
                    action=AuditAction.CREATE,
                    after=snapshot(row, fields),
                    community_id=community.pk if community else None,
                    at=now,
                )
                return row
            before = snapshot(row, fields)
            row.is_workday, row.note = workday, text
            row.save(update_fields=["is_workday", "note"])
            audit_record(
                actor=actor,
                instance=row,
                action=AuditAction.UPDATE,
                before=before,
                after=snapshot(row, fields),
                community_id=community.pk if community else None,
                at=now,
            )
            return row
    except IntegrityError:
        # Someone created the same date a moment ago: the unique constraint decided.
        raise Conflict(_("This date was just set by someone else; reload and try again.")) from None


def override_delete(*, actor: Any, override_id: Any, now: dt.datetime | None = None) -> None:
    """Remove a date's override; the statutory calendar decides that date again."""
    now = _now(now)
    try:
        pk = int(override_id)
    except (TypeError, ValueError):
        raise NotFound(_("No such date.")) from None
    row = (
        CalendarOverride.objects.filter(_defaults_or_served(actor), pk=pk).first()
        if community_ids_for(actor)
        else None
    )
    if row is None:
        raise NotFound(_("No such date."))
    require(actor, Cap.SLA_CONFIGURE)
    if row.community_id is None and not may_set_every_community(actor):
        raise Forbidden(_("Only a company administrator sets a date for every community."))
    with transaction.atomic():
        locked = CalendarOverride.objects.select_for_update().filter(pk=pk).first()
        if locked is None:
            return  # deleted a moment ago: the outcome the caller wanted
        audit_record(
            actor=actor,
            instance=locked,
            action=AuditAction.DELETE,
            before=snapshot(locked, ("community", "date", "is_workday", "note")),
            community_id=locked.community_id,
            at=now,
        )
        locked.delete()
