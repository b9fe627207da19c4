"""Service-standard decisions the service desk makes itself, as pure functions.

- R-REP-2: free or paid, and developer rectification under warranty.
- R-REP-5 / R-CMP-8: when the return visit is due.

Defaults come from `settings.PROPDESK_SERVICEDESK` (overridable per install);
the deadline policies of `sla/` may tighten them per community.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from .models import BillingBasis, CaseKind

DEFAULTS: dict[str, Any] = {
    # R-REP-5: return visit within 2 days of completion; safety facilities 2 days;
    # leak repairs within 3 days after the leak test.
    "return_visit_days": 2,
    "safety_return_visit_days": 2,
    "leak_return_visit_days": 3,
    # R-CMP-8: the complaint's return visit follows the result being told.
    "complaint_return_visit_days": 2,
}

KIND_PREFIX: dict[str, str] = {
    CaseKind.REPAIR: "BX",  # 报修
    CaseKind.COMPLAINT: "TS",  # 投诉
    CaseKind.INQUIRY: "ZX",  # 咨询
    CaseKind.PAID_SERVICE: "YC",  # 有偿
    CaseKind.PRAISE: "BY",  # 表扬
    CaseKind.SUGGESTION: "JY",  # 建议
}


def setting(name: str) -> Any:
    overrides = getattr(settings, "PROPDESK_SERVICEDESK", {}) or {}
    return overrides.get(name, DEFAULTS[name])


def case_number(kind: str, year: int, seq: int) -> str:
    """`BX26-00042`: kind prefix, two-digit year, a per-community yearly sequence."""
    return f"{KIND_PREFIX.get(kind, 'GD')}{year % 100:02d}-{seq:05d}"


def billing_basis(
    *,
    category: Any,
    house: Any,
    public_area: bool,
    on: dt.date,
) -> str:
    """R-REP-2: who pays for a repair, from the category, the place and the warranty."""
    if category is None:
        return BillingBasis.UNDECIDED
    if public_area or category.is_public_facility:
        return BillingBasis.FREE_PUBLIC
    months = category.warranty_months
    if months is None and category.parent_id is not None:
        months = category.parent.warranty_months
    handover = getattr(house, "handover_date", None)
    if months and handover is not None and on < add_months(handover, months):
        return BillingBasis.DEVELOPER
    paid = category.is_paid_default or (
        category.parent_id is not None and category.parent.is_paid_default
    )
    return BillingBasis.PAID if paid else BillingBasis.FREE


def add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover - 28 always exists


@dataclass(frozen=True)
class VisitWindow:
    not_before: dt.datetime | None
    due_at: dt.datetime
    rule: str


def flag(category: Any, name: str) -> bool:
    if category is None:
        return False
    if getattr(category, name):
        return True
    parent = category.parent if category.parent_id else None
    return bool(parent is not None and getattr(parent, name))


def return_visit_window(case: Any, *, now: dt.datetime) -> VisitWindow:
    """When the return visit of a completed repair or handled complaint is due (R-REP-5, R-CMP-8)."""
    if case.kind == CaseKind.COMPLAINT:
        start = case.result_told_at or now
        days = setting("complaint_return_visit_days")
        return VisitWindow(None, start + dt.timedelta(days=days), "R-CMP-8")
    completed = case.completed_at or now
    if flag(case.category, "is_leak") and case.leak_test_at is not None:
        days = setting("leak_return_visit_days")
        return VisitWindow(
            case.leak_test_at, case.leak_test_at + dt.timedelta(days=days), "R-REP-5"
        )
    if flag(case.category, "is_safety_facility"):
        return VisitWindow(
            None, completed + dt.timedelta(days=setting("safety_return_visit_days")), "R-REP-5"
        )
    return VisitWindow(None, completed + dt.timedelta(days=setting("return_visit_days")), "R-REP-5")
