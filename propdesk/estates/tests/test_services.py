"""Estates writes: house labels, refusals that write nothing, meter readings, audit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from propdesk.accounts.models import User, UserKind
from propdesk.core.audit import audit_trail
from propdesk.core.errors import Forbidden, Invalid, NotFound
from propdesk.core.models import AuditAction
from propdesk.estates.models import HouseStatus, MeterKind
from propdesk.estates.services import (
    building_create,
    community_create,
    house_create,
    house_label,
    house_update,
    meter_add,
    meter_reading_record,
)
from propdesk.testing.cast import other_company
from propdesk.testing.counts import row_counts

NOW = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    ("building", "unit", "room", "label"),
    [("3", "2", "1801", "3-2-1801"), ("3", "", "1801", "3-1801"), ("P", "", "B101", "P-B101")],
)
def test_house_label_is_building_unit_room(building, unit, room, label):
    assert house_label(building_code=building, unit=unit, room=room) == label


def test_house_create_derives_label_and_audits_the_creation(cast):
    house = house_create(
        actor=cast.director_a,
        building_id=cast.building_a.id,
        unit="2",
        room="1801",
        floor=18,
        area="128.36",
        status=HouseStatus.OCCUPIED,
    )
    assert house.label == "1-2-1801"
    assert house.community_id == cast.alpha.id
    assert house.area == Decimal("128.36")
    [event] = audit_trail(house)
    assert event.action == AuditAction.CREATE
    assert event.actor == cast.director_a
    assert event.community_id == cast.alpha.id
    assert event.changes["label"] == [None, "1-2-1801"]
    assert event.changes["area"] == [None, "128.36"]


def test_duplicate_house_label_in_a_building_is_refused_naming_room_and_nothing_written(cast):
    before = row_counts()
    with pytest.raises(Invalid) as exc:
        house_create(
            actor=cast.director_a, building_id=cast.building_a.id, unit="1", room="101", floor=1,
            area="80",
        )  # fmt: skip
    assert list(exc.value.errors) == ["room"]
    assert "1-1-101 already exists" in str(exc.value.errors["room"][0])
    assert row_counts() == before


def test_all_field_errors_are_reported_at_once_with_the_duplicate(cast):
    with pytest.raises(Invalid) as exc:
        house_create(
            actor=cast.director_a, building_id=cast.building_a.id, unit="1", room="101",
            floor=99, area="-3",
        )  # fmt: skip
    assert set(exc.value.errors) == {"room", "floor", "area"}


@pytest.mark.parametrize("floor", [21, 99, -1, 0, "2.5", "ground"])
def test_floor_outside_the_building_is_refused(cast, floor):
    # building_a has 20 floors and no basement; there is no floor 0.
    before = row_counts()
    with pytest.raises(Invalid) as exc:
        house_create(
            actor=cast.director_a, building_id=cast.building_a.id, unit="1", room="2101",
            floor=floor, area="90",
        )  # fmt: skip
    assert list(exc.value.errors) == ["floor"]
    assert row_counts() == before


def test_basement_floor_is_accepted_when_the_building_has_one(cast):
    garage = building_create(
        actor=cast.director_a, community_id=cast.alpha.id, code="P", floors=1, basement_floors=2
    )
    house = house_create(
        actor=cast.director_a, building_id=garage.id, room="B201", floor=-2, area="12.5",
        kind="parking",
    )  # fmt: skip
    assert house.label == "P-B201"


@pytest.mark.parametrize(
    ("area", "reason"),
    [
        ("0", "greater than 0"),
        ("-12.5", "greater than 0"),
        ("abc", "Enter a number"),
        ("89.505", "decimal places"),
        ("NaN", "Enter a number"),
        ("", "required"),
        ("100001", "at most"),
    ],
)
def test_bad_area_is_refused_naming_area(cast, area, reason):
    before = row_counts()
    with pytest.raises(Invalid) as exc:
        house_create(
            actor=cast.director_a, building_id=cast.building_a.id, unit="1", room="301", floor=3,
            area=area,
        )  # fmt: skip
    assert list(exc.value.errors) == ["area"]
    assert reason in str(exc.value.errors["area"][0])
    assert row_counts() == before


def test_unit_beyond_the_buildings_units_and_dash_in_room_are_refused(cast):
    with pytest.raises(Invalid) as exc:
        house_create(
            actor=cast.director_a, building_id=cast.building_a.id, unit="3", room="3-01",
            floor=3, area="80",
        )  # fmt: skip
    assert set(exc.value.errors) == {"unit", "room"}


def test_house_in_another_or_unknown_community_is_not_found_and_nothing_written(cast):
    before = row_counts()
    for building_id in (cast.building_b.id, 999999, "x"):
        with pytest.raises(NotFound):
            house_create(
                actor=cast.director_a, building_id=building_id, unit="1", room="901", floor=9,
                area="80",
            )  # fmt: skip
    assert row_counts() == before


def test_staff_without_estates_manage_is_forbidden(cast):
    with pytest.raises(Forbidden):
        house_create(
            actor=cast.desk_a, building_id=cast.building_a.id, unit="1", room="901", floor=9,
            area="80",
        )  # fmt: skip
    with pytest.raises(Forbidden):
        house_update(actor=cast.owner_alice, house_id=cast.house_a1.id, status="vacant")


def test_house_update_audits_before_and_after(cast):
    house_update(actor=cast.director_a, house_id=cast.house_a1.id, status="renovating", area="90")
    [event] = audit_trail(cast.house_a1)
    assert event.action == AuditAction.UPDATE
    assert event.changes == {"status": ["occupied", "renovating"], "area": ["89.50", "90"]}


def test_house_update_refuses_bad_values_and_label_changes_without_writing(cast):
    before = row_counts()
    with pytest.raises(Invalid) as exc:
        house_update(actor=cast.director_a, house_id=cast.house_a1.id, status="demolished")
    assert list(exc.value.errors) == ["status"]
    with pytest.raises(Invalid) as exc:
        house_update(actor=cast.director_a, house_id=cast.house_a1.id, label="9-9-999")
    assert list(exc.value.errors) == ["label"]
    assert row_counts() == before
    cast.house_a1.refresh_from_db()
    assert cast.house_a1.status == HouseStatus.OCCUPIED


def test_building_code_unique_and_without_dash(cast):
    with pytest.raises(Invalid) as exc:
        building_create(actor=cast.director_a, community_id=cast.alpha.id, code="1")
    assert list(exc.value.errors) == ["code"]
    with pytest.raises(Invalid) as exc:
        building_create(actor=cast.director_a, community_id=cast.alpha.id, code="1-A")
    assert list(exc.value.errors) == ["code"]
    with pytest.raises(NotFound):
        building_create(actor=cast.director_a, community_id=cast.beta.id, code="7")


def test_community_create_by_admin_is_audited_and_visible_at_once(cast):
    community = community_create(
        actor=cast.admin, company=cast.company, code="C", name="丙小区", time_zone="Asia/Urumqi"
    )
    assert [e.action for e in audit_trail(community)] == [AuditAction.CREATE]
    # The administrator's cached scope was refreshed: the new community is usable at once.
    building = building_create(actor=cast.admin, community_id=community.id, code="1")
    assert building.community == community
    with pytest.raises(Invalid) as exc:
        community_create(
            actor=cast.admin, company=cast.company, code="D", name="丁", time_zone="Mars"
        )
    assert list(exc.value.errors) == ["time_zone"]
    with pytest.raises(Forbidden):
        community_create(actor=cast.director_a, company=cast.company, code="E", name="戊")


# --- meters ------------------------------------------------------------------


@pytest.fixture
def meter(cast):
    return meter_add(
        actor=cast.director_a, house_id=cast.house_a1.id, kind=MeterKind.WATER, serial="W-0001"
    )


def read(cast, meter, day, value, actor=None):
    return meter_reading_record(
        actor=actor or cast.tech_a, meter_id=meter.id, read_on=day, value=value, now=NOW
    )


def test_meter_serial_is_unique_per_kind_in_a_community(cast, meter):
    with pytest.raises(Invalid) as exc:
        meter_add(actor=cast.director_a, house_id=cast.house_a2.id, kind="water", serial="W-0001")
    assert list(exc.value.errors) == ["serial"]
    # The same number on an electricity meter is another meter.
    meter_add(actor=cast.director_a, house_id=cast.house_a2.id, kind="electricity", serial="W-0001")


def test_readings_go_up_and_a_lower_one_is_refused_naming_value(cast, meter):
    read(cast, meter, "2026-09-01", "100.00")
    read(cast, meter, "2026-10-01", "112.50")
    before = row_counts()
    with pytest.raises(Invalid) as exc:
        read(cast, meter, "2026-11-01", "112.49")
    assert list(exc.value.errors) == ["value"]
    assert "previous reading 112.50 on 2026-10-01" in str(exc.value.errors["value"][0])
    assert row_counts() == before
    # Equal to the previous one is fine (no consumption).
    read(cast, meter, "2026-11-01", "112.50")


def test_backdated_reading_must_fit_between_its_neighbours(cast, meter):
    read(cast, meter, "2026-09-01", "100")
    read(cast, meter, "2026-11-01", "130")
    with pytest.raises(Invalid) as exc:
        read(cast, meter, "2026-10-01", "131")
    assert "later reading 130" in str(exc.value.errors["value"][0])
    assert read(cast, meter, "2026-10-01", "120").value == Decimal("120")


def test_reading_in_the_future_is_refused_by_the_communitys_date(cast, meter):
    # NOW is 20 Nov 10:00 in Shanghai: the 20th is today, the 21st is the future.
    read(cast, meter, "2026-11-20", "10")
    with pytest.raises(Invalid) as exc:
        read(cast, meter, "2026-11-21", "11")
    assert list(exc.value.errors) == ["read_on"]
    assert "future" in str(exc.value.errors["read_on"][0])


def test_one_reading_per_meter_and_day(cast, meter):
    read(cast, meter, "2026-11-01", "10")
    before = row_counts()
    with pytest.raises(Invalid) as exc:
        read(cast, meter, "2026-11-01", "11")
    assert list(exc.value.errors) == ["read_on"]
    assert row_counts() == before


@pytest.mark.parametrize(("value", "field"), [("-1", "value"), ("x", "value"), ("", "value")])
def test_reading_value_must_be_a_non_negative_number(cast, meter, value, field):
    with pytest.raises(Invalid) as exc:
        read(cast, meter, "2026-11-01", value)
    assert list(exc.value.errors) == [field]


def test_reading_of_another_communitys_meter_is_not_found(cast, meter):
    with pytest.raises(NotFound):
        read(cast, meter, "2026-11-01", "10", actor=cast.desk_b)
    with pytest.raises(Forbidden):
        read(cast, meter, "2026-11-01", "10", actor=cast.owner_alice)
    assert not meter.readings.exists()


def test_reading_of_another_companys_meter_is_not_found_by_the_company_admin(cast):
    """The company's all-communities staff are scoped by a subquery on their company."""
    _gamma, home = other_company()
    root = User.objects.create_superuser(username="root", password="x", kind=UserKind.STAFF)
    theirs = meter_add(actor=root, house_id=home.id, kind=MeterKind.WATER, serial="W-0001")
    with pytest.raises(NotFound):
        read(cast, theirs, "2026-11-01", "10", actor=cast.admin)
    assert not theirs.readings.exists()
    assert read(cast, theirs, "2026-11-01", "10", actor=root).value == Decimal("10")


def test_lost_race_on_house_label_is_a_room_error(cast, monkeypatch):
    from propdesk.estates import services

    real_filter = services.House.objects.filter

    def no_duplicates_seen(*args, **kwargs):
        qs = real_filter(*args, **kwargs)
        return qs.none() if "label" in kwargs else qs

    monkeypatch.setattr(services.House.objects, "filter", no_duplicates_seen)
    before = row_counts()
    with pytest.raises(Invalid) as exc:
        house_create(
            actor=cast.director_a, building_id=cast.building_a.id, unit="1", room="101", floor=1,
            area="80",
        )  # fmt: skip
    assert list(exc.value.errors) == ["room"]
    assert row_counts() == before


def test_lost_race_on_meter_reading_day_is_a_read_on_error(cast, meter, monkeypatch):
    read(cast, meter, "2026-11-01", "10")
    from propdesk.estates import services

    # The checks see the meter as it was before another transaction's reading.
    monkeypatch.setattr(
        services.Meter, "readings", property(lambda self: services.MeterReading.objects.none())
    )
    with pytest.raises(Invalid) as exc:
        read(cast, meter, "2026-11-01", "11")
    assert list(exc.value.errors) == ["read_on"]


def _catalogue_compiled(app: str) -> bool:
    from pathlib import Path

    import propdesk

    mo = Path(propdesk.__file__).parent / app / "locale/zh_Hans/LC_MESSAGES/django.mo"
    return mo.exists()


def test_refusals_speak_the_users_language(cast):
    if not _catalogue_compiled("estates"):
        pytest.skip("translations not compiled (scripts/bootstrap runs compilemessages)")
    with translation.override("zh-hans"), pytest.raises(Invalid) as exc:
        house_create(
            actor=cast.director_a, building_id=cast.building_a.id, unit="1", room="101", floor=0,
            area="1.234",
        )  # fmt: skip
    assert str(exc.value.errors["room"][0]) == "本小区已有房号 1-1-101。"
    assert str(exc.value.errors["area"][0]) == "最多保留 2 位小数。"
    assert str(exc.value.errors["floor"][0]) == "不能小于 1。"
