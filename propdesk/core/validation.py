"""Small parsers services use on raw input; each names the field when it refuses."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from .errors import ErrorCollector


def text(
    errors: ErrorCollector, field: str, value: Any, *, max_length: int, required: bool = True
) -> str:
    cleaned = ("" if value is None else str(value)).strip()
    if required and not cleaned:
        errors.add(field, _("This field is required."))
    elif len(cleaned) > max_length:
        errors.add(
            field,
            _("At most %(max)d characters (it has %(n)d).")
            % {"max": max_length, "n": len(cleaned)},
        )
    return cleaned


def decimal(
    errors: ErrorCollector,
    field: str,
    value: Any,
    *,
    places: int = 2,
    minimum: Decimal | None = None,
    maximum: Decimal | None = None,
    exclusive_minimum: bool = False,
    required: bool = True,
) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors.add(field, _("This field is required."))
        return None
    if isinstance(value, float):
        value = repr(value)
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        errors.add(field, _("Enter a number."))
        return None
    if not number.is_finite():
        errors.add(field, _("Enter a number."))
        return None
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        errors.add(field, _("At most %(places)d decimal places.") % {"places": places})
        return None
    if minimum is not None and (number <= minimum if exclusive_minimum else number < minimum):
        msg = (
            _("Must be greater than %(min)s.")
            if exclusive_minimum
            else _("Must be at least %(min)s.")
        )
        errors.add(field, msg % {"min": minimum})
        return None
    if maximum is not None and number > maximum:
        errors.add(field, _("Must be at most %(max)s.") % {"max": maximum})
        return None
    return number


def integer(
    errors: ErrorCollector,
    field: str,
    value: Any,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    required: bool = True,
) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors.add(field, _("This field is required."))
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        errors.add(field, _("Enter a whole number."))
        return None
    if minimum is not None and number < minimum:
        errors.add(field, _("Must be at least %(min)s.") % {"min": minimum})
        return None
    if maximum is not None and number > maximum:
        errors.add(field, _("Must be at most %(max)s.") % {"max": maximum})
        return None
    return number


def date(
    errors: ErrorCollector, field: str, value: Any, *, required: bool = True
) -> dt.date | None:
    if isinstance(value, dt.datetime):
        errors.add(field, _("Enter a date, not a time."))
        return None
    if isinstance(value, dt.date):
        return value
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors.add(field, _("This field is required."))
        return None
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        errors.add(field, _("Enter a date as YYYY-MM-DD."))
        return None


def choice(
    errors: ErrorCollector,
    field: str,
    value: Any,
    choices: Iterable[tuple[str, Any]],
    *,
    required: bool = True,
) -> str:
    cleaned = ("" if value is None else str(value)).strip()
    allowed = [key for key, _label in choices]
    if not cleaned:
        if required:
            errors.add(field, _("This field is required."))
        return cleaned
    if cleaned not in allowed:
        errors.add(field, _("“%(value)s” is not one of the allowed choices.") % {"value": cleaned})
    return cleaned


def moment(
    errors: ErrorCollector,
    field: str,
    value: Any,
    *,
    tz: dt.tzinfo | None = None,
    required: bool = True,
) -> dt.datetime | None:
    """An aware datetime from a datetime or an ISO 8601 string; naive values are read in `tz`."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors.add(field, _("This field is required."))
        return None
    parsed: dt.datetime | None
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, dt.date):
        parsed = dt.datetime.combine(value, dt.time())
    else:
        try:
            parsed = dt.datetime.fromisoformat(str(value).strip())
        except ValueError:
            errors.add(field, _("Enter a date and time such as 2026-05-01 14:30."))
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz or dt.UTC)
    return parsed
