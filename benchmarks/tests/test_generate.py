"""The scale-data generator: deterministic rows, valid derived keys, marker reuse."""

from __future__ import annotations

import pytest
from django.db import connection

from benchmarks import generate as gen
from propdesk.core.crypto import blind_index, decrypt
from propdesk.core.identity import mask_phone, normalise_phone, normalise_plate, validate_prc_id
from propdesk.customers.models import Customer, Occupancy, Vehicle
from propdesk.customers.services import name_keys
from propdesk.estates.models import Building, Community, House

TINY = gen.Params(communities=3, houses=250, customers=620, seed="test-seed")
TABLES = (
    "estates_community",
    "estates_building",
    "estates_house",
    "customers_customer",
    "customers_occupancy",
    "customers_vehicle",
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _no_marker():
    """The marker table is not a Django model, so the test database keeps it: clear it."""
    with connection.cursor() as cursor:
        gen._ensure_marker_table(cursor)
        cursor.execute(f"DELETE FROM {gen.MARKER_TABLE}")


def _dump() -> dict[str, list[tuple]]:
    rows = {}
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"SELECT * FROM {table} ORDER BY id")
            rows[table] = cursor.fetchall()
    return rows


def _quiet(_msg: str) -> None:
    pass


def test_same_parameters_load_the_same_rows():
    gen.generate(TINY, say=_quiet)
    first = _dump()
    gen.generate(TINY, say=_quiet)
    second = _dump()
    assert first == second
    assert len(first["customers_customer"]) == 620
    assert len(first["estates_house"]) == 250


def test_another_seed_loads_other_rows():
    gen.generate(TINY, say=_quiet)
    first = _dump()["customers_customer"]
    gen.generate(gen.Params(3, 250, 620, seed="another-seed"), say=_quiet)
    assert _dump()["customers_customer"] != first


def test_the_database_holds_what_the_pure_generator_yields():
    gen.generate(TINY, say=_quiet)
    specs = {spec.model: spec for spec in gen.table_specs(TINY)}
    expected = list(specs["customers.Customer"].rows())
    names = [row[3] for row in expected]
    assert list(Customer.objects.order_by("id").values_list("name", flat=True)) == names


def test_sizes_and_layout_follow_the_parameters():
    gen.generate(TINY, say=_quiet)
    assert Community.objects.count() == 3
    assert House.objects.count() == 250
    assert [houses for _c, houses in House.objects.values_list("community_id", "id")][:1]
    per_community = sorted(
        House.objects.filter(community_id=c).count()
        for c in Community.objects.values_list("id", flat=True)
    )
    assert per_community == [83, 83, 84]
    assert Building.objects.count() == 3  # one building of up to 100 houses per 100 houses
    # One current owner per house, every customer occupies a house of their community.
    assert Occupancy.objects.filter(role="owner").count() == 250
    assert not Occupancy.objects.exclude(community_id=models_f("customer__community_id")).exists()


def models_f(name: str):
    from django.db.models import F

    return F(name)


def test_derived_search_keys_match_the_customer_services():
    gen.generate(TINY, say=_quiet)
    for customer in Customer.objects.order_by("id")[:60]:
        phone = decrypt(customer.phone_cipher)
        id_number = decrypt(customer.id_number_cipher)
        assert normalise_phone(phone) == phone
        assert validate_prc_id(id_number) == id_number
        assert customer.phone_index == blind_index(phone, purpose="customer.phone")
        assert customer.id_number_index == blind_index(id_number, purpose="customer.id_number")
        assert customer.phone_masked == mask_phone(phone)
        assert customer.phone_last4 == phone[-4:]
        assert (customer.name_pinyin, customer.name_initials) == name_keys(customer.name)
    for plate in Vehicle.objects.values_list("plate", flat=True):
        assert normalise_plate(plate) == plate


def test_a_second_run_with_the_same_parameters_reuses_the_dataset():
    assert gen.ensure_dataset(TINY, say=_quiet) is True
    before = _dump()
    assert gen.ensure_dataset(TINY, say=_quiet) is False
    assert _dump() == before
    marker = gen.marker_read()
    assert marker is not None
    assert marker["state"] == "complete"
    assert marker["params"]["customers"] == 620


def test_other_parameters_regenerate():
    gen.ensure_dataset(TINY, say=_quiet)
    bigger = gen.Params(communities=3, houses=250, customers=700, seed="test-seed")
    assert gen.ensure_dataset(bigger, say=_quiet) is True
    assert Customer.objects.count() == 700


def test_refuses_to_wipe_a_database_that_is_not_a_benchmark_database(cast):
    communities = Community.objects.count()
    with pytest.raises(gen.DatabaseNotEmpty):
        gen.generate(TINY, say=_quiet)
    assert Community.objects.count() == communities


def test_the_bench_user_serves_every_community():
    from propdesk.accounts.models import User
    from propdesk.accounts.selectors import community_ids_for

    gen.generate(TINY, say=_quiet)
    user = User.objects.get(username=gen.BENCH_USERNAME)
    assert sorted(community_ids_for(user)) == [1, 2, 3]
