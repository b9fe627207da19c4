"""Numbers people read: short, per scope and year, gapless, never reused.

The counter row is locked for the rest of the caller's transaction, so two
concurrent callers queue and a rolled-back caller gives its number back.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F

from .models import NumberSequence


def number_next(*, scope: str, series: str, year: int) -> int:
    """Take the next number of (scope, series, year); call inside the writer's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("number_next must run inside the transaction that uses the number")
    updated = NumberSequence.objects.filter(scope=scope, series=series, year=year).update(
        last_value=F("last_value") + 1
    )
    if not updated:
        try:
            with transaction.atomic():
                NumberSequence.objects.create(scope=scope, series=series, year=year, last_value=1)
                return 1
        except IntegrityError:
            # Another transaction created the row first; increment it instead.
            NumberSequence.objects.filter(scope=scope, series=series, year=year).update(
                last_value=F("last_value") + 1
            )
    return NumberSequence.objects.values_list("last_value", flat=True).get(
        scope=scope, series=series, year=year
    )
