"""Checks a release application runs, pluggable: a domain that is not built yet reads nothing.

Arrears come from billing (`propdesk.billing.selectors.house_arrears(house_id)`);
until billing provides it, the arrears check is silent.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from propdesk.estates.models import House


def _arrears_reader() -> Callable[..., Any] | None:
    try:
        billing_selectors = importlib.import_module("propdesk.billing.selectors")
    except ImportError:
        return None
    return getattr(billing_selectors, "house_arrears", None)


def house_arrears(house: House) -> Decimal | None:
    """What the house owes, or None when billing cannot tell yet."""
    reader = _arrears_reader()
    if reader is None:
        return None
    try:
        value = reader(house.pk)
    except TypeError:
        value = reader(house_id=house.pk)
    if value is None:
        return None
    if not isinstance(value, Decimal):
        value = getattr(value, "amount", value)
        value = Decimal(str(value))
    return value


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
