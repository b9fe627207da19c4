from __future__ import annotations

import datetime as dt

import pytest

from propdesk.core.errors import Invalid
from propdesk.core.identity import (
    mask_id_number,
    mask_phone,
    normalise_phone,
    normalise_plate,
    prc_id_check_char,
    validate_prc_id,
)


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("11010519491231002X", "11010519491231002X"),
        ("11010519491231002x", "11010519491231002X"),
        (" 110101199003074477 ", "110101199003074477"),
    ],
)
def test_valid_resident_ids_are_normalised(number, expected):
    assert validate_prc_id(number) == expected


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("110101199003074478", "check digit"),  # last digit off by one
        ("11010519491231002", "17 digits"),  # too short
        ("990101199003074477", "region"),
        ("110101199002304476", "real date"),  # 30 February
        ("110101209901014470", "impossible"),  # born in the future
    ],
)
def test_invalid_resident_ids_name_the_field_and_reason(number, reason, settings):
    settings.LANGUAGE_CODE = "en"
    with pytest.raises(Invalid) as exc:
        validate_prc_id(number, today=dt.date(2026, 11, 22))
    assert list(exc.value.errors) == ["id_number"]
    assert reason in str(exc.value.errors["id_number"][0])


def test_check_char_follows_gb11643_example():
    # The worked example of GB 11643-1999: 11010519491231002 → X
    assert prc_id_check_char("11010519491231002") == "X"


def test_masking_keeps_first_and_last_four():
    assert mask_id_number("110105194912310021") == "1101**********0021"
    assert mask_phone("+8613812345678") == "138****5678"


def test_phone_normalised_to_e164_and_bad_phone_refused():
    assert normalise_phone("138 1234 5678") == "+8613812345678"
    assert normalise_phone("021-62345678") == "+862162345678"
    with pytest.raises(Invalid) as exc:
        normalise_phone("12345")
    assert "phone" in exc.value.errors


def test_plates():
    assert normalise_plate("京a·12345") == "京A12345"
    assert normalise_plate("粤B D12345") == "粤BD12345"  # new-energy, 6 characters
    with pytest.raises(Invalid):
        normalise_plate("ABC123")
