"""Validation, normalisation and masking of identity data (R-CUS-3).

Functions return normalised values or raise `Invalid` naming the field, so
services can call them directly.
"""

from __future__ import annotations

import re
from datetime import date

import phonenumbers
from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import Invalid

# GB 11643-1999: first two digits are the province-level region.
_PROVINCES = frozenset(
    {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46}
    | {50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83}
)
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_ID_RE = re.compile(r"^\d{17}[\dX]$")


def prc_id_check_char(first17: str) -> str:
    """The GB 11643 check character (ISO 7064 MOD 11-2) for the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def prc_id_birth_date(number: str) -> date:
    return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def validate_prc_id(raw: str, *, field: str = "id_number", today: date | None = None) -> str:
    """Return the normalised 18-character resident ID or raise `Invalid` with the reason."""
    number = raw.strip().upper().replace(" ", "")
    if not _ID_RE.match(number):
        raise Invalid.field(
            field, _("A resident ID number has 17 digits followed by a digit or X.")
        )
    if int(number[:2]) not in _PROVINCES:
        raise Invalid.field(field, _("The first two digits are not a valid region code."))
    try:
        born = prc_id_birth_date(number)
    except ValueError:
        raise Invalid.field(
            field, _("The birth date in the ID number is not a real date.")
        ) from None
    today = today or timezone.localdate()
    if born > today or born.year < 1900:
        raise Invalid.field(field, _("The birth date in the ID number is impossible."))
    if prc_id_check_char(number[:17]) != number[17]:
        raise Invalid.field(field, _("The check digit of the ID number is wrong."))
    return number


def normalise_document_number(raw: str, *, field: str = "id_number") -> str:
    """Passports, permits, credit codes: trimmed, upper-case, 5-30 letters or digits."""
    number = re.sub(r"[\s-]", "", raw).upper()
    if not re.fullmatch(r"[A-Z0-9]{5,30}", number):
        raise Invalid.field(field, _("The document number must be 5 to 30 letters or digits."))
    return number


def mask_id_number(number: str) -> str:
    """`110101199003071234` → `1101**********1234`."""
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def normalise_phone(raw: str, *, field: str = "phone") -> str:
    """Return the phone in E.164 (`+8613812345678`) or raise `Invalid`.

    Numbers without a country code are read as mainland China numbers.
    """
    text = raw.strip()
    if not text:
        raise Invalid.field(field, _("This field is required."))
    try:
        parsed = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        raise Invalid.field(field, _("This is not a phone number.")) from None
    if not phonenumbers.is_valid_number(parsed):
        raise Invalid.field(field, _("This phone number does not exist."))
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def phone_display(e164: str) -> str:
    """Mainland numbers without +86; others in international format."""
    if e164.startswith("+86"):
        return e164[3:]
    return e164


def mask_phone(e164: str) -> str:
    """`+8613812345678` → `138****5678`."""
    shown = phone_display(e164)
    if len(shown) < 8:
        return "*" * len(shown)
    return shown[:3] + "*" * (len(shown) - 7) + shown[-4:]


# Licence plates: a province character, a letter, then 5 (ordinary) or 6 (new energy)
# letters/digits; the last may be 警/学/挂/领/港/澳.
_PLATE_RE = re.compile(
    r"^[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领]"
    r"[A-Z][A-HJ-NP-Z0-9]{4,5}[A-HJ-NP-Z0-9挂学警港澳领]$"
)


def normalise_plate(raw: str, *, field: str = "plate") -> str:
    plate = re.sub(r"[\s·.\-]", "", raw).upper()
    if not _PLATE_RE.match(plate):
        raise Invalid.field(field, _("This is not a valid licence plate, e.g. 京A12345."))
    return plate
