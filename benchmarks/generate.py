"""Deterministic scale data for a property group: companies → communities →
buildings → houses → customers (with their derived search keys and encrypted
PII) → occupancies → vehicles.

The same parameters always produce the same rows (ids included), so a dataset
can be reused between benchmark runs: a marker row in `bench_dataset` records
the parameters of the loaded data, and `ensure_dataset` only regenerates when
they differ.

PostgreSQL is loaded with COPY after dropping the secondary indexes and
constraints of the big tables (recreated afterwards; their DDL is kept in the
marker row so an interrupted load is repaired on the next run). SQLite (small
sizes only) is loaded with executemany in chunks.

    python -m benchmarks.generate --communities 10 --houses 10000 --customers 25000

Derivations follow `propdesk.customers.services` exactly: `name_keys` for the
pinyin columns, `blind_index` with the same purposes, `mask_phone`,
`mask_id_number`, `phone_display(e164)[-4:]`; ciphertexts are AES-GCM under the
configured field key like `propdesk.core.crypto.encrypt`, but with a nonce derived
from the row so that the data is reproducible.
"""

from __future__ import annotations

import argparse
import base64
import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import os
import random
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

GENERATOR_VERSION = 1
MARKER_TABLE = "bench_dataset"
MARKER_KEY = "group"
BENCH_USERNAME = "bench_admin"
COMPANY_CODE = "bench-group"
BASE_TIME = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

# House layout: every building has 2 units x 25 floors x 2 houses per floor.
UNITS, FLOORS, PER_FLOOR = 2, 25, 2
HOUSES_PER_BUILDING = UNITS * FLOORS * PER_FLOOR

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN_NAMES = [
    "伟",
    "芳",
    "娜",
    "秀英",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀兰",
    "霞",
    "平",
    "刚",
    "桂英",
    "建华",
    "文",
    "华",
    "红",
    "建国",
    "志强",
    "玉兰",
    "建军",
    "海燕",
    "丹",
    "萍",
    "鹏",
    "辉",
    "玲",
    "桂兰",
    "斌",
    "宇",
    "浩",
    "凯",
    "秀珍",
    "健",
    "俊",
    "帆",
    "雪",
    "帅",
    "慧",
    "鑫",
    "波",
    "宁",
    "欣",
    "婷",
    "晨",
    "磊磊",
    "子涵",
    "梓萱",
    "一诺",
    "浩然",
    "宇轩",
    "欣怡",
    "思远",
    "子轩",
    "雨涵",
    "晓东",
    "晓燕",
    "海涛",
    "国庆",
    "建平",
    "文静",
    "春梅",
    "志明",
    "丽娟",
    "晓明",
    "红梅",
    "永强",
    "金凤",
    "德华",
    "淑珍",
    "玉珍",
    "少华",
    "嘉怡",
    "俊杰",
    "佳琪",
    "梦瑶",
    "天佑",
    "雅婷",
    "博文",
    "家豪",
    "振华",
    "立新",
    "海波",
    "国华",
    "凤英",
    "淑华",
    "长青",
    "小红",
]
REGIONS = [
    "110101",
    "110105",
    "120101",
    "310104",
    "310115",
    "320102",
    "330106",
    "370202",
    "420106",
    "440106",
    "440305",
    "500103",
    "510107",
    "610113",
    "210102",
    "350203",
    "430104",
    "450103",
    "530102",
    "230102",
]
MOBILE_PREFIXES = [
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "157",
    "158",
    "159",
    "166",
    "176",
    "177",
    "180",
    "181",
    "182",
    "183",
    "185",
    "186",
    "187",
    "188",
    "189",
    "198",
    "199",
]
PLATE_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
COMMUNITY_WORDS = [
    "翠湖",
    "锦绣",
    "金色",
    "阳光",
    "碧水",
    "紫荆",
    "枫林",
    "御景",
    "华府",
    "海棠",
    "龙湾",
    "星河",
    "丽都",
    "滨江",
    "半岛",
    "春晓",
]
COMMUNITY_KINDS = ["花园", "苑", "府", "小区", "家园", "公馆", "名邸", "雅居"]
HOUSE_STATUSES = (
    ("occupied", 79),
    ("vacant", 8),
    ("renovating", 4),
    ("delivered", 4),
    ("custody", 3),
    ("unsold", 2),
)
AREAS = (Decimal("89.16"), Decimal("128.47"), Decimal("98.65"), Decimal("143.22"))

# Permutation constants: odd and not a multiple of 5, so `k * A mod 10**n` is a bijection.
_PHONE_SPACE = 10**8
_ID_SPACE = len(REGIONS) * 20_000 * 1_000
_PLATE_SPACE = len(PLATE_PROVINCES) * len(PLATE_LETTERS) * 100_000
_MULT = 2_654_435_761
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


@dataclasses.dataclass(frozen=True)
class Params:
    communities: int = 1_000
    houses: int = 1_000_000
    customers: int = 2_500_000
    seed: str = "propdesk-bench-v1"
    version: int = GENERATOR_VERSION

    def __post_init__(self) -> None:
        if self.communities < 1 or self.houses < self.communities or self.customers < 0:
            raise ValueError("need communities >= 1, houses >= communities, customers >= 0")

    def describe(self) -> str:
        return f"{self.communities:,} communities / {self.houses:,} houses / {self.customers:,} customers"

    def as_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)


FULL = Params()
SMALL = Params(communities=10, houses=10_000, customers=25_000)


# --- pure row generation (no database) -----------------------------------------


def houses_in(params: Params, community_index: int) -> int:
    """How many houses community `community_index` (0-based) holds."""
    base, extra = divmod(params.houses, params.communities)
    return base + (1 if community_index < extra else 0)


def _prc_id(k: int) -> str:
    m = (k * _MULT + 12_345) % _ID_SPACE
    region = REGIONS[m % len(REGIONS)]
    m //= len(REGIONS)
    born = dt.date(1950, 1, 1) + dt.timedelta(days=m % 20_000)
    seq = m // 20_000
    first17 = f"{region}{born:%Y%m%d}{seq:03d}"
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


def _mobile(k: int, rng: random.Random) -> str:
    suffix = (k * _MULT + 7_654_321) % _PHONE_SPACE
    return "+86" + rng.choice(MOBILE_PREFIXES) + f"{suffix:08d}"


def _plate(n: int) -> str:
    m = (n * _MULT + 99_991) % _PLATE_SPACE
    digits = m % 100_000
    m //= 100_000
    letter = PLATE_LETTERS[m % len(PLATE_LETTERS)]
    province = PLATE_PROVINCES[m // len(PLATE_LETTERS)]
    return f"{province}{letter}{digits:05d}"


class Pii:
    """Derives the protected columns exactly as the customer services do, fast."""

    def __init__(self, seed: str) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        from propdesk.core import crypto

        enc_key, index_key = crypto._current_keys()
        self._aes = AESGCM(enc_key)
        self._seed = seed.encode()
        self._hmac = {
            purpose: hmac.new(index_key, purpose.encode() + b"\x00", hashlib.sha256)
            for purpose in ("customer.id_number", "customer.phone")
        }

    def encrypt(self, value: str, *, column: str, row: int) -> str:
        if value == "":
            return ""
        # A per-(column, row) nonce: unique under the key, and the same on every run.
        nonce = hashlib.blake2b(
            b"%s:%s:%d" % (self._seed, column.encode(), row), digest_size=12
        ).digest()
        sealed = self._aes.encrypt(nonce, value.encode("utf-8"), None)
        return "v1:" + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def blind_index(self, value: str, *, purpose: str) -> str:
        if value == "":
            return ""
        h = self._hmac[purpose].copy()
        h.update(value.encode("utf-8"))
        return h.hexdigest()


def _name_table() -> list[tuple[str, str, str]]:
    """(name, pinyin, initials) for every surname × given name, derived once."""
    from propdesk.customers.services import name_keys

    table = []
    for surname in SURNAMES:
        for given in GIVEN_NAMES:
            name = surname + given
            full, initials = name_keys(name)
            table.append((name, full, initials))
    return table


@dataclasses.dataclass
class TableSpec:
    model: str  # app_label.ModelName
    columns: tuple[str, ...]
    rows: Callable[[], Iterator[tuple[Any, ...]]]
    count: int


def table_specs(params: Params) -> list[TableSpec]:
    """Every table the generator fills, in load order, with its rows."""
    p = params
    ts = BASE_TIME
    layout: list[tuple[int, int, int]] = []  # per community: (first house idx, houses, buildings)
    first = 0
    for c in range(p.communities):
        n = houses_in(p, c)
        layout.append((first, n, -(-n // HOUSES_PER_BUILDING)))
        first += n
    n_buildings = sum(b for _f, _n, b in layout)

    def companies() -> Iterator[tuple[Any, ...]]:
        yield (1, COMPANY_CODE, "基准测试物业集团", ts, ts)

    def communities() -> Iterator[tuple[Any, ...]]:
        for c in range(p.communities):
            word = COMMUNITY_WORDS[c % len(COMMUNITY_WORDS)]
            kind = COMMUNITY_KINDS[(c // len(COMMUNITY_WORDS)) % len(COMMUNITY_KINDS)]
            yield (
                c + 1,
                1,
                f"B{c + 1:04d}",
                f"{word}{kind}{c + 1}号",
                f"基准市第{c + 1}街道",
                "Asia/Shanghai",
                f"0571-{8000_0000 + c}",
                True,
                ts,
                ts,
            )

    def buildings() -> Iterator[tuple[Any, ...]]:
        bid = 0
        for c, (_first, _n, count) in enumerate(layout):
            for b in range(count):
                bid += 1
                yield (bid, c + 1, str(b + 1), f"{b + 1}栋", FLOORS, 0, UNITS, ts, ts)

    def houses() -> Iterator[tuple[Any, ...]]:
        rng = random.Random(f"{p.seed}:houses")
        statuses = [s for s, _w in HOUSE_STATUSES]
        weights = [w for _s, w in HOUSE_STATUSES]
        hid = 0
        building_id = 0
        for c, (_first, n, count) in enumerate(layout):
            handover = dt.date(2005, 1, 1) + dt.timedelta(days=(c * 37) % 6_000)
            for b in range(count):
                building_id += 1
                for j in range(min(HOUSES_PER_BUILDING, n - b * HOUSES_PER_BUILDING)):
                    hid += 1
                    unit = j // (FLOORS * PER_FLOOR) + 1
                    rem = j % (FLOORS * PER_FLOOR)
                    floor = rem // PER_FLOOR + 1
                    pos = rem % PER_FLOOR + 1
                    room = f"{floor}{pos:02d}"
                    yield (
                        hid,
                        c + 1,
                        building_id,
                        str(unit),
                        room,
                        f"{b + 1}-{unit}-{room}",
                        floor,
                        AREAS[(pos - 1) + 2 * (b % 2)],
                        "residence",
                        rng.choices(statuses, weights)[0],
                        handover,
                        ts,
                        ts,
                    )

    community_of_house: list[int] | None = None

    def communities_of_houses() -> list[int]:
        nonlocal community_of_house
        if community_of_house is None:
            community_of_house = [0] * p.houses
            for c, (f, n, _b) in enumerate(layout):
                community_of_house[f : f + n] = [c + 1] * n
        return community_of_house

    def role_of(k: int) -> str:
        if k < p.houses:
            return "owner"
        if k < 2 * p.houses:
            return "co_owner" if k % 5 == 0 else "family"
        return "tenant"

    def customers() -> Iterator[tuple[Any, ...]]:
        from propdesk.core.identity import mask_id_number, mask_phone

        names = _name_table()
        pii = Pii(p.seed)
        rng = random.Random(f"{p.seed}:customers")
        house_comm = communities_of_houses()
        for k in range(p.customers):
            cid = k + 1
            name, full, initials = names[rng.randrange(len(names))]
            e164 = _mobile(k, rng)
            id_number = _prc_id(k)
            shown = e164[3:]
            yield (
                cid,
                house_comm[k % p.houses],
                "person",
                name,
                full,
                initials,
                "m" if int(id_number[16]) % 2 else "f",
                dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14])),
                "prc_resident",
                pii.encrypt(id_number, column="id_number", row=cid),
                pii.blind_index(id_number, purpose="customer.id_number"),
                mask_id_number(id_number),
                pii.encrypt(e164, column="phone", row=cid),
                pii.blind_index(e164, purpose="customer.phone"),
                mask_phone(e164),
                shown[-4:],
                "",
                "",
                k % 4 == 0,
                ts,
                ts,
            )

    def occupancies() -> Iterator[tuple[Any, ...]]:
        house_comm = communities_of_houses()
        for k in range(p.customers):
            h = k % p.houses
            role = role_of(k)
            community = house_comm[h]
            start = dt.date(2005, 1, 1) + dt.timedelta(days=((community - 1) * 37) % 6_000)
            if role == "tenant":
                start += dt.timedelta(days=365 + k % 700)
            yield (k + 1, community, h + 1, k + 1, role, start, None, role == "owner", "", ts, ts)

    n_vehicles = len(range(0, min(p.customers, p.houses), 3))

    def vehicles() -> Iterator[tuple[Any, ...]]:
        house_comm = communities_of_houses()
        for n, k in enumerate(range(0, min(p.customers, p.houses), 3)):
            yield (n + 1, house_comm[k], k + 1, _plate(n), "", "", ts, ts)

    return [
        TableSpec(
            "estates.Company", ("id", "code", "name", "created_at", "updated_at"), companies, 1
        ),
        TableSpec(
            "estates.Community",
            (
                "id",
                "company_id",
                "code",
                "name",
                "address",
                "time_zone",
                "phone",
                "is_active",
                "created_at",
                "updated_at",
            ),
            communities,
            p.communities,
        ),
        TableSpec(
            "estates.Building",
            (
                "id",
                "community_id",
                "code",
                "name",
                "floors",
                "basement_floors",
                "units",
                "created_at",
                "updated_at",
            ),
            buildings,
            n_buildings,
        ),
        TableSpec(
            "estates.House",
            (
                "id",
                "community_id",
                "building_id",
                "unit",
                "room",
                "label",
                "floor",
                "area",
                "kind",
                "status",
                "handover_date",
                "created_at",
                "updated_at",
            ),
            houses,
            p.houses,
        ),
        TableSpec(
            "customers.Customer",
            (
                "id",
                "community_id",
                "kind",
                "name",
                "name_pinyin",
                "name_initials",
                "gender",
                "birth_date",
                "id_type",
                "id_number_cipher",
                "id_number_index",
                "id_number_masked",
                "phone_cipher",
                "phone_index",
                "phone_masked",
                "phone_last4",
                "email",
                "work_unit",
                "accepts_parcels",
                "created_at",
                "updated_at",
            ),
            customers,
            p.customers,
        ),
        TableSpec(
            "customers.Occupancy",
            (
                "id",
                "community_id",
                "house_id",
                "customer_id",
                "role",
                "start_date",
                "end_date",
                "is_primary_contact",
                "note",
                "created_at",
                "updated_at",
            ),
            occupancies,
            p.customers,
        ),
        TableSpec(
            "customers.Vehicle",
            (
                "id",
                "community_id",
                "customer_id",
                "plate",
                "description",
                "parking_space",
                "created_at",
                "updated_at",
            ),
            vehicles,
            n_vehicles,
        ),
    ]


# --- columns the generator does not know (added later by other apps) -----------


def _model_columns(spec: TableSpec) -> tuple[str, list[str], tuple[Any, ...]]:
    """Table name, full column list and default values for the columns not generated."""
    from django.apps import apps
    from django.db.models import NOT_PROVIDED

    model = apps.get_model(spec.model)
    known = set(spec.columns)
    extra_cols: list[str] = []
    extra_vals: list[Any] = []
    for f in model._meta.concrete_fields:
        if f.column in known:
            continue
        if f.has_default():
            value = f.get_default()
        elif getattr(f, "db_default", NOT_PROVIDED) is not NOT_PROVIDED:
            continue  # the database fills it
        elif f.null:
            value = None
        elif f.get_internal_type() in {"CharField", "TextField", "SlugField", "EmailField"}:
            value = ""
        else:
            raise RuntimeError(
                f"benchmarks.generate does not know how to fill {spec.model}.{f.name}; "
                "add it to table_specs()"
            )
        if isinstance(value, dict | list):
            value = json.dumps(value)
        extra_cols.append(f.column)
        extra_vals.append(value)
    return model._meta.db_table, [*spec.columns, *extra_cols], tuple(extra_vals)


# --- the marker -------------------------------------------------------------------


def _ensure_marker_table(cursor: Any) -> None:
    cursor.execute(
        f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} ("
        "key varchar(40) PRIMARY KEY, params text NOT NULL, state varchar(16) NOT NULL, "
        "restore_ddl text NOT NULL, seconds double precision, finished_at varchar(40))"
    )


def marker_read(using: str = "default") -> dict[str, Any] | None:
    """The marker row of the loaded dataset (None when nothing was generated here)."""
    from django.db import connections

    with connections[using].cursor() as cursor:
        _ensure_marker_table(cursor)
        cursor.execute(
            f"SELECT params, state, restore_ddl, seconds, finished_at FROM {MARKER_TABLE} "
            "WHERE key = %s",
            [MARKER_KEY],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    return {
        "params": json.loads(row[0]),
        "state": row[1],
        "restore_ddl": json.loads(row[2] or "[]"),
        "seconds": row[3],
        "finished_at": row[4],
    }


def _marker_write(
    cursor: Any, params: Params, state: str, ddl: list[str], seconds: float | None = None
) -> None:
    cursor.execute(f"DELETE FROM {MARKER_TABLE} WHERE key = %s", [MARKER_KEY])
    cursor.execute(
        f"INSERT INTO {MARKER_TABLE} (key, params, state, restore_ddl, seconds, finished_at) "
        "VALUES (%s, %s, %s, %s, %s, %s)",
        [
            MARKER_KEY,
            params.as_json(),
            state,
            json.dumps(ddl),
            seconds,
            dt.datetime.now(dt.UTC).isoformat(timespec="seconds") if state == "complete" else None,
        ],
    )


def dataset_matches(params: Params, using: str = "default") -> bool:
    """True when the marker has these parameters and the rows are still there."""
    from propdesk.accounts.models import User
    from propdesk.customers.models import Customer
    from propdesk.estates.models import Community, House

    marker = marker_read(using)
    if (
        marker is None
        or marker["state"] != "complete"
        or marker["params"] != json.loads(params.as_json())
    ):
        return False
    # A flushed or hand-edited database keeps the marker: check the edges of the data.
    # Scenarios may add communities of their own under another company (the billing
    # scenarios' 10,000-house community): only the group's are counted.
    group = Community.objects.using(using).filter(company__code=COMPANY_CODE)
    return (
        group.count() == params.communities
        and House.objects.using(using).filter(pk=params.houses).exists()
        and not House.objects.using(using)
        .filter(pk__gt=params.houses, community__company__code=COMPANY_CODE)
        .exists()
        and (
            params.customers == 0
            or Customer.objects.using(using).filter(pk=params.customers).exists()
        )
        and not Customer.objects.using(using).filter(pk__gt=params.customers).exists()
        and User.objects.using(using).filter(username=BENCH_USERNAME).exists()
    )


# --- loading ----------------------------------------------------------------------


class DatabaseNotEmpty(RuntimeError):
    pass


def _refuse_foreign_data(using: str) -> None:
    """Never flush a database that holds data the generator did not make."""
    from django.db import connections

    marker = marker_read(using)
    if marker is not None:
        return
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM estates_community")
        (count,) = cursor.fetchone()
    if count:
        raise DatabaseNotEmpty(
            "this database holds communities but no benchmark marker: it is not a benchmark "
            "database (use a dedicated one, or pass force=True / --force to wipe it)"
        )


def _pg_big_table_ddl(cursor: Any, tables: Sequence[str]) -> tuple[list[str], list[str]]:
    """(drop statements, restore statements) for secondary indexes and constraints."""
    drops: list[str] = []
    restores: list[str] = []
    for table in tables:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype IN ('f', 'c', 'u') ORDER BY contype, conname",
            [table],
        )
        for name, definition in cursor.fetchall():
            drops.append(f'ALTER TABLE {table} DROP CONSTRAINT IF EXISTS "{name}"')
            restores.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        cursor.execute(
            "SELECT ci.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "JOIN pg_class ci ON ci.oid = i.indexrelid "
            "LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid "
            "WHERE i.indrelid = %s::regclass AND NOT i.indisprimary AND c.oid IS NULL "
            "ORDER BY ci.relname",
            [table],
        )
        for name, definition in cursor.fetchall():
            drops.append(f'DROP INDEX IF EXISTS "{name}"')
            restores.append(definition)
    return drops, restores


def _pg_restore(cursor: Any, statements: Iterable[str], say: Callable[[str], None]) -> None:
    cursor.execute("SET maintenance_work_mem = '512MB'")
    cursor.execute("SET max_parallel_maintenance_workers = 2")
    for stmt in statements:
        cursor.execute("SAVEPOINT bench_restore")
        try:
            cursor.execute(stmt)
        except Exception as exc:
            cursor.execute("ROLLBACK TO SAVEPOINT bench_restore")
            if "already exists" not in str(exc):
                raise
        else:
            cursor.execute("RELEASE SAVEPOINT bench_restore")
            say(f"  {stmt[:110]}")


def repair_interrupted_load(using: str = "default", say: Callable[[str], None] = print) -> None:
    """Recreate indexes and constraints a crashed PostgreSQL load had dropped."""
    from django.db import connections, transaction

    marker = marker_read(using)
    if marker is None or marker["state"] != "loading" or not marker["restore_ddl"]:
        return
    if connections[using].vendor != "postgresql":
        return
    say("repairing the indexes of an interrupted load")
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        _pg_restore(cursor, marker["restore_ddl"], say)
        cursor.execute(f"UPDATE {MARKER_TABLE} SET state = 'broken' WHERE key = %s", [MARKER_KEY])


def generate(
    params: Params,
    *,
    using: str = "default",
    force: bool = False,
    say: Callable[[str], None] = print,
) -> float:
    """Wipe the benchmark database and load `params`; returns the seconds it took."""
    from django.core.management import call_command
    from django.db import connections, transaction

    connection = connections[using]
    started = time.monotonic()
    repair_interrupted_load(using, say)
    if not force:
        _refuse_foreign_data(using)
    say(f"generating {params.describe()} on {connection.vendor}")
    call_command("flush", database=using, interactive=False, verbosity=0)
    specs = table_specs(params)
    big = ["estates_house", "customers_customer", "customers_occupancy", "customers_vehicle"]
    ddl_restore: list[str] = []
    with connection.cursor() as cursor:
        _ensure_marker_table(cursor)
        if connection.vendor == "postgresql":
            drops, ddl_restore = _pg_big_table_ddl(cursor, big)
        _marker_write(cursor, params, "loading", ddl_restore)
        if connection.vendor == "postgresql":
            for stmt in drops:
                cursor.execute(stmt)
    for spec in specs:
        t0 = time.monotonic()
        table, columns, extra = _model_columns(spec)
        with transaction.atomic(using=using):
            if connection.vendor == "postgresql":
                _load_pg(connection, table, columns, extra, spec.rows())
            else:
                _load_executemany(connection, spec.model, table, columns, extra, spec.rows())
        say(f"  {table}: {spec.count:,} rows in {time.monotonic() - t0:.1f} s")
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            t0 = time.monotonic()
            say("  recreating indexes and constraints")
            _pg_restore(cursor, ddl_restore, lambda _m: None)
            say(f"  indexes and constraints in {time.monotonic() - t0:.1f} s")
            for spec in specs:
                table = _model_columns(spec)[0]
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                    f"GREATEST((SELECT MAX(id) FROM {table}), 1))",
                    [table],
                )
        _make_bench_user(using)
    if connection.vendor == "postgresql":
        t0 = time.monotonic()
        with connection.cursor() as cursor:
            # Outside a transaction: VACUUM sets the visibility map for index-only scans.
            for spec in specs:
                cursor.execute(f"VACUUM ANALYZE {_model_columns(spec)[0]}")
        say(f"  vacuum analyze in {time.monotonic() - t0:.1f} s")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    seconds = time.monotonic() - started
    with transaction.atomic(using=using), connection.cursor() as cursor:
        _marker_write(cursor, params, "complete", [], seconds)
    say(f"generated {params.describe()} in {seconds:.1f} s")
    return seconds


def _load_pg(
    connection: Any,
    table: str,
    columns: list[str],
    extra: tuple[Any, ...],
    rows: Iterator[tuple[Any, ...]],
) -> None:
    connection.ensure_connection()
    raw = connection.connection
    with raw.cursor() as cur:
        cur.execute("SET LOCAL synchronous_commit = off")
        sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        with cur.copy(sql) as copy:
            if extra:
                for row in rows:
                    copy.write_row(row + extra)
            else:
                for row in rows:
                    copy.write_row(row)


def _load_executemany(
    connection: Any,
    model_label: str,
    table: str,
    columns: list[str],
    extra: tuple[Any, ...],
    rows: Iterator[tuple[Any, ...]],
    chunk: int = 5_000,
) -> None:
    from django.apps import apps

    model = apps.get_model(model_label)
    by_column = {f.column: f for f in model._meta.concrete_fields}
    preps = [by_column[c] for c in columns]
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"
    batch: list[list[Any]] = []
    with connection.cursor() as cursor:
        for row in rows:
            full = row + extra
            batch.append(
                [f.get_db_prep_save(v, connection) for f, v in zip(preps, full, strict=True)]
            )
            if len(batch) >= chunk:
                cursor.executemany(sql, batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)


def _make_bench_user(using: str) -> None:
    from propdesk.accounts.models import User, UserKind
    from propdesk.accounts.roles import Role

    user = User(
        username=BENCH_USERNAME,
        display_name="基准测试管理员",
        kind=UserKind.STAFF,
        role=Role.COMPANY_ADMIN,
        company_id=1,
        all_communities=True,
        is_staff=False,
    )
    user.set_unusable_password()
    user.save(using=using)


def ensure_dataset(
    params: Params,
    *,
    using: str = "default",
    force: bool = False,
    say: Callable[[str], None] = print,
) -> bool:
    """Generate unless the loaded dataset has these parameters; True when it generated."""
    if dataset_matches(params, using):
        say(f"reusing the generated dataset: {params.describe()}")
        return False
    generate(params, using=using, force=force, say=say)
    return True


# --- command line ---------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.generate", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--communities", type=int, default=FULL.communities)
    parser.add_argument("--houses", type=int, default=FULL.houses)
    parser.add_argument("--customers", type=int, default=FULL.customers)
    parser.add_argument("--seed", default=FULL.seed)
    parser.add_argument("--small", action="store_true", help="the small sizes (BENCH_SCALE=small)")
    parser.add_argument(
        "--database-url",
        default=None,
        help="defaults to the database BENCH_SCALE would use (see benchmarks/config.py)",
    )
    parser.add_argument("--reuse", action="store_true", help="keep a dataset with these params")
    parser.add_argument("--force", action="store_true", help="wipe a non-benchmark database")
    args = parser.parse_args(argv)

    from benchmarks.config import setup_django

    params = (
        SMALL
        if args.small
        else Params(args.communities, args.houses, args.customers, seed=args.seed)
    )
    setup_django(
        scale="small" if args.small else "full", database_url=args.database_url, migrate=True
    )

    def say(msg: str) -> None:
        print(msg, flush=True)

    if args.reuse:
        ensure_dataset(params, force=args.force, say=say)
    else:
        generate(params, force=args.force, say=say)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "propdesk.settings")
    sys.exit(main())
