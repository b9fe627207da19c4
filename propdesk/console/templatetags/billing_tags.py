"""Template helpers of the billing screens."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

from propdesk.accounts.roles import Cap
from propdesk.accounts.selectors import user_can

register = template.Library()


@register.simple_tag(takes_context=True)
def billing_perms(context: Any) -> dict[str, bool]:
    """What the user may do in billing, for the tabs: `{% billing_perms as can %}`."""
    user = context["request"].user
    return {
        "view": user_can(user, Cap.BILLING_VIEW),
        "collect": user_can(user, Cap.BILLING_COLLECT),
        "manage": user_can(user, Cap.BILLING_MANAGE),
        "approve": user_can(user, Cap.BILLING_APPROVE),
    }


@register.filter
def yuan(value: Any) -> str:
    """An amount as staff read it: thousands separated, two places."""
    if value is None or value == "":
        return ""
    return f"{value:,.2f}"


@register.filter
def price(value: Any) -> str:
    """A unit price: two places at least, more only where the standard has them (0.6235)."""
    if value is None or value == "":
        return ""
    text = f"{Decimal(value).normalize():f}"
    whole, _dot, places = text.partition(".")
    return f"{whole}.{places.ljust(2, '0')}"
