from __future__ import annotations

import base64
import datetime as dt

import pytest

from propdesk.estates.models import HouseStatus

# A Monday morning in Shanghai.
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC) - dt.timedelta(hours=8)

# The smallest valid PNG (1×1), drawn signatures in tests.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000b49444154789c6360000200000500017a5eab3f0000000049454e44ae426082"
)
SIGNATURE = "data:image/png;base64," + base64.b64encode(PNG).decode()


def hours(n: float) -> dt.timedelta:
    return dt.timedelta(hours=n)


@pytest.fixture
def undelivered_house(cast):
    h = cast.house_a2
    h.status = HouseStatus.UNSOLD
    h.save(update_fields=["status"])
    return h


def deposit(cast, *, kind="delivered", house=None, tag="K001", slot="A-01", now=T0, **kw):
    from propdesk.frontdesk.services import key_deposit

    house = house or cast.house_a1
    data = {
        "actor": cast.desk_a,
        "house_id": house.pk,
        "kind": kind,
        "depositor_name": "张伟",
        "identity_method": "record",
        "customer_id": cast.alice.pk if house == cast.house_a1 else None,
        "condition": "两把，完好",
        "tag_number": tag,
        "cabinet_slot": slot,
        "signature": SIGNATURE,
        "now": now,
    }
    if data["customer_id"] is None:
        data.update(identity_method="id_shown", identity_note="开发商工作证 0042")
    data.update(kw)
    return key_deposit(**data)


def lend(cast, key, *, now=T0, back=None, actor=None, **kw):
    from propdesk.frontdesk.services import key_lend

    data = {
        "actor": actor or cast.desk_a,
        "key_id": key.pk,
        "borrower_kind": "contractor",
        "borrower_name": "刘师傅",
        "borrower_phone": "13900001111",
        "purpose": "验房",
        "promised_back_at": back or now + hours(2),
        "now": now,
    }
    data.update(kw)
    return key_lend(**data)
