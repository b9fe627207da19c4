"""Money is Decimal, CNY, two places, ROUND_HALF_UP — through this one helper."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")


def money(value: Decimal | int | str) -> Decimal:
    """Round to two places, half up; refuses floats, which cannot hold money."""
    if isinstance(value, float):
        raise TypeError("money() refuses float; pass a str or Decimal")
    try:
        return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise ValueError(f"not an amount: {value!r}") from None
