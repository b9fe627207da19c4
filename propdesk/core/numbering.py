"""Numbers people read: short, per scope and year, gapless, never reused.

The counter row is locked for the rest of the caller's transaction, so two
concurrent callers queue and a rolled-back caller gives its number back.
"""

from __future__ import annotations

from django.db import IntegrityError, connection, transaction

from .models import NumberSequence

_INCREMENT = (
    "UPDATE core_numbersequence SET last_value = last_value + 1 "
    "WHERE scope = %s AND series = %s AND year = %s RETURNING last_value"
)


def _increment(scope: str, series: str, year: int) -> int | None:
    """Add one and read the new value in one statement (UPDATE … RETURNING: PostgreSQL,
    SQLite ≥ 3.35); None when the row does not exist yet."""
    with connection.cursor() as cursor:
        cursor.execute(_INCREMENT, [scope, series, year])
        row = cursor.fetchone()
    return None if row is None else int(row[0])


def number_next(*, scope: str, series: str, year: int) -> int:
    """Take the next number of (scope, series, year); call inside the writer's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("number_next must run inside the transaction that uses the number")
    value = _increment(scope, series, year)
    if value is not None:
        return value
    try:
        with transaction.atomic():
            NumberSequence.objects.create(scope=scope, series=series, year=year, last_value=1)
            return 1
    except IntegrityError:
        # Another transaction created the row first; increment it instead.
        value = _increment(scope, series, year)
        assert value is not None
        return value
