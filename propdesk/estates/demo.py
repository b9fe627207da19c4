"""Demo data, part 1: the company, its communities, departments, staff logins,
buildings, houses, meters and readings.

`propdesk demo` (propdesk/estates/management/commands/demo.py) calls
`build_foundation`, then `propdesk.customers.demo.build_customers`, then every
other app's `propdesk.<label>.demo.build(ctx)` with the `DemoContext` below.

Everything is drawn from seeded `random.Random` generators, so the same names,
houses and numbers come out on every machine; dates are relative to the day the
demo is loaded (readings of the last months, recent move-ins).

Rows are written with `bulk_create` and without audit events: the demo is a
bulk load, not a history of staff actions, and auditing 30,000 rows one by one
would make it slow for nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.hashers import make_password

from propdesk.accounts.models import Department, StaffScope, User, UserKind
from propdesk.accounts.roles import DepartmentKind, Role

from .models import (
    Building,
    Community,
    Company,
    House,
    HouseKind,
    HouseStatus,
    Meter,
    MeterKind,
    MeterReading,
)
from .services import house_label

SEED = "propdesk-demo-v1"
PASSWORD = "propdesk"  # noqa: S105 - documented demo-only password
COMPANY_CODE = "propdesk-demo"
MAIN_CODE = "CHHY"
SECOND_CODE = "JXY"


def seeded(label: str) -> random.Random:
    """The generator of one app's demo data: adding an app never shifts another's data."""
    return random.Random(f"{SEED}:{label}")


@dataclass
class DemoContext:
    """What every `build(ctx)` receives.

    company      the demo company (code "propdesk-demo")
    communities  [翠湖花园 (code CHHY, ≈2,000 houses), 锦绣苑 (code JXY, small)]
    staff        staff logins by username: desk, steward, supervisor, maint_head,
                 security_head, env_head, tech, tech2, cashier, director, admin,
                 desk2, steward2
    owners       owner logins by username: owner, owner2, owner3
    rng          this app's own seeded random.Random
    now          the aware UTC time the demo is loaded
    scale        1.0 for the full demo; tests use a fraction
    say          progress output (one short line per step)
    """

    company: Company
    communities: list[Community]
    staff: dict[str, User]
    rng: random.Random
    now: dt.datetime
    owners: dict[str, User] = field(default_factory=dict)
    scale: float = 1.0
    say: Callable[[str], None] = print

    @property
    def main(self) -> Community:
        return self.communities[0]

    @property
    def today(self) -> dt.date:
        return self.now.astimezone(self.main.tzinfo).date()


# --- staff -------------------------------------------------------------------


@dataclass(frozen=True)
class StaffSpec:
    login: str
    name: str
    role: str
    department: str
    communities: tuple[str, ...]  # community codes; empty = every community


STAFF: tuple[StaffSpec, ...] = (
    StaffSpec("desk", "李晓雯", Role.FRONT_DESK, DepartmentKind.CUSTOMER_SERVICE, (MAIN_CODE,)),
    StaffSpec("steward", "王海燕", Role.STEWARD, DepartmentKind.CUSTOMER_SERVICE, (MAIN_CODE,)),
    StaffSpec(
        "supervisor",
        "陈静",
        Role.CS_SUPERVISOR,
        DepartmentKind.CUSTOMER_SERVICE,
        (MAIN_CODE, SECOND_CODE),
    ),
    StaffSpec(
        "maint_head", "刘建军", Role.DEPARTMENT_HEAD, DepartmentKind.MAINTENANCE, (MAIN_CODE,)
    ),
    StaffSpec(
        "security_head", "赵志刚", Role.DEPARTMENT_HEAD, DepartmentKind.SECURITY, (MAIN_CODE,)
    ),
    StaffSpec("env_head", "周秀梅", Role.DEPARTMENT_HEAD, DepartmentKind.ENVIRONMENT, (MAIN_CODE,)),
    StaffSpec(
        "tech", "孙国庆", Role.TECHNICIAN, DepartmentKind.MAINTENANCE, (MAIN_CODE, SECOND_CODE)
    ),
    StaffSpec("tech2", "马俊峰", Role.TECHNICIAN, DepartmentKind.MAINTENANCE, (MAIN_CODE,)),
    StaffSpec("cashier", "吴丽娟", Role.CASHIER, DepartmentKind.FINANCE, (MAIN_CODE,)),
    StaffSpec("director", "黄志明", Role.DIRECTOR, DepartmentKind.MANAGEMENT_OFFICE, (MAIN_CODE,)),
    StaffSpec("admin", "郑宇航", Role.COMPANY_ADMIN, DepartmentKind.MANAGEMENT_OFFICE, ()),
    StaffSpec("desk2", "林小燕", Role.FRONT_DESK, DepartmentKind.CUSTOMER_SERVICE, (SECOND_CODE,)),
    StaffSpec("steward2", "杨帆", Role.STEWARD, DepartmentKind.CUSTOMER_SERVICE, (SECOND_CODE,)),
)

DEPARTMENT_NAMES = {
    DepartmentKind.CUSTOMER_SERVICE: "客服中心",
    DepartmentKind.MAINTENANCE: "工程维修部",
    DepartmentKind.SECURITY: "安护部",
    DepartmentKind.ENVIRONMENT: "环境部",
    DepartmentKind.FINANCE: "财务部",
    DepartmentKind.MANAGEMENT_OFFICE: "管理处",
}


# --- buildings -----------------------------------------------------------------


@dataclass(frozen=True)
class BuildingGroup:
    codes: tuple[str, ...]
    floors: int
    units: int
    per_floor: int  # houses per unit and floor
    areas: tuple[str, ...]  # area of position 1, 2, … on every floor (same stack, same plan)
    handover: dt.date
    label: str = "栋"
    kind: str = HouseKind.RESIDENCE
    basement_floors: int = 0


MAIN_BUILDINGS: tuple[BuildingGroup, ...] = (
    # Phase 1: eight 32-storey towers.
    BuildingGroup(
        tuple(str(n) for n in range(1, 9)), 32, 2, 2, ("89.16", "128.47"), dt.date(2017, 6, 18)
    ),
    # Phase 2: six 18-storey slabs.
    BuildingGroup(
        tuple(str(n) for n in range(9, 15)), 18, 2, 2, ("98.65", "143.22"), dt.date(2018, 9, 28)
    ),
    # Phase 3: four 11-storey garden blocks (洋房).
    BuildingGroup(
        tuple(str(n) for n in range(15, 19)),
        11,
        3,
        2,
        ("118.36", "76.52"),
        dt.date(2019, 12, 20),
    ),
)
SECOND_BUILDINGS: tuple[BuildingGroup, ...] = (
    BuildingGroup(("1", "2", "3", "4"), 7, 2, 2, ("72.40", "86.15"), dt.date(2009, 5, 1)),
)

RESIDENCE_STATUS_WEIGHTS = (
    (HouseStatus.OCCUPIED, 79),
    (HouseStatus.VACANT, 8),
    (HouseStatus.RENOVATING, 4),
    (HouseStatus.DELIVERED, 4),
    (HouseStatus.CUSTODY, 3),
    (HouseStatus.UNSOLD, 2),
)
SHOP_STATUS_WEIGHTS = (
    (HouseStatus.OCCUPIED, 72),
    (HouseStatus.VACANT, 16),
    (HouseStatus.RENOVATING, 6),
    (HouseStatus.UNSOLD, 6),
)


def _pick(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    values = [value for value, _weight in weighted]
    weights = [weight for _value, weight in weighted]
    return rng.choices(values, weights=weights)[0]


def _scaled(items: tuple[str, ...], scale: float) -> tuple[str, ...]:
    return items[: max(1, round(len(items) * scale))]


# --- building it ---------------------------------------------------------------


def build_foundation(
    *, now: dt.datetime, scale: float = 1.0, say: Callable[[str], None] = print
) -> DemoContext:
    """Create the demo company with its communities, staff, houses and meters."""
    rng = seeded("estates")
    company = Company.objects.create(code=COMPANY_CODE, name="示范物业服务有限公司")
    main = Community.objects.create(
        company=company,
        code=MAIN_CODE,
        name="翠湖花园",
        address="浙江省杭州市西湖区文三路 518 号",
        phone="0571-8765 4321",
    )
    second = Community.objects.create(
        company=company,
        code=SECOND_CODE,
        name="锦绣苑",
        address="浙江省杭州市拱墅区湖墅南路 233 号",
        phone="0571-8512 3400",
    )
    communities = [main, second]
    staff = _build_staff(company, communities, now)
    say(f"company, 2 communities, {len(staff)} staff logins")
    ctx = DemoContext(
        company=company,
        communities=communities,
        staff=staff,
        rng=rng,
        now=now,
        scale=scale,
        say=say,
    )
    houses = _build_houses(ctx, main, MAIN_BUILDINGS, with_shops_and_garage=True)
    houses += _build_houses(ctx, second, SECOND_BUILDINGS, with_shops_and_garage=False)
    say(
        f"{Building.objects.filter(community__company=company).count()} buildings, {len(houses)} houses"
    )
    readings = _build_meters(ctx, houses)
    say(f"{Meter.objects.filter(community__company=company).count()} meters, {readings} readings")
    return ctx


def _build_staff(
    company: Company, communities: list[Community], now: dt.datetime
) -> dict[str, User]:
    by_code = {c.code: c for c in communities}
    departments: dict[tuple[str | None, str], Department] = {}
    rows = [
        Department(company=company, community=c, kind=kind, name=f"{c.name}{name}")
        for c in communities
        for kind, name in DEPARTMENT_NAMES.items()
    ]
    rows.append(
        Department(
            company=company, community=None, kind=DepartmentKind.MANAGEMENT_OFFICE, name="公司总部"
        )
    )
    for dept in Department.objects.bulk_create(rows):
        departments[(dept.community.code if dept.community else None, dept.kind)] = dept
    # One hash for every demo login: hashing is deliberately slow, the password is shared.
    password = make_password(PASSWORD)
    users = []
    for n, spec in enumerate(STAFF):
        home = spec.communities[0] if spec.communities else None
        is_admin = spec.role == Role.COMPANY_ADMIN
        users.append(
            User(
                username=spec.login,
                password=password,
                kind=UserKind.STAFF,
                display_name=spec.name,
                first_name=spec.name[1:],
                last_name=spec.name[:1],
                role=spec.role,
                department=departments[(home, spec.department)],
                company=company,
                all_communities=not spec.communities,
                # The administrator also manages master data in Django's admin.
                is_staff=is_admin,
                is_superuser=is_admin,
                phone=f"0571-8765 43{n:02d}",
                date_joined=now,
            )
        )
    created = User.objects.bulk_create(users)
    StaffScope.objects.bulk_create(
        StaffScope(user=user, community=by_code[code], granted_at=now)
        for user, spec in zip(created, STAFF, strict=True)
        for code in spec.communities
    )
    return {user.username: user for user in created}


def _build_houses(
    ctx: DemoContext,
    community: Community,
    groups: tuple[BuildingGroup, ...],
    *,
    with_shops_and_garage: bool,
) -> list[House]:
    rng = ctx.rng
    buildings: list[tuple[Building, BuildingGroup]] = []
    for group in groups:
        for code in _scaled(group.codes, ctx.scale):
            buildings.append(
                (
                    Building(
                        community=community,
                        code=code,
                        name=f"{code}栋",
                        floors=group.floors,
                        basement_floors=1,
                        units=group.units,
                    ),
                    group,
                )
            )
    shop_rooms = garage_spaces = 0
    if with_shops_and_garage:
        shop_rooms = max(4, round(24 * ctx.scale))
        garage_spaces = max(10, round(200 * ctx.scale))
        shops = BuildingGroup(("19",), 2, 1, shop_rooms // 2, (), dt.date(2017, 6, 18))
        garage = BuildingGroup(("P",), 1, 1, 0, (), dt.date(2017, 6, 18), basement_floors=2)
        buildings.append(
            (Building(community=community, code="19", name="19栋（沿街商铺）", floors=2), shops)
        )
        buildings.append(
            (
                Building(
                    community=community, code="P", name="地下车库", floors=1, basement_floors=2
                ),
                garage,
            )
        )
    Building.objects.bulk_create([b for b, _g in buildings])

    houses: list[House] = []

    def add(building: Building, unit: str, room: str, floor: int, area: Decimal, kind: str,
            weights: tuple[tuple[str, int], ...], handover: dt.date) -> None:  # fmt: skip
        status = _pick(rng, weights)
        houses.append(
            House(
                community=community,
                building=building,
                unit=unit,
                room=room,
                label=house_label(building_code=building.code, unit=unit, room=room),
                floor=floor,
                area=area,
                kind=kind,
                status=status,
                handover_date=None
                if status == HouseStatus.UNSOLD
                else handover + dt.timedelta(days=rng.randrange(0, 45)),
            )
        )

    for building, group in buildings:
        if building.code == "19":
            ground = shop_rooms * 2 // 3  # shops on the street, offices above
            for i in range(shop_rooms):
                floor, n = (1, i + 1) if i < ground else (2, i - ground + 1)
                area = Decimal(rng.randrange(3500, 18000)) / 100
                kind = HouseKind.SHOP if floor == 1 else HouseKind.OFFICE
                add(building, "", f"{floor}{n:02d}", floor, area, kind, SHOP_STATUS_WEIGHTS,
                    group.handover)  # fmt: skip
        elif building.code == "P":
            upper = garage_spaces * 3 // 5
            for i in range(garage_spaces):
                floor, n = (-1, i + 1) if i < upper else (-2, i - upper + 1)
                area = Decimal(rng.randrange(1200, 1550)) / 100
                # Parking spaces are sold to owners over time; the rest stay with the developer.
                weights = ((HouseStatus.OCCUPIED, 62), (HouseStatus.UNSOLD, 38))
                add(building, "", f"B{-floor}{n:03d}", floor, area, HouseKind.PARKING,
                    weights, group.handover)  # fmt: skip
        else:
            for unit in range(1, group.units + 1):
                for floor in range(1, group.floors + 1):
                    for pos in range(1, group.per_floor + 1):
                        area = Decimal(group.areas[(pos - 1) % len(group.areas)])
                        if floor == group.floors:
                            area += Decimal("12.30")  # top floor comes with a loft
                        add(building, str(unit), f"{floor}{pos:02d}", floor, area,
                            HouseKind.RESIDENCE, RESIDENCE_STATUS_WEIGHTS, group.handover)  # fmt: skip
    return House.objects.bulk_create(houses, batch_size=500)


METER_PREFIX = {MeterKind.WATER: "SB", MeterKind.ELECTRICITY: "DB", MeterKind.GAS: "RQ"}
# Monthly consumption range per status (water m³, electricity kWh, gas m³).
CONSUMPTION: dict[str, dict[str, tuple[int, int]]] = {
    HouseStatus.OCCUPIED: {"water": (6, 18), "electricity": (120, 480), "gas": (8, 32)},
    HouseStatus.RENOVATING: {"water": (10, 30), "electricity": (200, 700), "gas": (0, 1)},
    # Custody houses stay within R-CST-3's limits (≤ 5 water, ≤ 20 electricity).
    HouseStatus.CUSTODY: {"water": (0, 3), "electricity": (4, 18), "gas": (0, 1)},
    HouseStatus.VACANT: {"water": (0, 2), "electricity": (2, 15), "gas": (0, 1)},
    HouseStatus.DELIVERED: {"water": (0, 1), "electricity": (0, 6), "gas": (0, 0)},
    HouseStatus.UNSOLD: {"water": (0, 0), "electricity": (0, 2), "gas": (0, 0)},
}
READING_MONTHS = 4


def _build_meters(ctx: DemoContext, houses: list[House]) -> int:
    rng = ctx.rng
    meters: list[tuple[Meter, str]] = []
    numbers: dict[int, int] = {}
    for house in houses:
        if house.kind == HouseKind.PARKING:
            continue
        kinds = [MeterKind.WATER, MeterKind.ELECTRICITY]
        if house.kind == HouseKind.RESIDENCE:
            kinds.append(MeterKind.GAS)
        numbers[house.community_id] = n = numbers.get(house.community_id, 0) + 1
        code = house.community.code
        for kind in kinds:
            meters.append(
                (
                    Meter(
                        community_id=house.community_id,
                        house=house,
                        kind=kind,
                        serial=f"{METER_PREFIX[kind]}-{code}-{n:05d}",
                        installed_on=house.handover_date,
                    ),
                    house.status,
                )
            )
    Meter.objects.bulk_create([m for m, _s in meters], batch_size=1000)
    # Readings on the 1st of each of the last months, up to this month.
    first = ctx.today.replace(day=1)
    days = []
    for back in range(READING_MONTHS - 1, -1, -1):
        year, month = first.year, first.month - back
        while month < 1:
            year, month = year - 1, month + 12
        days.append(dt.date(year, month, 1))
    reader = ctx.staff["tech"]
    readings = []
    for meter, status in meters:
        low, high = CONSUMPTION[status][meter.kind]
        value = (
            Decimal(rng.randrange(0, 150000)) / 100 if status != HouseStatus.UNSOLD else Decimal(0)
        )
        for day in days:
            value += Decimal(rng.randrange(low * 100, high * 100 + 1)) / 100
            readings.append(
                MeterReading(
                    meter=meter,
                    read_on=day,
                    value=value,
                    recorded_by=reader,
                    recorded_at=ctx.now,
                )
            )
    MeterReading.objects.bulk_create(readings, batch_size=2000)
    return len(readings)
