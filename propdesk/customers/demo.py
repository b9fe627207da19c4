"""Demo data, part 2: the people of the demo communities (R-CUS-1..4).

Households with owners, co-owners, family members and tenants; realistic
Chinese names (surnames by frequency, given names by generation), resident ID
numbers with correct GB 11643 check digits, plausible birth dates and region
codes, valid mobile numbers, organisations with valid unified social credit
codes; classes and tags, vehicles with valid plates, notes, emergency
contacts, the timeline of every move-in and move-out, and owner logins.

Called by `propdesk demo` after `propdesk.estates.demo.build_foundation`. The
generators here (`PeopleFactory`, `credit_code`, `licence_plate`) are reusable
by benchmarks. No audit events: this is a bulk load (see estates/demo.py).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.utils import translation
from django.utils.translation import gettext as _

from propdesk.accounts.models import User, UserKind
from propdesk.core.crypto import encrypt
from propdesk.core.identity import mask_phone, prc_id_check_char
from propdesk.estates.demo import PASSWORD, DemoContext, seeded
from propdesk.estates.models import Community, House, HouseKind, HouseStatus

from .models import (
    ContactKind,
    ContactPoint,
    Customer,
    CustomerKind,
    CustomerTag,
    IdType,
    Note,
    Occupancy,
    OccupancyRole,
    OwnerAccount,
    Tag,
    TimelineEntry,
    Vehicle,
)
from .services import _apply_identity, _apply_phone, name_keys

# --- names -------------------------------------------------------------------

# The most common surnames with their approximate share (per 10,000 people).
SURNAMES: tuple[tuple[str, int], ...] = (
    ("王", 710), ("李", 700), ("张", 670), ("刘", 540), ("陈", 460), ("杨", 310), ("黄", 220),
    ("赵", 200), ("吴", 190), ("周", 190), ("徐", 150), ("孙", 140), ("马", 130), ("朱", 120),
    ("胡", 110), ("郭", 110), ("何", 100), ("林", 100), ("高", 90), ("罗", 90), ("郑", 90),
    ("梁", 80), ("谢", 70), ("宋", 70), ("唐", 70), ("许", 60), ("韩", 60), ("冯", 60),
    ("邓", 60), ("曹", 60), ("彭", 50), ("曾", 50), ("肖", 50), ("田", 50), ("董", 50),
    ("袁", 50), ("潘", 40), ("于", 40), ("蒋", 40), ("蔡", 40), ("余", 40), ("杜", 40),
    ("叶", 40), ("程", 40), ("苏", 30), ("魏", 30), ("吕", 30), ("丁", 30), ("任", 30),
    ("沈", 30), ("姚", 30), ("卢", 30), ("姜", 30), ("崔", 30), ("钟", 30), ("谭", 30),
    ("陆", 30), ("汪", 30), ("范", 30), ("金", 30), ("石", 30), ("廖", 30), ("贾", 30),
    ("夏", 20), ("韦", 20), ("付", 20), ("方", 20), ("白", 20), ("邹", 20), ("孟", 20),
    ("熊", 20), ("秦", 20), ("邱", 20), ("江", 20), ("尹", 20), ("薛", 20), ("闫", 20),
    ("段", 20), ("雷", 20), ("侯", 20), ("龙", 20), ("史", 20), ("陶", 20), ("黎", 20),
    ("贺", 20), ("顾", 20), ("毛", 20), ("郝", 20), ("龚", 20), ("邵", 20), ("万", 20),
    ("钱", 20), ("严", 20), ("戴", 10), ("莫", 10), ("孔", 10), ("向", 10), ("汤", 10),
    ("欧阳", 3), ("司马", 1), ("上官", 1), ("诸葛", 1),
)  # fmt: skip

# Given names change with the times: pools per generation and gender.
GIVEN_WHOLE = {
    ("m", "old"): "建国 建军 国强 志明 德华 国庆 卫东 建华 振华 文斌 永刚 海涛 德明 志强 保国 长林 福生 金发 明德 树林",
    ("f", "old"): "秀英 桂英 秀兰 玉兰 桂兰 淑珍 凤英 玉珍 玉梅 秀珍 丽华 淑华 桂芳 秀芳 素芬 美华 金凤 月英 彩霞 翠花",
    ("m", "young"): "子轩 浩然 宇轩 梓豪 一鸣 俊熙 皓轩 子墨 浩宇 博文 思远 泽宇 奕辰 沐阳 景行 昊天 晨曦 锦程 一诺 嘉树",
    ("f", "young"): "梓涵 欣怡 子涵 诗涵 雨桐 思彤 一诺 可馨 语嫣 若汐 紫萱 佳怡 心悦 馨予 乐瑶 安然 雨萱 梦琪 诗雨 欣妍",
}  # fmt: skip
GIVEN_FIRST = {
    "m": "志建晓海俊宏文振家永明国德天立新春伟",
    "f": "丽晓秀海春雪红美小慧静佳文思雅婷",
}
GIVEN_SECOND = {
    "m": "伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆旭宁龙林峰",
    "f": "芳娜敏静丽艳娟霞婷雪慧琳颖倩洁燕红梅莉萍玲",
}
GIVEN_YOUNG_FIRST = {
    "m": "子浩宇梓俊皓博思泽奕嘉一睿沐景昊晨锦",
    "f": "梓欣子诗雨思一可语若紫佳心馨乐安",
}
GIVEN_YOUNG_SECOND = {
    "m": "轩然豪鸣熙墨宇文远辰航泽睿阳瑞铭川言",
    "f": "涵怡萱琪彤妍诺然汐桐嫣瑶菲悦宁晴",
}

# Region codes of the first six ID digits: mostly Hangzhou, then Zhejiang, then elsewhere.
REGIONS_LOCAL = ("330102", "330105", "330106", "330108", "330109", "330110", "330122", "330182")
REGIONS_PROVINCE = ("330203", "330302", "330402", "330502", "330602", "330702", "331002")
REGIONS_ELSEWHERE = (
    "110105", "310104", "320102", "340104", "360102", "410105", "420106", "430104",
    "440106", "510107", "500103", "610113", "370102", "350102", "230103", "210102",
    "130102", "140105", "450103", "520102", "530102", "620102", "220102",
)  # fmt: skip
MOBILE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152",
    "153", "155", "156", "157", "158", "159", "173", "176", "177", "178", "180", "181",
    "182", "183", "185", "186", "187", "188", "189", "198", "199",
)  # fmt: skip


def resident_id(region: str, born: dt.date, sequence: int, *, male: bool) -> str:
    """A GB 11643 resident ID: region, birth date, 3-digit sequence (odd for men), check."""
    seq = sequence % 100 * 10 + (sequence // 100 % 5) * 2 + (1 if male else 0)
    first17 = f"{region}{born:%Y%m%d}{seq:03d}"
    return first17 + prc_id_check_char(first17)


CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def credit_code(rng: random.Random, region: str) -> str:
    """A unified social credit code (GB 32100) with valid organisation and final check chars."""
    org = "".join(rng.choice("0123456789") for _ in range(8))
    c = 11 - sum(int(d) * w for d, w in zip(org, _ORG_WEIGHTS, strict=True)) % 11
    org += "X" if c == 10 else "0" if c == 11 else str(c)
    body = "91" + region + org  # 9: registered by market regulation, 1: enterprise
    total = sum(CREDIT_CHARS.index(ch) * w for ch, w in zip(body, _CREDIT_WEIGHTS, strict=True))
    return body + CREDIT_CHARS[(31 - total % 31) % 31]


_PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_OTHER_PROVINCES = "沪苏皖赣京粤闽鲁"
CAR_MODELS = (
    "大众朗逸", "丰田卡罗拉", "本田雅阁", "日产轩逸", "别克英朗", "吉利博越", "长安CS75",
    "哈弗H6", "宝马3系", "奥迪A4L", "奔驰C级", "马自达3",
)  # fmt: skip
NEV_MODELS = ("比亚迪汉", "比亚迪秦PLUS", "特斯拉Model 3", "理想L7", "蔚来ES6", "小鹏P7", "极氪001")
CAR_COLOURS = ("白色", "黑色", "银色", "灰色", "蓝色", "红色")


def licence_plate(rng: random.Random) -> tuple[str, bool]:
    """A valid plate (浙A·12345 style, or an 8-character new-energy plate) and whether it is NEV."""
    if rng.random() < 0.88:
        province = "浙"
        city = "A" if rng.random() < 0.8 else rng.choice("BCDEFGHJKL")
    else:
        province, city = rng.choice(_OTHER_PROVINCES), rng.choice("ABCDE")
    if rng.random() < 0.24:
        return f"{province}{city}{rng.choice('DF')}{rng.randrange(100000):05d}", True
    chars = [rng.choice("0123456789") for _ in range(5)]
    for pos in rng.sample(range(5), k=rng.choice((0, 1, 1, 2))):
        chars[pos] = rng.choice(_PLATE_LETTERS)
    return province + city + "".join(chars), False


class PeopleFactory:
    """Makes unique, valid people for one community: name, ID number, mobile."""

    def __init__(self, rng: random.Random, today: dt.date) -> None:
        self.rng = rng
        self.today = today
        self.ids: set[str] = set()
        self.phones: set[str] = set()
        self._surnames = [surname for surname, _share in SURNAMES]
        self._weights = [share for _surname, share in SURNAMES]
        self._sequence = rng.randrange(1000)

    def surname(self) -> str:
        return self.rng.choices(self._surnames, weights=self._weights)[0]

    def given_name(self, gender: str, year: int) -> str:
        rng = self.rng
        if year < 1962:
            if rng.random() < 0.75:
                return rng.choice(GIVEN_WHOLE[(gender, "old")].split())
            return rng.choice(GIVEN_SECOND[gender])
        if year >= 2000:
            if rng.random() < 0.4:
                return rng.choice(GIVEN_WHOLE[(gender, "young")].split())
            return rng.choice(GIVEN_YOUNG_FIRST[gender]) + rng.choice(GIVEN_YOUNG_SECOND[gender])
        if rng.random() < 0.3:
            return rng.choice(GIVEN_SECOND[gender])
        return rng.choice(GIVEN_FIRST[gender]) + rng.choice(GIVEN_SECOND[gender])

    def birth_date(self, oldest: int, youngest: int) -> dt.date:
        """A birth date for someone aged between `youngest` and `oldest` years today."""
        born = dt.date(
            self.today.year - self.rng.randint(youngest, oldest),
            self.rng.randint(1, 12),
            self.rng.randint(1, 28),
        )
        return min(born, self.today - dt.timedelta(days=30))

    def region(self) -> str:
        roll = self.rng.random()
        pool = (
            REGIONS_LOCAL if roll < 0.55 else REGIONS_PROVINCE if roll < 0.8 else REGIONS_ELSEWHERE
        )
        return self.rng.choice(pool)

    def id_number(self, born: dt.date, gender: str, region: str | None = None) -> str:
        while True:
            self._sequence += 1
            number = resident_id(region or self.region(), born, self._sequence, male=gender == "m")
            if number not in self.ids:
                self.ids.add(number)
                return number

    def mobile(self) -> str:
        while True:
            number = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if number not in self.phones:
                self.phones.add(number)
                return "+86" + number

    def person(
        self,
        community: Community,
        *,
        gender: str | None = None,
        born: dt.date,
        surname: str | None = None,
        region: str | None = None,
    ) -> Customer:
        gender = gender or self.rng.choice("mf")
        name = (surname or self.surname()) + self.given_name(gender, born.year)
        customer = Customer(community=community, kind=CustomerKind.PERSON, name=name)
        customer.name_pinyin, customer.name_initials = name_keys(name)
        _apply_identity(customer, IdType.PRC_RESIDENT, self.id_number(born, gender, region))
        age = (self.today - born).days // 365
        _apply_phone(customer, self.mobile() if age >= 14 else "")
        return customer


# --- tags ------------------------------------------------------------------------

TAGS: tuple[tuple[str, str, bool, str], ...] = (
    ("key_customer", "重点客户", True, "#b91c1c"),
    ("elderly_alone", "独居老人", True, "#c2410c"),
    ("frequent_complainant", "多次投诉", True, "#7c3aed"),
    ("in_arrears", "欠费", True, "#b45309"),
    ("custody", "托管户", True, "#0369a1"),
    ("disabled", "残障人士", True, "#0f766e"),
    ("new_resident", "新入住", False, "#15803d"),
    ("renovating", "装修中", False, "#a16207"),
    ("pet_owner", "养宠物", False, "#64748b"),
    ("committee", "业委会成员", False, "#1d4ed8"),
)

NOTES_BY_TAG = {
    "elderly_alone": "独居老人，管家每周电话问候一次；如连续两天联系不上，请联系紧急联系人。",
    "frequent_complainant": "多次就楼上噪音投诉，沟通时请耐心说明处理进度，统一回复口径。",
    "in_arrears": "物业费已欠缴两个季度，已电话提醒，业主称月底前缴清。",
    "disabled": "行动不便（轮椅），上门维修请提前电话预约，电梯故障时优先通知。",
    "key_customer": "业委会联络人，重要通知请提前一天电话告知。",
    "custody": "房屋托管中，钥匙存放于客服中心钥匙柜，每周巡查一次。",
}
GENERIC_NOTES = (
    "业主希望维修上门时间安排在周末上午。",
    "家中有婴儿，上门前请先电话联系，勿按门铃。",
    "业主常年在外地工作，房屋由亲属代为照看。",
    "反映地库 B1 层车位照明不足，已转工程维修部。",
    "对上次厨房管道维修很满意，表扬维修工孙师傅。",
    "快递请放前台代收，不要放在门口。",
    "业主养有大型犬，上门前请确认已拴好。",
    "业主听力不好，电话沟通请放慢语速，必要时发短信。",
)


# --- households ----------------------------------------------------------------


@dataclass
class _Community:
    """What the builder accumulates for one community before the bulk inserts."""

    community: Community
    people: PeopleFactory
    customers: list[Customer] = field(default_factory=list)
    # (customer index, house, role, start, end, primary contact)
    occupancies: list[tuple[int, House, str, dt.date, dt.date | None, bool]] = field(
        default_factory=list
    )
    tags: dict[int, set[str]] = field(default_factory=lambda: defaultdict(set))
    resident_owners: list[int] = field(default_factory=list)
    family_owners: list[int] = field(default_factory=list)
    elderly_alone: list[int] = field(default_factory=list)
    parking_of: dict[int, str] = field(default_factory=dict)
    households: dict[int, list[int]] = field(default_factory=dict)  # owner → people living there


class CustomerBuilder:
    def __init__(self, ctx: DemoContext) -> None:
        self.ctx = ctx
        self.rng = ctx.rng
        self.today = ctx.today

    def days_ago(self, low: int, high: int) -> dt.date:
        return self.today - dt.timedelta(days=self.rng.randint(low, high))

    def add(self, acc: _Community, customer: Customer) -> int:
        acc.customers.append(customer)
        return len(acc.customers) - 1

    def occupy(
        self,
        acc: _Community,
        index: int,
        house: House,
        role: str,
        start: dt.date,
        end: dt.date | None = None,
        primary: bool = False,
    ) -> None:
        born = acc.customers[index].birth_date
        if born and start < born:
            start = born  # a child born after the family moved in lives there since birth
        acc.occupancies.append((index, house, role, start, end, primary))

    def adult(self, acc: _Community, oldest: int, youngest: int) -> int:
        born = acc.people.birth_date(oldest, youngest)
        return self.add(acc, acc.people.person(acc.community, born=born))

    def spouse_of(self, acc: _Community, index: int) -> int:
        partner = acc.customers[index]
        assert partner.birth_date is not None
        gender = "f" if partner.gender == "m" else "m"
        born = partner.birth_date + dt.timedelta(days=self.rng.randint(-5 * 365, 5 * 365))
        born = min(born, self.today - dt.timedelta(days=20 * 365))
        return self.add(acc, acc.people.person(acc.community, gender=gender, born=born))

    def child_of(self, acc: _Community, parents: list[int], oldest: int = 25) -> int:
        father = next(
            (acc.customers[i] for i in parents if acc.customers[i].gender == "m"),
            acc.customers[parents[0]],
        )
        mother_born = min(acc.customers[i].birth_date or self.today for i in parents)
        earliest = max(mother_born.year + 22, self.today.year - oldest)
        youngest_age = 0
        oldest_age = max(0, self.today.year - earliest)
        born = acc.people.birth_date(oldest_age, youngest_age)
        surname = _surname_of(father.name)
        return self.add(acc, acc.people.person(acc.community, born=born, surname=surname))

    # -- one house ----------------------------------------------------------------

    def ownership_start(self, house: House) -> dt.date:
        assert house.handover_date is not None
        return house.handover_date + dt.timedelta(days=self.rng.randint(0, 90))

    def owners(
        self, acc: _Community, house: House, *, resident: bool, ages: tuple[int, int] = (68, 26)
    ) -> tuple[int, dt.date]:
        """The current owner (and maybe a co-owner) of a house, with a resale in some histories."""
        rng = self.rng
        start = self.ownership_start(house)
        recent = rng.random() < (0.3 if house.status == HouseStatus.RENOVATING else 0.025)
        resold = recent or rng.random() < 0.06
        if resold:
            first_owner = self.adult(acc, 75, 35)
            sold = (
                self.days_ago(10, 90)
                if recent
                else start
                + dt.timedelta(days=rng.randint(365, max(366, (self.today - start).days - 120)))
            )
            self.occupy(acc, first_owner, house, OccupancyRole.OWNER, start, sold, primary=True)
            start = sold + dt.timedelta(days=1)
        owner = self.adult(acc, *ages)
        self.occupy(acc, owner, house, OccupancyRole.OWNER, start, primary=True)
        if recent:
            acc.tags[owner].add("new_resident")
        if not resident and rng.random() < 0.35:
            co = self.spouse_of(acc, owner)
            self.occupy(acc, co, house, OccupancyRole.CO_OWNER, start)
        return owner, start

    def residence(self, acc: _Community, house: House) -> None:
        rng = self.rng
        if house.status == HouseStatus.UNSOLD:
            return
        if house.status != HouseStatus.OCCUPIED:
            owner, _start = self.owners(acc, house, resident=False)
            if house.status == HouseStatus.CUSTODY:
                acc.tags[owner].add("custody")
            elif house.status == HouseStatus.RENOVATING:
                acc.tags[owner].add("renovating")
            return
        if rng.random() < 0.12:
            self.rented(acc, house)
            return
        kind = rng.choices(
            ("family", "couple", "three_gen", "elderly_couple", "elderly_alone", "single"),
            weights=(40, 18, 12, 10, 6, 14),
        )[0]
        elderly = kind in {"elderly_couple", "elderly_alone"}
        owner, start = self.owners(
            acc, house, resident=True, ages=(88, 68) if elderly else (62, 26)
        )
        acc.resident_owners.append(owner)
        members: list[int] = []
        if kind == "elderly_alone":
            acc.elderly_alone.append(owner)
            acc.tags[owner].add("elderly_alone")
        elif kind == "single":
            pass
        else:
            spouse = self.spouse_of(acc, owner)
            role = OccupancyRole.CO_OWNER if rng.random() < 0.5 else OccupancyRole.FAMILY
            self.occupy(acc, spouse, house, role, start)
            members.append(spouse)
            if kind in {"family", "three_gen"}:
                acc.family_owners.append(owner)
                for _child in range(rng.choice((1, 1, 1, 2, 2))):
                    child = self.child_of(acc, [owner, spouse])
                    self.occupy(acc, child, house, OccupancyRole.FAMILY, start)
                    members.append(child)
            if kind == "three_gen":
                for _elder in range(rng.choice((1, 2))):
                    elder = self.adult(acc, 92, 70)
                    self.occupy(acc, elder, house, OccupancyRole.FAMILY, start)
                    members.append(elder)
        acc.households[owner] = members
        if rng.random() < 0.09:
            acc.tags[owner].add("pet_owner")

    def rented(self, acc: _Community, house: House) -> None:
        rng = self.rng
        if acc.resident_owners and rng.random() < 0.3:
            # Someone living here also owns this flat and lets it out.
            owner = rng.choice(acc.resident_owners)
            self.occupy(
                acc, owner, house, OccupancyRole.OWNER, self.ownership_start(house), primary=False
            )
        else:
            owner, _start = self.owners(acc, house, resident=False)
        start = self.days_ago(15, 1000)
        if rng.random() < 0.4:
            before = self.adult(acc, 50, 22)
            gone = start - dt.timedelta(days=rng.randint(1, 30))
            began = gone - dt.timedelta(days=rng.randint(180, 720))
            self.occupy(acc, before, house, OccupancyRole.TENANT, began, gone, primary=True)
        tenant = self.adult(acc, 48, 22)
        ends = start + dt.timedelta(days=365 * rng.choice((1, 2))) if rng.random() < 0.3 else None
        if ends and ends < self.today:
            ends = None
        self.occupy(acc, tenant, house, OccupancyRole.TENANT, start, ends, primary=True)
        if (self.today - start).days < 90:
            acc.tags[tenant].add("new_resident")
        for _mate in range(rng.choice((0, 0, 1, 2))):
            mate = self.adult(acc, 48, 20)
            self.occupy(acc, mate, house, OccupancyRole.FAMILY, start, ends)

    def shop(self, acc: _Community, house: House) -> None:
        rng = self.rng
        if house.status == HouseStatus.UNSOLD:
            return
        start = self.ownership_start(house)
        if rng.random() < 0.5:
            owner = self.add(acc, self.organisation(acc, house))
        else:
            owner = self.adult(acc, 65, 30)
        self.occupy(acc, owner, house, OccupancyRole.OWNER, start, primary=True)
        if (
            house.status == HouseStatus.OCCUPIED
            and acc.customers[owner].kind == CustomerKind.PERSON
        ):
            tenant = self.add(acc, self.organisation(acc, house))
            self.occupy(
                acc, tenant, house, OccupancyRole.TENANT, self.days_ago(30, 1500), primary=True
            )

    SHOP_TRADES = (
        "便利店",
        "烘焙坊",
        "水果店",
        "药房",
        "洗衣店",
        "美发店",
        "餐饮店",
        "茶叶店",
        "宠物医院",
        "房产经纪",
    )
    OFFICE_TRADES = ("教育培训", "设计工作室", "会计服务", "健康管理")
    SHOP_BRANDS = (
        "翠湖",
        "湖畔",
        "文三",
        "鑫隆",
        "佳乐",
        "百汇",
        "康宁",
        "海川",
        "德源",
        "瑞丰",
        "西溪",
        "青禾",
    )

    def organisation(self, acc: _Community, house: House) -> Customer:
        rng = self.rng
        trades = self.SHOP_TRADES if house.kind == HouseKind.SHOP else self.OFFICE_TRADES
        name = f"杭州{rng.choice(self.SHOP_BRANDS)}{rng.choice(trades)}有限公司"
        customer = Customer(community=acc.community, kind=CustomerKind.ORGANISATION, name=name)
        customer.name_pinyin, customer.name_initials = name_keys(name)
        _apply_identity(customer, IdType.CREDIT_CODE, credit_code(rng, "330106"))
        customer.work_unit = name
        _apply_phone(customer, acc.people.mobile())
        return customer

    def parking(self, acc: _Community, house: House) -> None:
        if house.status == HouseStatus.UNSOLD or not acc.resident_owners:
            return
        owner = self.rng.choice(acc.resident_owners)
        if owner in acc.parking_of and self.rng.random() < 0.8:
            owner = self.rng.choice(acc.resident_owners)
        self.occupy(acc, owner, house, OccupancyRole.OWNER, self.days_ago(30, 2000), primary=True)
        acc.parking_of.setdefault(owner, house.label)

    # -- the rest -------------------------------------------------------------------

    def classify(self, acc: _Community) -> None:
        """Classes for proactive service (R-CUS-2), beyond those the households implied."""
        rng = self.rng
        owners = acc.resident_owners
        for code, share in (
            ("in_arrears", 0.05),
            ("frequent_complainant", 0.015),
            ("key_customer", 0.02),
        ):
            for index in rng.sample(owners, k=round(len(owners) * share)):
                acc.tags[index].add(code)
        for index in rng.sample(owners, k=min(len(owners), 7)):
            acc.tags[index].update({"committee", "key_customer"})
        adults = [
            i
            for i, c in enumerate(acc.customers)
            if c.kind == CustomerKind.PERSON and c.phone_cipher
        ]
        for index in rng.sample(adults, k=len(adults) // 120):
            acc.tags[index].add("disabled")

    def build(self, community: Community, people: PeopleFactory) -> _Community:
        acc = _Community(community=community, people=people)
        houses = list(
            House.objects.filter(community=community).select_related("building").order_by("id")
        )
        for house in houses:
            if house.kind == HouseKind.RESIDENCE:
                self.residence(acc, house)
        for house in houses:
            if house.kind in {HouseKind.SHOP, HouseKind.OFFICE}:
                self.shop(acc, house)
            elif house.kind == HouseKind.PARKING:
                self.parking(acc, house)
        self.classify(acc)
        return acc


def _surname_of(name: str) -> str:
    compound = {s for s, _w in SURNAMES if len(s) == 2}
    return name[:2] if name[:2] in compound else name[:1]


def _local_time(day: dt.date, tz: ZoneInfo, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=tz).astimezone(dt.UTC)


def build_customers(ctx: DemoContext) -> dict[str, int]:
    """Create the people of every demo community; returns counts per kind of row."""
    rng = ctx.rng = seeded("customers")
    builder = CustomerBuilder(ctx)
    created = Tag.objects.bulk_create(
        Tag(company=ctx.company, code=code, name=name, is_class=is_class, color=color)
        for code, name, is_class, color in TAGS
    )
    tags = {t.code: t for t in created}
    counts: dict[str, int] = defaultdict(int)
    staff = ctx.staff
    owners_by_login: dict[str, Customer] = {}
    with translation.override("zh-hans"):
        for community in ctx.communities:
            people = PeopleFactory(seeded(f"customers:{community.code}"), ctx.today)
            acc = builder.build(community, people)
            tz = community.tzinfo
            first_seen: dict[int, dt.date] = {}
            for index, _h, _r, start, _e, _p in acc.occupancies:
                if index not in first_seen or start < first_seen[index]:
                    first_seen[index] = start
            for index, customer in enumerate(acc.customers):
                customer.created_at = _local_time(first_seen.get(index, ctx.today), tz, 9)
                customer.accepts_parcels = rng.random() < 0.6
            customers = Customer.objects.bulk_create(acc.customers, batch_size=500)
            occupancies = Occupancy.objects.bulk_create(
                (
                    Occupancy(
                        community=community,
                        house=house,
                        customer=customers[index],
                        role=role,
                        start_date=start,
                        end_date=end,
                        is_primary_contact=primary,
                    )
                    for index, house, role, start, end, primary in acc.occupancies
                ),
                batch_size=1000,
            )
            timeline = []
            for occ in occupancies:
                timeline.append(
                    TimelineEntry(
                        community=community,
                        customer=occ.customer,
                        house=occ.house,
                        kind="occupancy.added",
                        at=_local_time(occ.start_date, tz),
                        title=_("%(role)s of %(house)s from %(start)s")
                        % {
                            "role": occ.get_role_display(),
                            "house": occ.house.label,
                            "start": occ.start_date,
                        },
                    )
                )
                if occ.end_date and occ.end_date <= ctx.today:
                    timeline.append(
                        TimelineEntry(
                            community=community,
                            customer=occ.customer,
                            house=occ.house,
                            kind="occupancy.ended",
                            at=_local_time(occ.end_date, tz, 16),
                            title=_("%(role)s of %(house)s until %(end)s")
                            % {
                                "role": occ.get_role_display(),
                                "house": occ.house.label,
                                "end": occ.end_date,
                            },
                        )
                    )
            CustomerTag.objects.bulk_create(
                (
                    CustomerTag(customer=customers[index], tag=tags[code], added_at=ctx.now)
                    for index, codes in sorted(acc.tags.items())
                    for code in sorted(codes)
                ),
                batch_size=1000,
            )
            counts["customer tags"] += sum(len(codes) for codes in acc.tags.values())
            # Vehicles of resident households, parked in their own space when they have one.
            plates: set[str] = set()
            vehicles = []
            for index in acc.resident_owners:
                for _car in range(rng.choices((0, 1, 2), weights=(57, 35, 8))[0]):
                    plate, nev = licence_plate(rng)
                    if plate in plates:
                        continue
                    plates.add(plate)
                    model = rng.choice(NEV_MODELS if nev else CAR_MODELS)
                    vehicles.append(
                        Vehicle(
                            community=community,
                            customer=customers[index],
                            plate=plate,
                            description=f"{rng.choice(CAR_COLOURS)} {model}",
                            parking_space=acc.parking_of.get(index, ""),
                        )
                    )
            Vehicle.objects.bulk_create(vehicles, batch_size=1000)
            # Emergency contacts of elderly people living alone, a few e-mail addresses.
            contacts = []
            for index in acc.elderly_alone:
                phone = people.mobile()
                contacts.append(
                    ContactPoint(
                        customer=customers[index],
                        kind=ContactKind.EMERGENCY,
                        label=rng.choice(("女儿", "儿子", "侄女", "邻居")),
                        value_cipher=encrypt(phone),
                        value_masked=mask_phone(phone),
                    )
                )
            for index in rng.sample(acc.resident_owners, k=len(acc.resident_owners) // 20):
                local = customers[index].name_pinyin or "owner"
                email = f"{local}{rng.randrange(10, 99)}@example.com"
                contacts.append(
                    ContactPoint(
                        customer=customers[index],
                        kind=ContactKind.EMAIL,
                        value_cipher=encrypt(email),
                        value_masked=email[:1] + "***@example.com",
                    )
                )
            ContactPoint.objects.bulk_create(contacts, batch_size=1000)
            # Notes the desk and the stewards wrote.
            authors = [
                u
                for login, u in staff.items()
                if login in {"desk", "steward", "supervisor", "desk2", "steward2"}
            ]
            authors = [a for a in authors if a.scopes.filter(community=community).exists()] or [
                staff["admin"]
            ]
            notes = []
            for index, codes in sorted(acc.tags.items()):
                for code in sorted(codes & NOTES_BY_TAG.keys()):
                    if rng.random() < 0.6:
                        notes.append(
                            (index, NOTES_BY_TAG[code], code in {"elderly_alone", "disabled"})
                        )
            for index in rng.sample(acc.resident_owners, k=len(acc.resident_owners) // 40):
                notes.append((index, rng.choice(GENERIC_NOTES), False))
            Note.objects.bulk_create(
                Note(
                    customer=customers[index],
                    author=rng.choice(authors),
                    body=body,
                    pinned=pinned,
                    created_at=ctx.now
                    - dt.timedelta(days=rng.randint(1, 180), minutes=rng.randint(0, 600)),
                )
                for index, body, pinned in notes
            )
            TimelineEntry.objects.bulk_create(timeline, batch_size=1000)
            counts["customers"] += len(customers)
            counts["occupancies"] += len(occupancies)
            counts["vehicles"] += len(vehicles)
            counts["contacts"] += len(contacts)
            counts["notes"] += len(notes)
            counts["timeline entries"] += len(timeline)
            # Owner logins (the portal comes later): a family owner, an owner with a parking
            # space, and one of the second community.
            if community == ctx.main:
                owners_by_login["owner"] = customers[(acc.family_owners or acc.resident_owners)[0]]
                with_car = [i for i in acc.resident_owners if i in acc.parking_of]
                owners_by_login["owner2"] = customers[(with_car or acc.resident_owners)[0]]
            else:
                owners_by_login.setdefault(
                    "owner3", customers[(acc.family_owners or acc.resident_owners)[0]]
                )
    password = make_password(PASSWORD)
    logins = User.objects.bulk_create(
        User(
            username=login,
            password=password,
            kind=UserKind.OWNER,
            display_name=customer.name,
            date_joined=ctx.now,
        )
        for login, customer in owners_by_login.items()
    )
    OwnerAccount.objects.bulk_create(
        OwnerAccount(user=user, customer=owners_by_login[user.username], verified_at=ctx.now)
        for user in logins
    )
    ctx.owners = {user.username: user for user in logins}
    ctx.say(
        ", ".join(f"{n} {label}" for label, n in counts.items())
        + f", {len(tags)} tags, {len(logins)} owner logins"
    )
    return dict(counts)
