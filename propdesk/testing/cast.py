"""The named cast every authorization test uses (after healthchecks' Alice/Bob).

Two communities of one company, *Alpha* (A) and *Beta* (B):

| name        | who                                                         |
|-------------|-------------------------------------------------------------|
| desk_a      | front-desk agent of A (customers.manage, no full PII)      |
| steward_a   | steward of A (may see full PII)                             |
| tech_a      | technician of A (may view, not change customers)            |
| desk_b      | front-desk agent of B (staff of another community)          |
| director_a  | management-office director of A                             |
| admin       | company administrator (every community)                     |
| owner_alice | owner account of customer Alice, house 1-1-101 in A        |
| owner_bob   | owner account of customer Bob, house 1-1-102 in A          |
| supervisor_a| customer-service supervisor of A (configures, approves)     |
| maint_head_a| head of A's maintenance department (dispatches, handles)    |
| tech_a2     | second technician of A's maintenance department             |
| cashier_a   | cashier of A                                                 |

Departments of A: `cs_dept_a` (customer service), `maint_dept_a` (maintenance),
`security_dept_a` (security); `tech_a` and `tech_a2` belong to maintenance.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from propdesk.accounts.models import Department, StaffScope, User, UserKind
from propdesk.accounts.roles import DepartmentKind, Role
from propdesk.customers.models import (
    Customer,
    CustomerKind,
    IdType,
    Occupancy,
    OccupancyRole,
    OwnerAccount,
)
from propdesk.customers.services import _apply_identity, _apply_phone, name_keys
from propdesk.estates.models import Building, Community, Company, House, HouseStatus

PASSWORD = "demo-pass-123"  # noqa: S105

# Valid test ID numbers (correct GB 11643 check digits).
ALICE_ID = "11010519491231002X"
BOB_ID = "110101199003074477"


@dataclass
class Cast:
    company: Company
    alpha: Community
    beta: Community
    building_a: Building
    building_b: Building
    house_a1: House
    house_a2: House
    house_b1: House
    alice: Customer
    bob: Customer
    carol_b: Customer
    desk_a: User
    steward_a: User
    tech_a: User
    director_a: User
    desk_b: User
    admin: User
    owner_alice: User
    owner_bob: User
    supervisor_a: User
    maint_head_a: User
    tech_a2: User
    cashier_a: User
    cs_dept_a: Department
    maint_dept_a: Department
    security_dept_a: Department


def _staff(
    username: str,
    role: str,
    *communities: Community,
    company: Company,
    all_communities: bool = False,
    department: Department | None = None,
) -> User:
    user = User.objects.create_user(
        username=username,
        password=PASSWORD,
        kind=UserKind.STAFF,
        role=role,
        display_name=username,
        company=company,
        all_communities=all_communities,
        department=department,
    )
    for community in communities:
        StaffScope.objects.create(user=user, community=community)
    return user


def _customer(community: Community, name: str, id_number: str, phone: str) -> Customer:
    c = Customer(community=community, kind=CustomerKind.PERSON, name=name)
    c.name_pinyin, c.name_initials = name_keys(name)
    _apply_identity(c, IdType.PRC_RESIDENT, id_number)
    _apply_phone(c, phone)
    c.save()
    return c


def house_in(
    building: Building,
    room: str,
    *,
    area: Decimal = Decimal("89.50"),
    status: str = HouseStatus.OCCUPIED,
) -> House:
    """House `room` of unit 1 of `building`, labelled like the cast's ("1-1-101")."""
    return House.objects.create(
        community=building.community,
        building=building,
        unit="1",
        room=room,
        label=f"{building.code}-1-{room}",
        floor=int(room[:-2]),
        area=area,
        status=status,
    )


def make_cast() -> Cast:
    company = Company.objects.create(code="acme", name="示例物业集团")
    alpha = Community.objects.create(company=company, code="A", name="阿尔法小区")
    beta = Community.objects.create(company=company, code="B", name="贝塔小区")
    building_a = Building.objects.create(community=alpha, code="1", name="1栋", floors=20, units=2)
    building_b = Building.objects.create(community=beta, code="1", name="1栋", floors=20, units=2)

    house_a1, house_a2, house_b1 = (
        house_in(building_a, "101"),
        house_in(building_a, "102"),
        house_in(building_b, "101"),
    )
    alice = _customer(alpha, "张伟", ALICE_ID, "+8613812345678")
    bob = _customer(alpha, "李娜", BOB_ID, "+8613987654321")
    carol_b = _customer(beta, "王芳", "110101198001010010", "+8615011112222")
    for customer, home in ((alice, house_a1), (bob, house_a2), (carol_b, house_b1)):
        Occupancy.objects.create(
            community=home.community,
            house=home,
            customer=customer,
            role=OccupancyRole.OWNER,
            start_date="2020-01-01",
            is_primary_contact=True,
        )
    owner_alice = User.objects.create_user(username="alice", password=PASSWORD, kind=UserKind.OWNER)
    owner_bob = User.objects.create_user(username="bob", password=PASSWORD, kind=UserKind.OWNER)
    OwnerAccount.objects.create(user=owner_alice, customer=alice)
    OwnerAccount.objects.create(user=owner_bob, customer=bob)

    def dept(kind: str, name: str) -> Department:
        return Department.objects.create(company=company, community=alpha, kind=kind, name=name)

    cs_dept_a = dept(DepartmentKind.CUSTOMER_SERVICE, "客服中心")
    maint_dept_a = dept(DepartmentKind.MAINTENANCE, "工程维修部")
    security_dept_a = dept(DepartmentKind.SECURITY, "秩序维护部")
    return Cast(
        company=company,
        alpha=alpha,
        beta=beta,
        building_a=building_a,
        building_b=building_b,
        house_a1=house_a1,
        house_a2=house_a2,
        house_b1=house_b1,
        alice=alice,
        bob=bob,
        carol_b=carol_b,
        desk_a=_staff("desk_a", Role.FRONT_DESK, alpha, company=company),
        steward_a=_staff("steward_a", Role.STEWARD, alpha, company=company),
        tech_a=_staff("tech_a", Role.TECHNICIAN, alpha, company=company, department=maint_dept_a),
        director_a=_staff("director_a", Role.DIRECTOR, alpha, company=company),
        desk_b=_staff("desk_b", Role.FRONT_DESK, beta, company=company),
        admin=_staff("admin", Role.COMPANY_ADMIN, company=company, all_communities=True),
        owner_alice=owner_alice,
        owner_bob=owner_bob,
        supervisor_a=_staff(
            "supervisor_a", Role.CS_SUPERVISOR, alpha, company=company, department=cs_dept_a
        ),
        maint_head_a=_staff(
            "maint_head_a", Role.DEPARTMENT_HEAD, alpha, company=company, department=maint_dept_a
        ),
        tech_a2=_staff("tech_a2", Role.TECHNICIAN, alpha, company=company, department=maint_dept_a),
        cashier_a=_staff("cashier_a", Role.CASHIER, alpha, company=company),
        cs_dept_a=cs_dept_a,
        maint_dept_a=maint_dept_a,
        security_dept_a=security_dept_a,
    )


def other_company(name: str = "张伟") -> tuple[Community, House]:
    """Another company's community γ with a house 1-1-101 (room 101) where `name` lives,
    as in alpha: what scope tests must never let through."""
    other = Company.objects.create(code="other", name="别家物业")
    gamma = Community.objects.create(company=other, code="G", name="伽马小区")
    building = Building.objects.create(community=gamma, code="1", name="1栋", floors=20, units=2)
    home = house_in(building, "101", area=Decimal("80.00"))
    stranger = _customer(gamma, name, "110101198001010010", "+8613900005678")
    Occupancy.objects.create(
        community=gamma, house=home, customer=stranger, role="owner", start_date="2020-01-01"
    )
    return gamma, home
