"""The events PropDesk sends messages about, their variables and the texts it ships.

An event is code, not data: the domain that raises it decides what it means and
which variables it fills. Staff edit the *texts* (`MessageTemplate` rows); the
built-in texts below are the fallback when no row exists (a fresh install's data
migration copies them into the table, so staff see and edit them).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# Channels a customer can be reached on, and those a staff member can.
CUSTOMER_CHANNELS = ("sms", "email", "portal")
STAFF_CHANNELS = ("staff", "email")

LANGUAGE_CODES = ("zh-hans", "en")


class Category:
    """Groups of events a customer can set one preference for."""

    SERVICE = "service"
    BILLING = "billing"
    DEADLINE = "deadline"
    SYSTEM = "system"


CATEGORY_LABELS: dict[str, Promise] = {
    Category.SERVICE: _("Cases (repairs, complaints, inquiries)"),
    Category.BILLING: _("Billing and reminders"),
    Category.DEADLINE: _("Service deadlines"),
    Category.SYSTEM: _("System"),
}


@dataclass(frozen=True)
class EventSpec:
    code: str
    label: Promise
    category: str
    audience: str  # "customer" or "staff": who it is normally for
    # name → what it holds; a template may use any of these and nothing else.
    variables: dict[str, Promise]
    # Channels a template exists for; `default_channels` are used when the
    # recipient states no preference and the caller names none.
    channels: tuple[str, ...]
    default_channels: tuple[str, ...]
    # An essential message (a bill, a deadline) still reaches the customer's
    # portal inbox when their preferences would drop every channel, and ignores
    # the "no non-essential SMS" opt-out.
    essential: bool = False
    sample: dict[str, str] = field(default_factory=dict)


_CASE_VARS: dict[str, Promise] = {
    "case_number": _("case number"),
    "case_title": _("case title"),
    "case_kind": _("case kind (repair, complaint …)"),
    "customer_name": _("customer's name"),
    "community_name": _("community name"),
    "service_phone": _("the community's service phone"),
}
_CASE_SAMPLE = {
    "case_number": "A-2026-000123",
    "case_title": "卫生间漏水",
    "case_kind": "报修",
    "customer_name": "张伟",
    "community_name": "翠湖花园",
    "service_phone": "0571-88886666",
}
_SLA_VARS: dict[str, Promise] = {
    "case_number": _("case number"),
    "case_title": _("case title"),
    "rule": _("service-standard id, e.g. R-CMP-4"),
    "policy_name": _("deadline name"),
    "due_at": _("due time (community time)"),
    "community_name": _("community name"),
}
_SLA_SAMPLE = {
    "case_number": "A-2026-000123",
    "case_title": "楼道噪音投诉",
    "rule": "R-CMP-4",
    "policy_name": "投诉1小时内转交部门负责人",
    "due_at": "2026-11-30 15:30",
    "community_name": "翠湖花园",
}

EVENTS: dict[str, EventSpec] = {
    spec.code: spec
    for spec in (
        EventSpec(
            code="case.received",
            label=_("Case received"),
            category=Category.SERVICE,
            audience="customer",
            variables={**_CASE_VARS, "received_at": _("time received (community time)")},
            channels=CUSTOMER_CHANNELS,
            default_channels=("sms", "portal"),
            sample={**_CASE_SAMPLE, "received_at": "2026-11-30 09:12"},
        ),
        EventSpec(
            code="case.completed",
            label=_("Case completed"),
            category=Category.SERVICE,
            audience="customer",
            variables={**_CASE_VARS, "completed_at": _("time completed (community time)")},
            channels=CUSTOMER_CHANNELS,
            default_channels=("sms", "portal"),
            sample={**_CASE_SAMPLE, "completed_at": "2026-11-30 16:40"},
        ),
        EventSpec(
            code="billing.reminder",
            label=_("Payment reminder"),
            category=Category.BILLING,
            audience="customer",
            variables={
                "customer_name": _("customer's name"),
                "house": _("house, e.g. 3-2-1801"),
                "period": _("billing period"),
                "amount": _("amount due (yuan)"),
                "due_date": _("pay by"),
                "community_name": _("community name"),
                "service_phone": _("the community's service phone"),
            },
            channels=CUSTOMER_CHANNELS,
            default_channels=("sms", "portal"),
            essential=True,
            sample={
                "customer_name": "张伟",
                "house": "3-2-1801",
                "period": "2026年11月",
                "amount": "356.00",
                "due_date": "2026-12-15",
                "community_name": "翠湖花园",
                "service_phone": "0571-88886666",
            },
        ),
        EventSpec(
            code="sla.warning",
            label=_("Deadline about to pass"),
            category=Category.DEADLINE,
            audience="staff",
            variables={**_SLA_VARS, "minutes_left": _("minutes left")},
            channels=STAFF_CHANNELS,
            default_channels=("staff",),
            essential=True,
            sample={**_SLA_SAMPLE, "minutes_left": "30"},
        ),
        EventSpec(
            code="sla.breach",
            label=_("Deadline passed"),
            category=Category.DEADLINE,
            audience="staff",
            variables={**_SLA_VARS, "late": _("how late, e.g. 2 hours")},
            channels=STAFF_CHANNELS,
            default_channels=("staff",),
            essential=True,
            sample={**_SLA_SAMPLE, "late": "2小时"},
        ),
        EventSpec(
            code="notify.digest",
            label=_("Digest of held alerts"),
            category=Category.SYSTEM,
            audience="staff",
            variables={
                "count": _("number of messages"),
                "window_minutes": _("minutes the burst lasted"),
                "items": _("one line per message"),
                "community_name": _("community name"),
            },
            channels=STAFF_CHANNELS,
            default_channels=("staff",),
            essential=True,
            sample={
                "count": "7",
                "window_minutes": "10",
                "items": "- 15:02 R-CMP-4 超时：A-2026-000123\n- 15:03 R-REP-5 超时：A-2026-000124",
                "community_name": "翠湖花园",
            },
        ),
    )
}

# Variables `outbox_enqueue_event` fills from the community or the customer when
# the caller leaves them out.
AUTO_VARIABLES = ("community_name", "service_phone", "customer_name")


def event_spec(code: str) -> EventSpec | None:
    return EVENTS.get(code)


def scope_choices() -> list[tuple[str, str]]:
    """What a customer preference can apply to: all, a category, or one customer event."""
    scopes: list[tuple[str, str]] = [("", str(_("All messages")))]
    for category in (Category.SERVICE, Category.BILLING):
        scopes.append((category, str(CATEGORY_LABELS[category])))
    for spec in EVENTS.values():
        if spec.audience == "customer":
            scopes.append((spec.code, str(spec.label)))
    return scopes


# (event, channel, language) → (subject, body): the texts PropDesk ships.
BUILTIN_TEMPLATES: dict[tuple[str, str, str], tuple[str, str]] = {}


def _add(event: str, language: str, texts: dict[str, tuple[str, str]]) -> None:
    for channel, pair in texts.items():
        BUILTIN_TEMPLATES[(event, channel, language)] = pair


_add(
    "case.received",
    "zh-hans",
    {
        "sms": (
            "",
            "您好，您的{case_kind}已受理，工单号 {case_number}（{case_title}）。"
            "我们会尽快处理，如有疑问请致电 {service_phone}。",
        ),
        "email": (
            "{community_name}：您的{case_kind}已受理（{case_number}）",
            "{customer_name}，您好：\n\n您于 {received_at} 提交的{case_kind}“{case_title}”已受理，"
            "工单号 {case_number}。我们会尽快处理。\n\n如有疑问请致电 {service_phone}。\n\n"
            "{community_name}客服中心",
        ),
        "portal": (
            "{case_kind}已受理：{case_number}",
            "您于 {received_at} 提交的{case_kind}“{case_title}”已受理，工单号 {case_number}。",
        ),
    },
)
_add(
    "case.received",
    "en",
    {
        "sms": (
            "",
            "Your request {case_number} ({case_title}) has been received. "
            "Questions: {service_phone}.",
        ),
        "email": (
            "{community_name}: request {case_number} received",
            "Dear {customer_name},\n\nyour request “{case_title}” of {received_at} has been "
            "received as {case_number}. We will deal with it soon.\n\n"
            "Questions: {service_phone}.\n\n{community_name} customer service",
        ),
        "portal": (
            "Request received: {case_number}",
            "Your request “{case_title}” of {received_at} has been received as {case_number}.",
        ),
    },
)
_add(
    "case.completed",
    "zh-hans",
    {
        "sms": (
            "",
            "您好，您的工单 {case_number}（{case_title}）已处理完成。"
            "如有问题请致电 {service_phone}，感谢您的支持。",
        ),
        "email": (
            "{community_name}：工单 {case_number} 已完成",
            "{customer_name}，您好：\n\n您的{case_kind}“{case_title}”（{case_number}）已于 "
            "{completed_at} 处理完成。\n\n如有问题请致电 {service_phone}，感谢您的支持。\n\n"
            "{community_name}客服中心",
        ),
        "portal": (
            "工单已完成：{case_number}",
            "您的{case_kind}“{case_title}”已于 {completed_at} 处理完成。",
        ),
    },
)
_add(
    "case.completed",
    "en",
    {
        "sms": (
            "",
            "Your request {case_number} ({case_title}) has been completed. "
            "Questions: {service_phone}. Thank you.",
        ),
        "email": (
            "{community_name}: request {case_number} completed",
            "Dear {customer_name},\n\nyour request “{case_title}” ({case_number}) was "
            "completed at {completed_at}.\n\nQuestions: {service_phone}. Thank you.\n\n"
            "{community_name} customer service",
        ),
        "portal": (
            "Request completed: {case_number}",
            "Your request “{case_title}” was completed at {completed_at}.",
        ),
    },
)
_add(
    "billing.reminder",
    "zh-hans",
    {
        "sms": (
            "",
            "尊敬的{customer_name}，您的房屋 {house} {period}费用 {amount} 元尚未缴纳，"
            "请于 {due_date} 前缴纳，已缴请忽略。咨询电话 {service_phone}。",
        ),
        "email": (
            "{community_name}：{period}缴费提醒",
            "尊敬的{customer_name}：\n\n您的房屋 {house} {period}费用 {amount} 元尚未缴纳，"
            "请于 {due_date} 前缴纳。如已缴纳请忽略本提醒。\n\n咨询电话 {service_phone}。\n\n"
            "{community_name}客服中心",
        ),
        "portal": (
            "{period}缴费提醒",
            "您的房屋 {house} {period}费用 {amount} 元尚未缴纳，请于 {due_date} 前缴纳。",
        ),
    },
)
_add(
    "billing.reminder",
    "en",
    {
        "sms": (
            "",
            "Dear {customer_name}, {amount} yuan for {house} ({period}) is unpaid; "
            "please pay by {due_date}. Ignore if paid. Questions: {service_phone}.",
        ),
        "email": (
            "{community_name}: payment reminder for {period}",
            "Dear {customer_name},\n\n{amount} yuan for {house} ({period}) is still unpaid. "
            "Please pay by {due_date}; if you have paid already, please ignore this "
            "reminder.\n\nQuestions: {service_phone}.\n\n{community_name} customer service",
        ),
        "portal": (
            "Payment reminder for {period}",
            "{amount} yuan for {house} ({period}) is unpaid; please pay by {due_date}.",
        ),
    },
)
_add(
    "sla.warning",
    "zh-hans",
    {
        "staff": (
            "{rule} 即将超时：{case_number}",
            "工单 {case_number}（{case_title}）的时限“{policy_name}”将于 {due_at} 到期，"
            "还剩 {minutes_left} 分钟。",
        ),
        "email": (
            "{rule} 即将超时：{case_number}",
            "工单 {case_number}（{case_title}）的时限“{policy_name}”将于 {due_at} 到期，"
            "还剩 {minutes_left} 分钟。\n\n{community_name}",
        ),
    },
)
_add(
    "sla.warning",
    "en",
    {
        "staff": (
            "{rule} due soon: {case_number}",
            "Case {case_number} ({case_title}): “{policy_name}” is due at {due_at}, "
            "{minutes_left} minutes left.",
        ),
        "email": (
            "{rule} due soon: {case_number}",
            "Case {case_number} ({case_title}): “{policy_name}” is due at {due_at}, "
            "{minutes_left} minutes left.\n\n{community_name}",
        ),
    },
)
_add(
    "sla.breach",
    "zh-hans",
    {
        "staff": (
            "{rule} 超时：{case_number}",
            "工单 {case_number}（{case_title}）已超过时限“{policy_name}”"
            "（应于 {due_at} 前完成），已超时 {late}。",
        ),
        "email": (
            "{rule} 超时：{case_number}",
            "工单 {case_number}（{case_title}）已超过时限“{policy_name}”"
            "（应于 {due_at} 前完成），已超时 {late}。\n\n{community_name}",
        ),
    },
)
_add(
    "sla.breach",
    "en",
    {
        "staff": (
            "{rule} overdue: {case_number}",
            "Case {case_number} ({case_title}) missed “{policy_name}” (due {due_at}); {late} late.",
        ),
        "email": (
            "{rule} overdue: {case_number}",
            "Case {case_number} ({case_title}) missed “{policy_name}” (due {due_at}); "
            "{late} late.\n\n{community_name}",
        ),
    },
)
_add(
    "notify.digest",
    "zh-hans",
    {
        "staff": (
            "{count} 条提醒汇总",
            "{window_minutes} 分钟内您收到较多提醒，以下 {count} 条已合并为一条：\n{items}",
        ),
        "email": (
            "{community_name}：{count} 条提醒汇总",
            "{window_minutes} 分钟内您收到较多提醒，以下 {count} 条已合并为一封邮件：\n\n{items}",
        ),
    },
)
_add(
    "notify.digest",
    "en",
    {
        "staff": (
            "{count} alerts in one",
            "Many alerts arrived within {window_minutes} minutes; these {count} are "
            "combined into one:\n{items}",
        ),
        "email": (
            "{community_name}: {count} alerts in one",
            "Many alerts arrived within {window_minutes} minutes; these {count} are "
            "combined into one e-mail:\n\n{items}",
        ),
    },
)
