"""The policies PropDesk ships (community = null), seeded from SERVICE-STANDARDS.md."""

from __future__ import annotations

from typing import Any

DAY = 24 * 60
_PAUSE = ["on_hold"]
_ALWAYS = "Recomputed from the start event when the category, severity or the resident's time changes; a breach already recorded stays."

POLICIES: list[dict[str, Any]] = [
    {
        "code": "R-CMP-4",
        "name": "投诉1小时内转交部门负责人",
        "kind": "complaint",
        "start_event": "create",
        "stop_events": ["forward"],
        "target_kind": "duration",
        "target_minutes": 60,
        "escalate_to": ["director"],
    },
    {
        "code": "R-CMP-6",
        "name": "重大投诉当天报告管理处主任",
        "kind": "complaint",
        "severity": "major",
        "start_event": "create",
        "stop_events": ["director_notified"],
        "target_kind": "same_day",
        "escalate_to": ["director"],
    },
    {
        "code": "R-CMP-7",
        "name": "轻微投诉3天内处理",
        "kind": "complaint",
        "severity": "minor",
        "start_event": "create",
        "stop_events": ["resolve"],
        "target_kind": "duration",
        "target_minutes": 3 * DAY,
        "escalate_to": ["department_head"],
    },
    {
        "code": "R-CMP-7",
        "name": "一般投诉2天内或按业主要求时间处理",
        "kind": "complaint",
        "severity": "ordinary",
        "start_event": "create",
        "stop_events": ["resolve"],
        "target_kind": "duration",
        "target_minutes": 2 * DAY,
        "use_requested_time": True,
        "escalate_to": ["department_head"],
    },
    {
        "code": "R-CMP-7",
        "name": "重要投诉10天内处理",
        "kind": "complaint",
        "severity": "important",
        "start_event": "create",
        "stop_events": ["resolve"],
        "target_kind": "duration",
        "target_minutes": 10 * DAY,
        "escalate_to": ["department_head", "director"],
    },
    {
        "code": "R-CMP-7",
        "name": "重大投诉10天内处理",
        "kind": "complaint",
        "severity": "major",
        "start_event": "create",
        "stop_events": ["resolve"],
        "target_kind": "duration",
        "target_minutes": 10 * DAY,
        "escalate_to": ["department_head", "director"],
    },
    {
        "code": "R-CMP-8",
        "name": "处理当天告知投诉人结果",
        "kind": "complaint",
        "start_event": "resolve",
        "stop_events": ["tell_result"],
        "target_kind": "same_day",
        "escalate_to": ["department_head"],
    },
    {
        "code": "R-CMP-8.2",
        "name": "投诉回访",
        "kind": "complaint",
        "start_event": "tell_result",
        "stop_events": ["return_visit"],
        "target_kind": "duration",
        "target_minutes": 2 * DAY,
    },
    {
        "code": "RESP-30",
        "name": "报修30分钟内响应派工",
        "kind": "repair",
        "start_event": "create",
        "stop_events": ["dispatch"],
        "target_kind": "duration",
        "target_minutes": 30,
        "escalate_to": ["department_head"],
    },
    {
        "code": "R-REP-3",
        "name": "按预约时间上门",
        "kind": "repair",
        "start_event": "dispatch",
        "stop_events": ["start"],
        "target_kind": "appointment",
        "pause_statuses": _PAUSE,
        "escalate_to": ["department_head"],
    },
    {
        "code": "R-REP-7",
        "name": "不能即时处理的2天内明确答复",
        "kind": "repair",
        "start_event": "create",
        "stop_events": ["reply", "complete"],
        "target_kind": "duration",
        "target_minutes": 2 * DAY,
    },
    {
        "code": "R-REP-5",
        "name": "维修完成后2天内回访",
        "kind": "repair",
        "start_event": "complete",
        "stop_events": ["return_visit"],
        "target_kind": "duration",
        "target_minutes": 2 * DAY,
    },
    {
        "code": "R-REP-5",
        "name": "安全设施维修2天内回访",
        "kind": "repair",
        "requires_safety": True,
        "start_event": "complete",
        "stop_events": ["return_visit"],
        "target_kind": "duration",
        "target_minutes": 2 * DAY,
    },
    {
        "code": "R-REP-5",
        "name": "渗漏维修试漏后3天内回访",
        "kind": "repair",
        "requires_leak": True,
        "start_event": "leak_test",
        "stop_events": ["return_visit"],
        "target_kind": "window",
        "window_start_minutes": 0,
        "target_minutes": 3 * DAY,
    },
    {
        "code": "R-SVC-1",
        "name": "有偿服务按约定时间上门",
        "kind": "paid_service",
        "start_event": "dispatch",
        "stop_events": ["start"],
        "target_kind": "appointment",
        "escalate_to": ["department_head"],
    },
]


# Every shipped policy's escalation ladder: a warning to the assignee half an hour
# before the deadline, the supervisor and an urgent priority two hours after it,
# the director a day after it. Staff change them per policy.
DEFAULT_LEVELS = [
    (-30, "assignee", "notify"),
    (120, "cs_supervisor", "raise_priority"),
    (24 * 60, "director", "notify"),
]


def seed_levels(policy_model: Any, level_model: Any) -> None:
    """Give the shipped policies without a ladder the default one (idempotent)."""
    for policy in policy_model.objects.filter(community=None, levels__isnull=True):
        for offset, target, action in DEFAULT_LEVELS:
            level_model.objects.get_or_create(
                policy=policy, offset_minutes=offset, target=target, action=action
            )


def seed(policy_model: Any, level_model: Any = None) -> None:
    """Create the shipped policies (and their escalation ladders) if missing (idempotent)."""
    for spec in POLICIES:
        data = dict(spec)
        key = {
            "code": data.pop("code"),
            "community": None,
            "kind": data.pop("kind"),
            "severity": data.pop("severity", ""),
            "requires_safety": data.pop("requires_safety", False),
            "requires_leak": data.pop("requires_leak", False),
        }
        data.setdefault("recompute_rule", _ALWAYS)
        policy_model.objects.get_or_create(**key, defaults=data)
    if level_model is not None:
        seed_levels(policy_model, level_model)


def seed_policies(apps: Any, schema_editor: Any) -> None:
    seed(apps.get_model("sla", "Policy"))


def unseed_policies(apps: Any, schema_editor: Any) -> None:
    apps.get_model("sla", "Policy").objects.filter(community=None).delete()
