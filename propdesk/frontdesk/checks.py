"""Checks a release application runs (R-REL-1): arrears come from billing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from propdesk.billing.selectors import house_overdue
from propdesk.estates.models import House


def house_arrears(house: House) -> Decimal:
    """What the house owes past its due dates."""
    return house_overdue(house.pk)


def run_pass_checks(house: House, policy: Any) -> list[dict[str, str]]:
    """Warnings to show with a release application (R-REL-1), per the community's policy."""
    warnings: list[dict[str, str]] = []
    if policy.warn_on_arrears or policy.block_on_arrears:
        owed = house_arrears(house)
        if owed is not None and owed > 0:
            warnings.append(
                {
                    "code": "arrears",
                    "message": _("The house owes %(amount)s yuan in fees.") % {"amount": owed},
                }
            )
    return warnings
