"""Small filters of the deadline screens: targets, conditions and events in words."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from propdesk.core.choices import labels
from propdesk.servicedesk.models import CaseKind, Channel, Severity
from propdesk.sla.config import ESCALATE_TO
from propdesk.sla.models import Policy, TargetKind

from .servicedesk_tags import duration_hm

register = template.Library()

EVENTS: dict[str, Any] = {
    "create": pgettext_lazy("case event", "received"),
    "forward": pgettext_lazy("case event", "forwarded"),
    "dispatch": pgettext_lazy("case event", "dispatched"),
    "start": pgettext_lazy("case event", "work started"),
    "complete": pgettext_lazy("case event", "completed"),
    "leak_test": pgettext_lazy("case event", "leak test"),
    "resolve": pgettext_lazy("case event", "result recorded"),
    "tell_result": pgettext_lazy("case event", "result told"),
    "return_visit": pgettext_lazy("case event", "return visit"),
    "reply": pgettext_lazy("case event", "reply to the customer"),
    "director_notified": pgettext_lazy("case event", "director notified"),
    "answer": pgettext_lazy("case event", "answered"),
}


def _amount(minutes: int) -> str:
    if minutes and minutes % 1440 == 0:
        return _("%(n)d days") % {"n": minutes // 1440}
    if minutes and minutes % 60 == 0:
        return _("%(n)d hours") % {"n": minutes // 60}
    return _("%(n)d minutes") % {"n": minutes}


@register.filter
def target_label(policy: Policy) -> str:
    """ "1 hours", "2 working days", "end of the same working day", "from 0 minutes to 3 days"."""
    kind, minutes = policy.target_kind, policy.target_minutes
    if kind == TargetKind.SAME_WORKING_DAY:
        return _("end of the same working day")
    if kind == TargetKind.APPOINTMENT:
        return _("end of the appointment window")
    if kind == TargetKind.WORKING_DAYS:
        return _("%(n)d working days") % {"n": minutes}
    if kind == TargetKind.WORKING:
        return _("%(amount)s of working time") % {"amount": _amount(minutes)}
    if kind == TargetKind.WINDOW and not policy.window_start_minutes:
        return _("within %(end)s") % {"end": _amount(minutes)}
    if kind == TargetKind.WINDOW:
        return _("not before %(start)s, within %(end)s") % {
            "start": _amount(policy.window_start_minutes),
            "end": _amount(minutes),
        }
    return _amount(minutes)


@register.filter
def conditions_label(policy: Policy) -> str:
    parts = [labels(CaseKind).get(policy.kind, policy.kind)]
    if policy.severity:
        parts.append(labels(Severity).get(policy.severity, policy.severity))
    if policy.channel:
        parts.append(labels(Channel).get(policy.channel, policy.channel))
    if policy.requires_safety:
        parts.append(_("safety facilities"))
    if policy.requires_leak:
        parts.append(_("leaks"))
    return " · ".join(parts)


@register.filter
def event_label(event: str) -> str:
    return str(EVENTS.get(event, event))


@register.filter
def escalation_label(target: str) -> str:
    return str(dict(ESCALATE_TO).get(target, target))


@register.filter
def late_label(seconds: float | None) -> str:
    return "—" if seconds is None else duration_hm(round(seconds))


@register.filter
def percent(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.1f}%"


@register.filter
def abs_seconds(seconds: int) -> int:
    return abs(int(seconds or 0))


@register.filter
def offset_label(minutes: int) -> str:
    """-30 → "30 minutes before the deadline", 0 → "at the deadline"."""
    minutes = int(minutes or 0)
    if minutes == 0:
        return _("at the deadline")
    if minutes < 0:
        return _("%(amount)s before the deadline") % {"amount": _amount(-minutes)}
    return _("%(amount)s after the deadline") % {"amount": _amount(minutes)}
