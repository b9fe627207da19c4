"""The state tables of every case kind: one table, read by services, API and console.

A transition names the statuses it may leave from, the status it enters, and
the capabilities that may perform it (any of them). Services refuse anything
not in the table with a `Conflict` naming the allowed actions; the console and
the API render the allowed actions from the same table.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from propdesk.accounts.roles import Cap

from .models import CaseKind
from .models import CaseStatus as S


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str
    capabilities: frozenset[str]
    label: str | Promise
    # Work actions by a technician are limited to cases assigned to them.
    assignee_only_for_workers: bool = False
    danger: bool = False


def _t(
    action: str,
    sources: set[str],
    target: str,
    caps: set[str],
    label: str | Promise,
    *,
    worker: bool = False,
    danger: bool = False,
) -> Transition:
    return Transition(action, frozenset(sources), target, frozenset(caps), label, worker, danger)


_WORK = {Cap.CASES_WORK, Cap.CASES_DISPATCH}
_DESK = {Cap.CASES_INTAKE}

REPAIR = [
    _t("dispatch", {S.RECEIVED}, S.DISPATCHED, {Cap.CASES_DISPATCH}, _("Dispatch")),
    _t(
        "reassign",
        {S.DISPATCHED, S.ACCEPTED, S.ON_HOLD},
        S.DISPATCHED,
        {Cap.CASES_DISPATCH},
        _("Reassign"),
    ),
    _t("accept", {S.DISPATCHED}, S.ACCEPTED, _WORK, _("Accept"), worker=True),
    _t("start", {S.ACCEPTED}, S.IN_PROGRESS, _WORK, _("Start work"), worker=True),
    _t("hold", {S.ACCEPTED, S.IN_PROGRESS}, S.ON_HOLD, _WORK, _("Put on hold"), worker=True),
    _t("resume", {S.ON_HOLD}, S.IN_PROGRESS, _WORK, _("Resume"), worker=True),
    _t("complete", {S.IN_PROGRESS}, S.COMPLETED, _WORK, _("Complete"), worker=True),
    _t("return_visit", {S.COMPLETED}, S.VISITED, {Cap.CASES_RETURN_VISIT}, _("Return visit")),
    _t("close", {S.VISITED}, S.CLOSED, _DESK, _("Close")),
    _t(
        "cancel",
        {S.RECEIVED, S.DISPATCHED, S.ACCEPTED, S.ON_HOLD},
        S.CANCELLED,
        {Cap.CASES_DISPATCH},
        _("Cancel"),
        danger=True,
    ),
    _t("reopen", {S.CLOSED, S.CANCELLED}, S.RECEIVED, {Cap.CASES_HANDLE}, _("Reopen")),
]

COMPLAINT = [
    _t("forward", {S.RECEIVED}, S.FORWARDED, _DESK, _("Forward to department head")),
    _t("handle", {S.FORWARDED}, S.IN_PROGRESS, {Cap.CASES_HANDLE}, _("Start handling")),
    _t("resolve", {S.IN_PROGRESS}, S.COMPLETED, {Cap.CASES_HANDLE}, _("Record the result")),
    _t(
        "tell_result",
        {S.COMPLETED},
        S.ANSWERED,
        {Cap.CASES_INTAKE, Cap.CASES_HANDLE},
        _("Result told to the complainant"),
    ),
    _t("return_visit", {S.ANSWERED}, S.VISITED, {Cap.CASES_RETURN_VISIT}, _("Return visit")),
    _t("close", {S.VISITED}, S.CLOSED, _DESK, _("Close")),
    _t(
        "cancel",
        {S.RECEIVED, S.FORWARDED},
        S.CANCELLED,
        {Cap.CASES_HANDLE},
        _("Cancel"),
        danger=True,
    ),
    _t("reopen", {S.CLOSED}, S.RECEIVED, {Cap.CASES_HANDLE}, _("Reopen")),
]

INQUIRY = [
    _t("forward", {S.RECEIVED}, S.FORWARDED, _DESK, _("Forward")),
    _t(
        "answer",
        {S.RECEIVED, S.FORWARDED},
        S.ANSWERED,
        {Cap.CASES_INTAKE, Cap.CASES_HANDLE},
        _("Answer"),
    ),
    _t("close", {S.ANSWERED}, S.CLOSED, _DESK, _("Close")),
    _t("cancel", {S.RECEIVED, S.FORWARDED}, S.CANCELLED, _DESK, _("Cancel"), danger=True),
    _t("reopen", {S.CLOSED}, S.RECEIVED, {Cap.CASES_HANDLE}, _("Reopen")),
]

PAID_SERVICE = [
    _t("dispatch", {S.RECEIVED}, S.DISPATCHED, {Cap.CASES_DISPATCH}, _("Schedule")),
    _t("reassign", {S.DISPATCHED}, S.DISPATCHED, {Cap.CASES_DISPATCH}, _("Reassign")),
    _t("start", {S.DISPATCHED}, S.IN_PROGRESS, _WORK, _("Start work"), worker=True),
    _t("complete", {S.IN_PROGRESS}, S.COMPLETED, _WORK, _("Complete"), worker=True),
    _t(
        "customer_accept",
        {S.COMPLETED},
        S.CHARGED,
        {Cap.CASES_INTAKE, Cap.CASES_WORK},
        _("Customer accepts; charge"),
    ),
    _t("rework", {S.COMPLETED}, S.IN_PROGRESS, {Cap.CASES_INTAKE}, _("Customer refuses: rework")),
    _t("close", {S.CHARGED}, S.CLOSED, _DESK, _("Close")),
    _t(
        "cancel",
        {S.RECEIVED, S.DISPATCHED},
        S.CANCELLED,
        {Cap.CASES_DISPATCH, Cap.CASES_INTAKE},
        _("Cancel"),
        danger=True,
    ),
]

LIGHT = [
    _t("answer", {S.RECEIVED}, S.ANSWERED, _DESK, _("Answer")),
    _t("close", {S.ANSWERED}, S.CLOSED, _DESK, _("Close")),
]

WORKFLOWS: dict[str, dict[str, Transition]] = {
    CaseKind.REPAIR: {t.action: t for t in REPAIR},
    CaseKind.COMPLAINT: {t.action: t for t in COMPLAINT},
    CaseKind.INQUIRY: {t.action: t for t in INQUIRY},
    CaseKind.PAID_SERVICE: {t.action: t for t in PAID_SERVICE},
    CaseKind.PRAISE: {t.action: t for t in LIGHT},
    CaseKind.SUGGESTION: {t.action: t for t in LIGHT},
}

# Where an unsatisfied return visit sends the work back (R-REP-6).
REWORK_TARGET: dict[str, str] = {
    CaseKind.REPAIR: S.DISPATCHED,
    CaseKind.COMPLAINT: S.IN_PROGRESS,
}

# The status a case enters when it starts, per kind.
INITIAL_STATUS = S.RECEIVED

# Statuses that pause deadlines (issue 5 reads this).
PAUSED_STATUSES = frozenset({S.ON_HOLD})


def transitions_from(kind: str, status: str) -> list[Transition]:
    """Every transition of `kind` that may leave `status`, in table order."""
    return [t for t in WORKFLOWS.get(kind, {}).values() if status in t.sources]


def every_action() -> list[str]:
    seen: dict[str, None] = {}
    for table in WORKFLOWS.values():
        for action in table:
            seen[action] = None
    return list(seen)
