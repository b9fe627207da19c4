"""`propdesk demo`: valid, believable, deterministic data; safe options; the app hook."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import sys
import types
from collections import Counter
from decimal import Decimal
from importlib.machinery import ModuleSpec

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from propdesk.accounts.models import Department, User, UserKind
from propdesk.accounts.roles import DepartmentKind, Role
from propdesk.core.crypto import decrypt
from propdesk.core.identity import normalise_phone, normalise_plate, validate_prc_id
from propdesk.customers.demo import CREDIT_CHARS, credit_code, licence_plate, resident_id
from propdesk.customers.models import (
    Customer,
    CustomerKind,
    IdType,
    Occupancy,
    OccupancyRole,
    OwnerAccount,
    Tag,
    Vehicle,
)
from propdesk.estates.demo import PASSWORD, STAFF, seeded
from propdesk.estates.models import Building, Community, House, HouseKind, HouseStatus, Meter

SCALE = 0.1


def demo(*args, **options) -> str:
    out = io.StringIO()
    call_command("demo", *args, stdout=out, scale=SCALE, **options)
    return out.getvalue()


@pytest.fixture
def loaded(db):
    demo()


def fingerprint() -> list[tuple[str, ...]]:
    """What must come out the same on every run: houses, people, their numbers."""
    houses = [
        (h.community.code, h.label, str(h.area), h.status, h.kind)
        for h in House.objects.select_related("community").order_by("community__code", "label")
    ]
    people = [
        (c.community.code, c.name, decrypt(c.id_number_cipher), decrypt(c.phone_cipher))
        for c in Customer.objects.select_related("community").order_by(
            "community__code", "created_at", "name", "id_number_index"
        )
    ]
    occupancies = sorted(
        (o.house.label, o.customer.name, o.role, str(o.start_date), str(o.end_date))
        for o in Occupancy.objects.select_related("house", "customer")
    )
    return houses + people + occupancies


def test_demo_is_deterministic_across_reset(transactional_db):
    # Committed for real: on PostgreSQL, --reset's TRUNCATE cannot run inside the
    # per-test transaction while foreign-key checks are pending.
    demo()
    first = fingerprint()
    out = demo(reset=True, yes=True)
    assert "Demo loaded" in out
    assert fingerprint() == first
    assert Community.objects.count() == 2


def test_demo_has_two_communities_buildings_and_a_mix_of_houses(loaded):
    main, second = sorted(Community.objects.all(), key=lambda c: c.name != "翠湖花园")
    assert (main.name, second.name) == ("翠湖花园", "锦绣苑")
    assert Building.objects.filter(community=main).count() >= 5
    houses = House.objects.filter(community=main)
    statuses = Counter(houses.filter(kind=HouseKind.RESIDENCE).values_list("status", flat=True))
    assert statuses.most_common(1)[0][0] == HouseStatus.OCCUPIED
    assert {HouseStatus.VACANT, HouseStatus.RENOVATING, HouseStatus.CUSTODY} <= set(statuses)
    assert set(houses.values_list("kind", flat=True)) == set(HouseKind.values)
    for house in houses.filter(kind=HouseKind.RESIDENCE)[:50]:
        building, unit, room = house.label.split("-")
        assert (building, unit, room) == (house.building.code, house.unit, house.room)
        assert room.startswith(str(house.floor))
        assert Decimal("40") < house.area < Decimal("200")


def test_every_id_phone_plate_and_credit_code_is_valid_and_ids_unique_r_cus_1(loaded):
    seen: set[tuple[int, str]] = set()
    for customer in Customer.objects.all():
        number = decrypt(customer.id_number_cipher)
        if customer.id_type == IdType.PRC_RESIDENT:
            assert validate_prc_id(number) == number
            assert customer.birth_date is not None
        else:
            assert customer.kind == CustomerKind.ORGANISATION
            assert customer.id_type == IdType.CREDIT_CODE
            assert is_valid_credit_code(number), number
        assert (customer.community_id, number) not in seen
        seen.add((customer.community_id, number))
        phone = decrypt(customer.phone_cipher)
        if phone:
            assert normalise_phone(phone) == phone
            assert customer.phone_masked.endswith(phone[-4:])
    for plate in Vehicle.objects.values_list("plate", flat=True):
        assert normalise_plate(plate) == plate


def is_valid_credit_code(code: str) -> bool:
    weights = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    total = sum(CREDIT_CHARS.index(ch) * w for ch, w in zip(code[:17], weights, strict=True))
    return len(code) == 18 and CREDIT_CHARS[(31 - total % 31) % 31] == code[17]


def test_generators_make_valid_numbers_beyond_the_sample():
    rng = seeded("test")

    for n in range(300):
        born = dt.date(1930 + n % 90, 1 + n % 12, 1 + n % 28)
        number = resident_id("330106", born, n, male=n % 2 == 0)
        assert validate_prc_id(number) == number
        assert int(number[16]) % 2 == (1 if n % 2 == 0 else 0)
        plate, _nev = licence_plate(rng)
        assert normalise_plate(plate) == plate
        assert is_valid_credit_code(credit_code(rng, "330106"))
    # The published example of GB 32100 checks out with our check function.
    assert is_valid_credit_code("91350100M000100Y43")


def test_households_follow_the_occupancy_rules(loaded):
    current_owners = Counter(
        Occupancy.objects.filter(role=OccupancyRole.OWNER, end_date__isnull=True).values_list(
            "house_id", flat=True
        )
    )
    assert max(current_owners.values()) == 1
    occupied = House.objects.filter(kind=HouseKind.RESIDENCE, status=HouseStatus.OCCUPIED)
    assert all(current_owners[h.id] == 1 for h in occupied)
    assert not Occupancy.objects.filter(house__status=HouseStatus.UNSOLD).exists()
    roles = set(Occupancy.objects.values_list("role", flat=True))
    assert {OccupancyRole.OWNER, OccupancyRole.CO_OWNER, OccupancyRole.FAMILY} <= roles
    assert OccupancyRole.TENANT in roles
    assert Occupancy.objects.filter(end_date__isnull=False).exists()  # some history


def test_tags_classes_and_staff_of_every_role_and_department(loaded):
    names = set(Tag.objects.values_list("name", flat=True))
    assert {"重点客户", "独居老人", "多次投诉", "欠费", "托管户", "残障人士", "新入住"} <= names
    assert Customer.objects.filter(tags__code="elderly_alone").exists()
    staff = User.objects.filter(kind=UserKind.STAFF)
    assert set(staff.values_list("role", flat=True)) == set(Role.values)
    assert set(staff.values_list("department__kind", flat=True)) == set(DepartmentKind.values)
    for community in Community.objects.all():
        kinds = set(Department.objects.filter(community=community).values_list("kind", flat=True))
        assert kinds == set(DepartmentKind.values)


def test_every_demo_login_works_with_the_documented_password(loaded):
    logins = [spec.login for spec in STAFF] + ["owner", "owner2", "owner3"]
    for login in logins:
        assert authenticate(username=login, password=PASSWORD) is not None, login
    assert OwnerAccount.objects.count() == 3
    desk2 = User.objects.get(username="desk2")
    assert list(desk2.scopes.values_list("community__name", flat=True)) == ["锦绣苑"]
    admin = User.objects.get(username="admin")
    assert admin.is_staff
    assert admin.all_communities


def test_meter_readings_rise_and_custody_stays_within_r_cst_3_limits(loaded):
    for meter in Meter.objects.prefetch_related("readings").select_related("house")[:300]:
        values = [r.value for r in sorted(meter.readings.all(), key=lambda r: r.read_on)]
        assert values == sorted(values)
        if meter.house.status == HouseStatus.CUSTODY:
            steps = [b - a for a, b in itertools.pairwise(values)]
            limit = {"water": 5, "electricity": 20}.get(meter.kind)
            assert limit is None or max(steps) <= limit


def test_demo_refuses_to_load_over_existing_data_and_if_empty_skips(loaded):
    before = Customer.objects.count()
    with pytest.raises(CommandError, match="already holds communities"):
        demo()
    assert "demo not loaded" in demo(if_empty=True)
    assert Customer.objects.count() == before


def test_reset_is_refused_outside_debug_without_yes(loaded, settings):
    settings.DEBUG = False
    before = Customer.objects.count()
    with pytest.raises(CommandError, match="--yes"):
        demo(reset=True)
    assert Customer.objects.count() == before


def test_print_logins_alone_only_prints(loaded):
    before = Customer.objects.count()
    out = demo(print_logins=True)
    for login in ("desk", "steward", "supervisor", "maint_head", "tech", "cashier", "director"):
        assert f"\n  {login} " in out
    for login in ("admin", "desk2", "owner2", "owner3"):
        assert f"\n  {login} " in out
    assert f"password of every demo login: {PASSWORD}".lower() in out.lower()
    assert "http://127.0.0.1:8000/" in out
    assert Customer.objects.count() == before


def test_print_logins_on_a_database_without_demo_says_so(db):
    assert "no demo data" in demo(print_logins=True)
    assert not Community.objects.exists()


def test_other_apps_add_their_demo_data_through_build_ctx(db, monkeypatch):
    calls = []

    def build(ctx):
        calls.append(ctx)
        assert House.objects.filter(community=ctx.main).exists()
        assert Customer.objects.filter(community=ctx.main).exists()

    fake = types.ModuleType("propdesk.web.demo")
    fake.__spec__ = ModuleSpec("propdesk.web.demo", None)
    fake.build = build
    monkeypatch.setitem(sys.modules, "propdesk.web.demo", fake)
    demo()
    [ctx] = calls
    assert [c.name for c in ctx.communities] == ["翠湖花园", "锦绣苑"]
    assert {"desk", "admin", "desk2"} <= set(ctx.staff)
    assert set(ctx.owners) == {"owner", "owner2", "owner3"}
    # The hook's generator is its own, seeded from its label.
    assert ctx.rng.random() == seeded("web").random()


def test_a_failing_app_hook_leaves_no_demo_data(db, monkeypatch):
    def build(ctx):
        raise RuntimeError("boom")

    fake = types.ModuleType("propdesk.web.demo")
    fake.__spec__ = ModuleSpec("propdesk.web.demo", None)
    fake.build = build
    monkeypatch.setitem(sys.modules, "propdesk.web.demo", fake)
    with pytest.raises(RuntimeError, match="boom"):
        demo()
    assert not Community.objects.exists()
    assert not User.objects.exists()
