"""Staff administration: company admins only, scoped to their company, audited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from propdesk.accounts.models import StaffScope, User
from propdesk.accounts.roles import Role
from propdesk.accounts.selectors import community_ids_for, staff_visible_to
from propdesk.accounts.services import (
    staff_create,
    staff_scope_grant,
    staff_scope_revoke,
    staff_update_role,
)
from propdesk.core.audit import audit_trail
from propdesk.core.errors import Conflict, Forbidden, Invalid, NotFound
from propdesk.core.models import AuditAction, AuditEvent
from propdesk.estates.models import Community, Company
from propdesk.testing.counts import row_counts

NOW = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)
GOOD_PASSWORD = "lake-view-2026!"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def maintenance(cast):
    return cast.maint_dept_a


def make_tech(cast, maintenance, **extra):
    data = {
        "actor": cast.admin,
        "username": "tech_new",
        "password": GOOD_PASSWORD,
        "display_name": "孙师傅",
        "role": Role.TECHNICIAN,
        "department_id": maintenance.id,
        "community_ids": [cast.alpha.id],
        "now": NOW,
    }
    data.update(extra)
    return staff_create(**data)


def test_admin_creates_staff_with_role_department_and_scope_audited(cast, maintenance):
    tech = make_tech(cast, maintenance)
    assert tech.check_password(GOOD_PASSWORD)
    assert (tech.role, tech.department, tech.company) == (
        Role.TECHNICIAN,
        maintenance,
        cast.company,
    )
    assert community_ids_for(tech) == [cast.alpha.id]
    [created] = audit_trail(tech)
    assert created.action == AuditAction.CREATE
    assert created.actor == cast.admin
    assert created.at == NOW
    assert created.changes["role"] == [None, "technician"]
    [scope_event] = AuditEvent.objects.filter(object_type="accounts.staffscope")
    assert scope_event.community_id == cast.alpha.id
    assert scope_event.changes["username"] == [None, "tech_new"]
    # The new colleague appears in the staff list of the community.
    assert tech in staff_visible_to(cast.desk_a)
    assert tech not in staff_visible_to(cast.desk_b)


def test_staff_create_refuses_bad_input_naming_each_field_and_writes_nothing(cast, maintenance):
    before = row_counts()
    with pytest.raises(Invalid) as exc:
        make_tech(
            cast,
            maintenance,
            username="desk_a",
            password="123",
            display_name="",
            role="janitor",
            department_id=999999,
            community_ids=[],
        )
    assert set(exc.value.errors) == {
        "username",
        "password",
        "display_name",
        "role",
        "department_id",
        "community_ids",
    }
    assert row_counts() == before


def test_only_company_admins_manage_staff(cast, maintenance):
    for actor in (cast.director_a, cast.desk_a, cast.owner_alice):
        with pytest.raises(Forbidden):
            make_tech(cast, maintenance, actor=actor)
        with pytest.raises(Forbidden):
            staff_scope_grant(actor=actor, user_id=cast.desk_a.id, community_id=cast.beta.id)
        with pytest.raises(Forbidden):
            staff_update_role(actor=actor, user_id=cast.desk_a.id, role=Role.STEWARD)
    assert not StaffScope.objects.filter(user=cast.desk_a, community=cast.beta).exists()


def test_admin_of_another_company_cannot_touch_our_staff_or_communities(cast, maintenance):
    other = Company.objects.create(code="rival", name="别家物业")
    Community.objects.create(company=other, code="R", name="别家小区")
    rival_admin = User.objects.create_user(
        username="rival", password="x", role=Role.COMPANY_ADMIN, company=other, all_communities=True
    )
    with pytest.raises(NotFound):
        staff_update_role(actor=rival_admin, user_id=cast.desk_a.id, role=Role.STEWARD)
    with pytest.raises(NotFound):
        make_tech(cast, maintenance, actor=rival_admin)  # alpha is not theirs
    with pytest.raises(NotFound):
        staff_scope_grant(actor=cast.admin, user_id=rival_admin.id, community_id=cast.alpha.id)


def test_scope_grant_and_revoke_are_audited_and_take_effect(cast):
    assert community_ids_for(cast.desk_a) == [cast.alpha.id]
    staff_scope_grant(actor=cast.admin, user_id=cast.desk_a.id, community_id=cast.beta.id, now=NOW)
    fresh = User.objects.get(pk=cast.desk_a.pk)
    assert sorted(community_ids_for(fresh)) == sorted([cast.alpha.id, cast.beta.id])
    with pytest.raises(Invalid) as exc:
        staff_scope_grant(actor=cast.admin, user_id=cast.desk_a.id, community_id=cast.beta.id)
    assert list(exc.value.errors) == ["community_id"]

    staff_scope_revoke(
        actor=cast.admin, user_id=cast.desk_a.id, community_id=cast.alpha.id, now=NOW
    )
    fresh = User.objects.get(pk=cast.desk_a.pk)
    assert community_ids_for(fresh) == [cast.beta.id]
    with pytest.raises(Invalid):
        staff_scope_revoke(actor=cast.admin, user_id=cast.desk_a.id, community_id=cast.alpha.id)

    events = list(AuditEvent.objects.filter(object_type="accounts.staffscope").order_by("id"))
    assert [(e.action, e.community_id) for e in events] == [
        (AuditAction.CREATE, cast.beta.id),
        (AuditAction.DELETE, cast.alpha.id),
    ]
    assert events[1].changes["username"] == ["desk_a", None]
    assert all(e.actor == cast.admin and e.at == NOW for e in events)


def test_scope_of_unknown_community_is_not_found(cast):
    with pytest.raises(NotFound):
        staff_scope_grant(actor=cast.admin, user_id=cast.desk_a.id, community_id=999999)
    with pytest.raises(NotFound):
        staff_scope_grant(actor=cast.admin, user_id=999999, community_id=cast.beta.id)


def test_role_change_is_audited_with_before_and_after(cast, maintenance):
    staff_update_role(
        actor=cast.admin,
        user_id=cast.desk_a.id,
        role=Role.CS_SUPERVISOR,
        department_id=maintenance.id,
        now=NOW,
    )
    [event] = audit_trail(cast.desk_a)
    assert event.changes == {
        "role": ["front_desk", "cs_supervisor"],
        "department": [None, maintenance.id],
    }
    # Department left alone when not given.
    staff_update_role(actor=cast.admin, user_id=cast.desk_a.id, role=Role.STEWARD)
    cast.desk_a.refresh_from_db()
    assert (cast.desk_a.role, cast.desk_a.department) == (Role.STEWARD, maintenance)


def test_bad_role_is_refused_and_admin_cannot_change_own_role(cast):
    with pytest.raises(Invalid) as exc:
        staff_update_role(actor=cast.admin, user_id=cast.desk_a.id, role="king")
    assert list(exc.value.errors) == ["role"]
    with pytest.raises(Conflict):
        staff_update_role(actor=cast.admin, user_id=cast.admin.id, role=Role.FRONT_DESK)
    cast.admin.refresh_from_db()
    assert cast.admin.role == Role.COMPANY_ADMIN
    assert audit_trail(cast.admin) == []
