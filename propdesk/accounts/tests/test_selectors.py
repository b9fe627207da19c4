"""Who serves which community and may do what: the one place scoping is decided."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from propdesk.accounts.models import User, UserKind
from propdesk.accounts.roles import ROLE_CAPABILITIES, Cap, Role
from propdesk.accounts.selectors import (
    SESSION_COMMUNITY_KEY,
    communities_visible_to,
    community_ids_for,
    current_community,
    require,
    user_can,
)
from propdesk.core.errors import Forbidden


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("desk_a", ["A"]),
        ("desk_b", ["B"]),
        ("admin", ["A", "B"]),
        ("owner_alice", []),
    ],
)
def test_communities_visible_matrix(cast, who, expected):
    assert [c.code for c in communities_visible_to(getattr(cast, who))] == expected


def test_anonymous_inactive_and_owner_accounts_serve_no_community(cast):
    assert community_ids_for(AnonymousUser()) == []
    cast.desk_a.is_active = False
    assert community_ids_for(cast.desk_a) == []
    # An owner login carrying a staff role by mistake still gets nothing staff-side.
    cast.owner_alice.role = Role.DIRECTOR
    assert community_ids_for(cast.owner_alice) == []
    assert not user_can(cast.owner_alice, Cap.CUSTOMERS_VIEW)


def test_superuser_sees_every_company(cast):
    from propdesk.estates.models import Community, Company

    other = Company.objects.create(code="o", name="o")
    Community.objects.create(company=other, code="Z", name="z")
    root = User.objects.create_superuser(username="root", password="x", kind=UserKind.STAFF)
    assert [c.code for c in communities_visible_to(root)] == ["A", "B", "Z"]
    assert [c.code for c in communities_visible_to(User.objects.get(pk=cast.admin.pk))] == [
        "A",
        "B",
    ]


def test_capability_table_pii_only_for_roles_that_need_it_r_cus_3(cast):
    allowed = {role for role, caps in ROLE_CAPABILITIES.items() if Cap.CUSTOMERS_VIEW_PII in caps}
    assert allowed == {Role.STEWARD, Role.CS_SUPERVISOR, Role.DIRECTOR, Role.COMPANY_ADMIN}
    assert every_role_has_a_row()
    with pytest.raises(Forbidden):
        require(cast.desk_a, Cap.CUSTOMERS_VIEW_PII)
    require(cast.steward_a, Cap.CUSTOMERS_VIEW_PII)


def every_role_has_a_row() -> bool:
    return set(ROLE_CAPABILITIES) == set(Role.values)


def test_current_community_follows_the_session_within_scope(cast):
    request = RequestFactory().get("/")
    request.user = User.objects.get(pk=cast.admin.pk)
    request.session = {}
    assert current_community(request) == cast.alpha
    request.session[SESSION_COMMUNITY_KEY] = cast.beta.id
    assert current_community(request) == cast.beta
    request.user = User.objects.get(pk=cast.desk_a.pk)
    assert current_community(request) == cast.alpha  # beta is not theirs
