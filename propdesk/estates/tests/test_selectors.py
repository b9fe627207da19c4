"""Scoping of estates reads: staff of A never see B; owners see nothing staff-side."""

from __future__ import annotations

import pytest

from propdesk.core.errors import NotFound
from propdesk.estates.selectors import (
    building_get_for_user,
    buildings_visible_to,
    community_get_for_user,
    house_get_for_user,
    houses_visible_to,
    meters_of_house,
)
from propdesk.estates.services import meter_add, meter_reading_record


def test_staff_of_another_community_gets_not_found_for_alphas_buildings_and_houses(cast):
    for getter, obj in (
        (community_get_for_user, cast.alpha),
        (building_get_for_user, cast.building_a),
        (house_get_for_user, cast.house_a1),
    ):
        with pytest.raises(NotFound):
            getter(cast.desk_b, obj.id)
        assert getter(cast.desk_a, obj.id) == obj


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("desk_a", {"1-1-101", "1-1-102"}),
        ("tech_a", {"1-1-101", "1-1-102"}),
        ("desk_b", {"1-1-101@B"}),
        ("admin", {"1-1-101", "1-1-102", "1-1-101@B"}),
        ("owner_alice", set()),
    ],
)
def test_house_list_scoping_matrix(cast, who, expected):
    houses = houses_visible_to(getattr(cast, who))
    seen = {h.label + ("@B" if h.community_id == cast.beta.id else "") for h in houses}
    assert seen == expected


def test_anonymous_and_inactive_staff_see_nothing(cast):
    from django.contrib.auth.models import AnonymousUser

    assert not houses_visible_to(AnonymousUser()).exists()
    cast.desk_a.is_active = False
    cast.desk_a.save()
    assert not buildings_visible_to(cast.desk_a).exists()


def test_bad_ids_are_not_found_rather_than_errors(cast):
    for bad in ("abc", None, "", 10**12):
        with pytest.raises(NotFound):
            house_get_for_user(cast.admin, bad)


def test_house_search_by_label_prefix_or_room(cast):
    labels = [h.label for h in houses_visible_to(cast.desk_a, query="102")]
    assert labels == ["1-1-102"]
    assert houses_visible_to(cast.desk_a, query="1-1").count() == 2


def test_buildings_list_counts_houses_in_one_query(cast, django_assert_num_queries):
    with django_assert_num_queries(2):  # scope ids + the annotated list
        rows = list(buildings_visible_to(cast.admin))
    assert {(b.community.code, b.house_count) for b in rows} == {("A", 2), ("B", 1)}


def test_meters_of_house_show_latest_readings_first(cast):
    import datetime as dt

    meter = meter_add(actor=cast.director_a, house_id=cast.house_a1.id, kind="gas", serial="G1")
    for month, value in ((8, 1), (9, 3), (10, 7)):
        meter_reading_record(
            actor=cast.tech_a,
            meter_id=meter.id,
            read_on=dt.date(2026, month, 1),
            value=value,
            now=dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
        )
    [shown] = meters_of_house(cast.house_a1)
    assert [r.value for r in shown.recent] == [7, 3, 1]
