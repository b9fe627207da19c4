"""The billing panel of the customer 360 page and the house page: what each house owes,
how much of it is overdue, the prepayment held, and the way to the cashier desk."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from propdesk.accounts.roles import Cap
from propdesk.accounts.selectors import user_can
from propdesk.billing.selectors import house_billing


def billing_panel(user: Any, house_ids: Iterable[int]) -> dict[str, Any] | None:
    """None for staff who may not see billing; else one row per house."""
    if not user_can(user, Cap.BILLING_VIEW):
        return None
    rows = [house_billing(user, house_id) for house_id in dict.fromkeys(house_ids)]
    return {"rows": rows, "can_collect": user_can(user, Cap.BILLING_COLLECT)}
