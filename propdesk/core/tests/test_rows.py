"""`core.rows.insert_family`: a new row and the rows that point at it, written together."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models.signals import post_save
from django.test.utils import CaptureQueriesContext

from propdesk.core.rows import PARENT_ID_TEXT, insert_family
from propdesk.customers.models import TimelineEntry
from propdesk.estates.models import Building, House
from propdesk.testing.counts import row_counts


def _family(cast, *, room: str = "101"):
    building = Building(community=cast.alpha, code="9", name="9栋", floors=18, units=1)
    house = House(
        community=cast.alpha,
        building=building,
        unit="1",
        room=room,
        label=f"9-1-{room}",
        floor=1,
        area=Decimal("88.50"),
        handover_date=dt.date(2024, 6, 30),
    )
    entry = TimelineEntry(
        community=cast.alpha,
        customer=cast.alice,
        kind="estates.building",
        title="新楼栋",
        ref_type="estates.building",
        ref_id=PARENT_ID_TEXT,
    )
    return building, house, entry


def test_the_parent_and_its_children_are_written_with_their_keys_and_values(cast):
    building, house, entry = _family(cast)
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        insert_family(building, [house, entry])
    # PostgreSQL: one statement; elsewhere one INSERT per model.
    assert len(queries) == (1 if connection.vendor == "postgresql" else 3)
    assert building.pk is not None
    assert house.pk is not None
    assert entry.pk is not None
    assert house.building_id == building.pk
    assert entry.ref_id == str(building.pk)
    assert not building._state.adding
    assert not house._state.adding
    stored = Building.objects.get(pk=building.pk)
    assert stored.created_at == building.created_at is not None  # auto_now_add stamped
    stored_house = House.objects.get(pk=house.pk)
    assert (stored_house.building_id, stored_house.area, stored_house.handover_date) == (
        building.pk,
        Decimal("88.50"),
        dt.date(2024, 6, 30),
    )
    assert TimelineEntry.objects.get(pk=entry.pk).ref_id == str(building.pk)


def test_a_failing_child_leaves_no_row_written(cast):
    first, *children = _family(cast)
    insert_family(first, children)
    before = row_counts()
    building, house, entry = _family(cast)
    building.code = "10"
    house.label = "9-1-101"  # taken in this community: the unique constraint refuses it
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_family(building, [house, entry])
    assert row_counts() == before


def test_only_a_new_parent_and_children_that_point_at_it_are_taken(cast):
    building, house, _entry = _family(cast)
    stray = TimelineEntry(community=cast.alpha, customer=cast.alice, kind="x", title="x")
    with pytest.raises(ValueError, match="does not point at the parent"):
        insert_family(building, [house, stray])
    with pytest.raises(ValueError, match="must be empty"):
        insert_family(cast.house_a1.building, [house])
    assert not Building.objects.filter(code="9").exists()


def test_a_model_with_save_receivers_is_refused_rather_than_skipped(cast):
    building, house, entry = _family(cast)

    def receiver(**kwargs):
        pass

    post_save.connect(receiver, sender=TimelineEntry, weak=False)
    try:
        with pytest.raises(RuntimeError, match="TimelineEntry has save signal receivers"):
            insert_family(building, [house, entry])
    finally:
        post_save.disconnect(receiver, sender=TimelineEntry)
    assert building.pk is None
