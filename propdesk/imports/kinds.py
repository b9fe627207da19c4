"""What each import kind reads and how one row is written.

Every row goes through the domain's own services (`estates.services`,
`customers.services`), so an import validates exactly like the console forms;
the only writes made here are building updates (estates has no
`building_update` yet), with the same validation and an audit event.
Each `apply_*` returns "created", "updated" or "unchanged" and raises a domain
error (`Invalid` naming the field) when the row cannot be written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from propdesk.accounts.roles import Cap
from propdesk.core import validation as v
from propdesk.core.audit import audit_record, snapshot
from propdesk.core.crypto import blind_index
from propdesk.core.errors import ErrorCollector, Invalid
from propdesk.core.identity import normalise_document_number, normalise_phone, validate_prc_id
from propdesk.core.models import AuditAction
from propdesk.customers.models import (
    Customer,
    CustomerKind,
    Gender,
    IdType,
    Occupancy,
    OccupancyRole,
)
from propdesk.customers.services import (
    ID_PURPOSE,
    PHONE_PURPOSE,
    customer_create,
    customer_update,
    occupancy_add,
    occupancy_end,
)
from propdesk.estates.models import Building, Community, House, HouseKind, HouseStatus
from propdesk.estates.services import building_create, house_create, house_label, house_update

from .models import ImportKind

Row = dict[str, str]


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool = False
    note: str = ""


@dataclass
class Context:
    """One chunk's actor, community and the existing rows it looked up in bulk."""

    actor: Any
    community: Community
    buildings: dict[str, Building] = field(default_factory=dict)
    houses: dict[str, House] = field(default_factory=dict)
    customers_by_id: dict[str, Customer] = field(default_factory=dict)
    customers_by_name_phone: dict[tuple[str, str], Customer] = field(default_factory=dict)
    occupancies: dict[tuple[int, int, str], list[Occupancy]] = field(default_factory=dict)


@dataclass(frozen=True)
class Spec:
    kind: str
    capability: str
    columns: tuple[Column, ...]
    # Keys no two rows of one file may share: (what, key); "what" picks the message.
    unique_keys: Callable[[Row], list[tuple[str, tuple[str, ...]]]]
    prepare: Callable[[Context, list[Row]], None]
    apply: Callable[[Context, Row], str]
    # A service's field name → the column to blame when it differs from the key.
    blame: dict[str, str] = field(default_factory=dict)
    # Columns an export adds for people to read; an import skips them.
    ignored: tuple[str, ...] = ()

    def column(self, key: str) -> Column | None:
        return next((c for c in self.columns if c.key == key), None)


# ---------------------------------------------------------------- value helpers


def choice_value(raw: str, choices: Iterable[tuple[str, Any]]) -> str:
    """A choice typed as its code, its Chinese or its English label → the code."""
    text = raw.strip()
    if not text:
        return ""
    for code, label in choices:
        if text.lower() == str(code).lower():
            return str(code)
        for language in ("zh-hans", "en"):
            with translation.override(language):
                if text == str(label):
                    return str(code)
    return text  # the service refuses it with its own message


def yes_no(raw: str, key: str) -> bool:
    text = raw.strip().lower()
    if text in ("", "否", "n", "no", "false", "0"):
        return False
    if text in ("是", "y", "yes", "true", "1"):
        return True
    raise Invalid.field(key, _("Enter 是 or 否 (yes or no)."))


def normalised_id(raw: str, id_type: str) -> str:
    """The ID number as the customer service stores it, or "" when absent or invalid."""
    number = raw.strip()
    if not number:
        return ""
    try:
        if id_type in ("", IdType.PRC_RESIDENT):
            return validate_prc_id(number)
        return normalise_document_number(number)
    except Invalid:
        return ""


def normalised_phone(raw: str) -> str:
    if not raw.strip():
        return ""
    try:
        return normalise_phone(raw)
    except Invalid:
        return ""


def _id_type(row: Row) -> str:
    id_type = choice_value(row.get("id_type", ""), IdType.choices)
    if not id_type and row.get("id_number", "").strip():
        return IdType.PRC_RESIDENT  # the resident ID card is what nearly every owner has
    return id_type


def customer_key(row: Row) -> tuple[str, ...]:
    """How a row names its customer: the ID number, else name + phone."""
    number = normalised_id(row.get("id_number", ""), _id_type(row))
    if number:
        return ("id", number)
    raw = row.get("id_number", "").strip().upper()
    if raw:
        return ("id", raw)
    phone = normalised_phone(row.get("phone", "")) or row.get("phone", "").strip()
    return ("name", row.get("name", "").strip(), phone)


# ---------------------------------------------------------------- buildings

BUILDING_COLUMNS = (
    Column("code", "楼栋编号", True, "房号中的楼栋号，如 3（不能含“-”）"),
    Column("name", "楼栋名称", False, "如 3栋；留空则为“3栋”"),
    Column("floors", "地上层数", True, "1–200"),
    Column("basement_floors", "地下层数", False, "0–10，默认 0"),
    Column("units", "单元数", True, "1–50"),
)


def _prepare_buildings(ctx: Context, rows: list[Row]) -> None:
    codes = {r.get("code", "").strip() for r in rows}
    ctx.buildings = {
        b.code: b for b in Building.objects.filter(community=ctx.community, code__in=codes)
    }


def apply_building(ctx: Context, row: Row) -> str:
    code = row.get("code", "").strip()
    existing = ctx.buildings.get(code)
    if existing is None:
        building_create(
            actor=ctx.actor,
            community_id=ctx.community.pk,
            code=code,
            name=row.get("name", ""),
            floors=row.get("floors", ""),
            basement_floors=row.get("basement_floors", "") or 0,
            units=row.get("units", ""),
        )
        return "created"
    errors = ErrorCollector()
    data = {
        "name": v.text(errors, "name", row.get("name", ""), max_length=100, required=False)
        or existing.name,
        "floors": v.integer(errors, "floors", row.get("floors", ""), minimum=1, maximum=200),
        "basement_floors": v.integer(
            errors,
            "basement_floors",
            row.get("basement_floors", "") or 0,
            minimum=0,
            maximum=10,
        ),
        "units": v.integer(errors, "units", row.get("units", ""), minimum=1, maximum=50),
    }
    errors.raise_if_any()
    changed = {k: val for k, val in data.items() if getattr(existing, k) != val}
    if not changed:
        return "unchanged"
    houses = House.objects.filter(building=existing)
    if "floors" in changed and houses.filter(floor__gt=data["floors"]).exists():
        errors.add("floors", _("Building %(b)s has houses above that floor.") % {"b": code})
    if (
        "basement_floors" in changed
        and houses.filter(floor__lt=-int(data["basement_floors"] or 0)).exists()
    ):
        errors.add(
            "basement_floors", _("Building %(b)s has houses below that floor.") % {"b": code}
        )
    errors.raise_if_any()
    fields = ("code", "name", "floors", "basement_floors", "units")
    building = Building.objects.select_for_update().get(pk=existing.pk)
    before = snapshot(building, fields)
    for name, value in changed.items():
        setattr(building, name, value)
    building.save(update_fields=[*sorted(changed), "updated_at"])
    audit_record(
        actor=ctx.actor,
        instance=building,
        action=AuditAction.UPDATE,
        community_id=building.community_id,
        before=before,
        after=snapshot(building, fields),
        note="import",
    )
    return "updated"


# ---------------------------------------------------------------- houses

HOUSE_COLUMNS = (
    Column("building", "楼栋编号", True, "已导入的楼栋编号，如 3"),
    Column("unit", "单元", False, "如 2；无单元的楼栋留空"),
    Column("room", "房号", True, "如 1801；房屋编号为 楼栋-单元-房号，如 3-2-1801"),
    Column("floor", "楼层", True, "地上 1 起，地下 -1 起，不超过楼栋层数"),
    Column("area", "建筑面积", True, "平方米，大于 0，最多两位小数"),
    Column("kind", "房屋类型", False, "住宅/商铺/写字间/车位，默认 住宅"),
    Column("status", "房屋状态", False, "未售/已交付未入住/已入住/空置/装修中/托管，默认 未售"),
    Column("handover_date", "交付日期", False, "YYYY-MM-DD"),
)


def _label(row: Row) -> str:
    return house_label(
        building_code=row.get("building", "").strip(),
        unit=row.get("unit", "").strip(),
        room=row.get("room", "").strip(),
    )


def _prepare_houses(ctx: Context, rows: list[Row]) -> None:
    ctx.buildings = {b.code: b for b in Building.objects.filter(community=ctx.community)}
    labels = {_label(r) for r in rows}
    ctx.houses = {
        h.label: h for h in House.objects.filter(community=ctx.community, label__in=labels)
    }


def apply_house(ctx: Context, row: Row) -> str:
    code = row.get("building", "").strip()
    building = ctx.buildings.get(code)
    if building is None:
        if not code:
            raise Invalid.field("building", _("This field is required."))
        raise Invalid.field(
            "building",
            _("This community has no building %(code)s; import the buildings first.")
            % {"code": code},
        )
    kind = choice_value(row.get("kind", ""), HouseKind.choices)
    status = choice_value(row.get("status", ""), HouseStatus.choices)
    existing = ctx.houses.get(_label(row))
    if existing is None:
        house_create(
            actor=ctx.actor,
            building_id=building.pk,
            unit=row.get("unit", ""),
            room=row.get("room", ""),
            floor=row.get("floor", ""),
            area=row.get("area", ""),
            kind=kind or HouseKind.RESIDENCE,
            status=status or HouseStatus.UNSOLD,
            handover_date=row.get("handover_date", "") or None,
        )
        return "created"
    # Blank optional cells keep what the house has; they never clear it.
    wanted: dict[str, Any] = {"floor": row.get("floor", ""), "area": row.get("area", "")}
    if kind:
        wanted["kind"] = kind
    if status:
        wanted["status"] = status
    if row.get("handover_date", "").strip():
        wanted["handover_date"] = row["handover_date"]
    errors = ErrorCollector()
    parsed = {
        "floor": v.integer(errors, "floor", wanted["floor"]),
        "area": v.decimal(errors, "area", wanted["area"]),
        "kind": wanted.get("kind", existing.kind),
        "status": wanted.get("status", existing.status),
        "handover_date": v.date(
            errors, "handover_date", wanted.get("handover_date"), required=False
        )
        or existing.handover_date,
    }
    if errors:
        # Let the service word the refusal, exactly as for a new house.
        house_update(actor=ctx.actor, house_id=existing.pk, **wanted)
    changes = {
        k: wanted[k] for k, val in parsed.items() if k in wanted and getattr(existing, k) != val
    }
    if not changes:
        return "unchanged"
    house_update(actor=ctx.actor, house_id=existing.pk, **changes)
    return "updated"


# ---------------------------------------------------------------- customers

CUSTOMER_COLUMNS = (
    Column("name", "姓名", True, "个人姓名或单位名称"),
    Column("kind", "客户类型", False, "个人/单位，默认 个人"),
    Column("id_type", "证件类型", False, "居民身份证/护照/…；填了证件号码时默认 居民身份证"),
    Column("id_number", "证件号码", False, "用于识别同一客户（重复导入不会新建）"),
    Column("phone", "手机号", False, "如 13812345678；无证件号码时用 姓名+手机号 识别客户"),
    Column("gender", "性别", False, "男/女；有身份证号时由号码得出"),
    Column("email", "电子邮箱", False, ""),
    Column("work_unit", "工作单位", False, ""),
)


def _prepare_customers(ctx: Context, rows: list[Row]) -> None:
    ids, names = set(), set()
    for row in rows:
        key = customer_key(row)
        if key[0] == "id":
            ids.add(blind_index(key[1], purpose=ID_PURPOSE))
        names.add(row.get("name", "").strip())
    ctx.customers_by_id = {
        c.id_number_index: c
        for c in Customer.objects.filter(community=ctx.community, id_number_index__in=ids)
    }
    ctx.customers_by_name_phone = {
        (c.name, c.phone_index): c
        for c in Customer.objects.filter(community=ctx.community, name__in=names).order_by("id")
    }


def find_customer(ctx: Context, row: Row) -> Customer | None:
    key = customer_key(row)
    phone = normalised_phone(row.get("phone", ""))
    by_name = ctx.customers_by_name_phone.get(
        (row.get("name", "").strip(), blind_index(phone, purpose=PHONE_PURPOSE) if phone else "")
    )
    if key[0] == "id":
        found = ctx.customers_by_id.get(blind_index(key[1], purpose=ID_PURPOSE))
        # A record first kept without its ID number is the same person: it gains the number.
        if found is None and by_name is not None and phone and not by_name.id_number_index:
            return by_name
        return found
    return by_name


def apply_customer(ctx: Context, row: Row) -> str:
    given_kind = choice_value(row.get("kind", ""), CustomerKind.choices)
    kind = given_kind or CustomerKind.PERSON
    gender = choice_value(row.get("gender", ""), Gender.choices)
    if gender == "" and row.get("gender", "").strip() in ("男", "女"):
        gender = {"男": Gender.MALE, "女": Gender.FEMALE}[row["gender"].strip()]
    id_type = _id_type(row)
    existing = find_customer(ctx, row)
    fields: dict[str, Any] = {
        "name": row.get("name", ""),
        "kind": kind,
        "gender": gender,
        "email": row.get("email", ""),
        "work_unit": row.get("work_unit", ""),
        "phone": row.get("phone", ""),
        "id_type": id_type,
        "id_number": row.get("id_number", ""),
    }
    if existing is None:
        customer_create(actor=ctx.actor, community_id=ctx.community.pk, **fields)
        return "created"
    changes: dict[str, Any] = {}
    if given_kind and given_kind != existing.kind:
        changes["kind"] = given_kind
    for name in ("name", "email", "work_unit"):
        if fields[name].strip() and fields[name].strip() != getattr(existing, name):
            changes[name] = fields[name]
    if gender and gender != existing.gender and existing.id_type != IdType.PRC_RESIDENT:
        changes["gender"] = gender
    phone = normalised_phone(fields["phone"])
    if fields["phone"].strip() and (
        not phone or blind_index(phone, purpose=PHONE_PURPOSE) != existing.phone_index
    ):
        changes["phone"] = fields["phone"]
    number = normalised_id(fields["id_number"], id_type)
    if fields["id_number"].strip() and (
        not number
        or blind_index(number, purpose=ID_PURPOSE) != existing.id_number_index
        or id_type != existing.id_type
    ):
        changes["id_type"], changes["id_number"] = id_type, fields["id_number"]
    if not changes:
        return "unchanged"
    customer_update(actor=ctx.actor, customer_id=existing.pk, **changes)
    return "updated"


# ---------------------------------------------------------------- occupancies

OCCUPANCY_COLUMNS = (
    Column("house", "房屋编号", True, "楼栋-单元-房号，如 3-2-1801"),
    Column("name", "姓名", True, "已导入的客户"),
    Column("id_number", "证件号码", False, "识别客户：证件号码，或 姓名+手机号"),
    Column("phone", "手机号", False, ""),
    Column("role", "关系", True, "业主/共有人/家庭成员/租户/代理人"),
    Column("start_date", "开始日期", True, "YYYY-MM-DD"),
    Column("end_date", "结束日期", False, "YYYY-MM-DD；留空为当前关系"),
    Column("is_primary_contact", "主要联系人", False, "是/否"),
)


def _prepare_occupancies(ctx: Context, rows: list[Row]) -> None:
    _prepare_customers(ctx, rows)
    labels = {r.get("house", "").strip().upper() for r in rows}
    ctx.houses = {
        h.label: h for h in House.objects.filter(community=ctx.community, label__in=labels)
    }
    customer_ids = [c.pk for c in ctx.customers_by_id.values()] + [
        c.pk for c in ctx.customers_by_name_phone.values()
    ]
    ctx.occupancies = {}
    for o in Occupancy.objects.filter(
        Q(house__in=ctx.houses.values()) & Q(customer_id__in=customer_ids)
    ).order_by("start_date"):
        ctx.occupancies.setdefault((o.house_id, o.customer_id, o.role), []).append(o)


def apply_occupancy(ctx: Context, row: Row) -> str:
    label = row.get("house", "").strip().upper()
    house = ctx.houses.get(label)
    if house is None:
        raise Invalid.field(
            "house",
            _("This field is required.")
            if not label
            else _("This community has no house %(label)s.") % {"label": label},
        )
    customer = find_customer(ctx, row)
    if customer is None:
        raise Invalid.field(
            "name",
            _(
                "No customer of this community matches this name, ID number and phone; import the customers first."
            ),
        )
    role = choice_value(row.get("role", ""), OccupancyRole.choices)
    primary = yes_no(row.get("is_primary_contact", ""), "is_primary_contact")
    errors = ErrorCollector()
    start = v.date(errors, "start_date", row.get("start_date", ""))
    end = v.date(errors, "end_date", row.get("end_date", ""), required=False)
    errors.raise_if_any()
    same = [
        o for o in ctx.occupancies.get((house.pk, customer.pk, role), []) if o.start_date == start
    ]
    if same:
        occupancy = same[-1]
        if occupancy.end_date == end or (end is None and occupancy.end_date is None):
            return "unchanged"
        if occupancy.end_date is None and end is not None:
            occupancy_end(actor=ctx.actor, occupancy_id=occupancy.pk, end_date=end)
            return "updated"
        raise Invalid.field("end_date", _("This relation has already ended on another date."))
    occupancy_add(
        actor=ctx.actor,
        customer_id=customer.pk,
        house_id=house.pk,
        role=role,
        start_date=row.get("start_date", ""),
        end_date=row.get("end_date", "") or None,
        is_primary_contact=primary,
    )
    return "created"


def _occupancy_keys(row: Row) -> list[tuple[str, tuple[str, ...]]]:
    house = row.get("house", "").strip().upper()
    role = choice_value(row.get("role", ""), OccupancyRole.choices)
    keys = [("same", (house, *customer_key(row), role, row.get("start_date", "").strip()))]
    # Rows are checked independently, so the one-current-owner rule is checked across the file.
    if role == OccupancyRole.OWNER and not row.get("end_date", "").strip():
        keys.append(("owner", (house,)))
    return keys


SPECS: dict[str, Spec] = {
    ImportKind.BUILDINGS: Spec(
        ImportKind.BUILDINGS,
        Cap.ESTATES_MANAGE,
        BUILDING_COLUMNS,
        lambda r: [("same", (r.get("code", "").strip(),))],
        _prepare_buildings,
        apply_building,
    ),
    ImportKind.HOUSES: Spec(
        ImportKind.HOUSES,
        Cap.ESTATES_MANAGE,
        HOUSE_COLUMNS,
        lambda r: [("same", (_label(r),))],
        _prepare_houses,
        apply_house,
        blame={"building_id": "building", "label": "room"},
        ignored=("房屋编号", "小区"),
    ),
    ImportKind.CUSTOMERS: Spec(
        ImportKind.CUSTOMERS,
        Cap.CUSTOMERS_MANAGE,
        CUSTOMER_COLUMNS,
        lambda r: [("same", customer_key(r))],
        _prepare_customers,
        apply_customer,
        blame={"birth_date": "id_number"},
    ),
    ImportKind.OCCUPANCIES: Spec(
        ImportKind.OCCUPANCIES,
        Cap.CUSTOMERS_MANAGE,
        OCCUPANCY_COLUMNS,
        _occupancy_keys,
        _prepare_occupancies,
        apply_occupancy,
        blame={"house_id": "house", "customer_id": "name"},
    ),
}

# Columns whose values are personal information: masked in error reports (R-CUS-3).
PII_KEYS = frozenset({"id_number", "phone"})
