"""Scoping of customer reads: staff of A never see B, the company admin sees both,
owners see nothing staff-side; the 360 view and lists in a fixed number of queries."""

from __future__ import annotations

import datetime as dt

import pytest

from propdesk.core.errors import NotFound
from propdesk.customers.selectors import (
    customer_360,
    customer_get_for_user,
    customers_list_rows,
    customers_visible_to,
    document_get_for_user,
    occupancies_visible_to,
    occupancy_get_for_user,
)
from propdesk.customers.services import (
    customer_create,
    customer_tags_set,
    occupancy_add,
    tag_ensure,
    timeline_append,
)


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("desk_a", {"张伟", "李娜"}),
        ("steward_a", {"张伟", "李娜"}),
        ("tech_a", {"张伟", "李娜"}),
        ("director_a", {"张伟", "李娜"}),
        ("desk_b", {"王芳"}),
        ("admin", {"张伟", "李娜", "王芳"}),
        ("owner_alice", set()),
        ("owner_bob", set()),
    ],
)
def test_customer_scoping_matrix_r_cus_1(cast, who, expected):
    user = getattr(cast, who)
    assert {c.name for c in customers_visible_to(user)} == expected
    assert {o.customer.name for o in occupancies_visible_to(user)} == expected


def test_staff_of_another_community_gets_not_found_for_each_customer_read(cast):
    for getter in (customer_get_for_user, customer_360):
        with pytest.raises(NotFound):
            getter(cast.desk_b, cast.alice.id)
        with pytest.raises(NotFound):
            getter(cast.owner_alice, cast.alice.id)
    occupancy = cast.alice.occupancies.get()
    with pytest.raises(NotFound):
        occupancy_get_for_user(cast.desk_b, occupancy.id)
    assert occupancy_get_for_user(cast.desk_a, occupancy.id) == occupancy
    with pytest.raises(NotFound):
        document_get_for_user(cast.desk_a, "nope")


def test_customer_living_in_a_second_community_is_visible_there_with_that_history_only(cast):
    occupancy_add(
        actor=cast.admin,
        customer_id=cast.alice.id,
        house_id=cast.house_b1.id,
        role="tenant",
        start_date="2025-01-01",
    )
    timeline_append(
        community_id=cast.alpha.id, customer_id=cast.alice.id, kind="case.created", title="A事"
    )
    view = customer_360(cast.desk_b, cast.alice.id)
    assert [o.house for o in view.occupancies] == [cast.house_b1]
    assert all(entry.community_id == cast.beta.id for entry in view.timeline)
    assert "A事" not in [e.title for e in view.timeline]
    assert "A事" in [e.title for e in customer_360(cast.desk_a, cast.alice.id).timeline]


def test_search_by_name_pinyin_initials_and_phone_last4(cast):
    def names(q):
        return {c.name for c in customers_visible_to(cast.desk_a, query=q)}

    assert names("张") == {"张伟"}
    assert names("zhangw") == {"张伟"}
    assert names("LN") == {"李娜"}
    assert names("5678") == {"张伟"}
    assert names("王") == set()  # 王芳 is in beta


def test_filter_by_tag(cast):
    tag = tag_ensure(company_id=cast.company.id, code="key", name="重点客户", is_class=True)
    customer_tags_set(actor=cast.desk_a, customer_id=cast.bob.id, tag_ids=[tag.id])
    assert list(customers_visible_to(cast.desk_a, tag_code="key")) == [cast.bob]
    assert list(customers_visible_to(cast.desk_b, tag_code="key")) == []


def test_360_shows_household_and_masks_and_pii_flag(cast):
    occupancy_add(
        actor=cast.desk_a,
        customer_id=cast.bob.id,
        house_id=cast.house_a1.id,
        role="family",
        start_date="2021-01-01",
    )
    view = customer_360(cast.desk_a, cast.alice.id)
    assert [o.house for o in view.occupancies] == [cast.house_a1]
    assert [o.customer for o in view.household] == [cast.bob]
    assert view.can_view_pii is False
    assert view.audit == []  # the desk does not see the audit trail
    assert customer_360(cast.steward_a, cast.alice.id).can_view_pii is True
    supervisor_view = customer_360(cast.director_a, cast.alice.id)
    assert supervisor_view.can_view_pii is True


def test_ended_occupancy_moves_to_the_past(cast):
    from propdesk.customers.services import occupancy_end

    occupancy = cast.alice.occupancies.get()
    occupancy_end(actor=cast.desk_a, occupancy_id=occupancy.id, end_date=dt.date(2024, 1, 1))
    view = customer_360(cast.desk_a, cast.alice.id)
    assert view.occupancies == []
    assert view.past_occupancies == [occupancy]


def test_customer_list_rows_take_a_fixed_number_of_queries(cast, django_assert_max_num_queries):
    for i in range(10):
        customer = customer_create(
            actor=cast.desk_a, community_id=cast.alpha.id, name=f"客户{i}", phone=f"1380000{i:04d}"
        )
        occupancy_add(
            actor=cast.desk_a,
            customer_id=customer.id,
            house_id=cast.house_a2.id,
            role="tenant",
            start_date="2025-01-01",
        )
    user = type(cast.desk_a).objects.get(pk=cast.desk_a.pk)  # no cached scope
    with django_assert_max_num_queries(4):
        rows = list(customers_list_rows(customers_visible_to(user)))
        labels = [[o.house.label for o in r.current_occupancies] for r in rows]
        tags = [list(r.tags.all()) for r in rows]
    assert len(rows) == 12
    assert ["1-1-102"] in labels
    assert tags


def test_customer_360_takes_a_fixed_number_of_queries(cast, django_assert_max_num_queries):
    user = type(cast.steward_a).objects.get(pk=cast.steward_a.pk)
    with django_assert_max_num_queries(10):
        customer_360(user, cast.alice.id)


def test_customer_of_another_community_living_here_is_visible_but_no_other_company(cast):
    """R-CUS-1: kept by one of my communities, or living in one of its houses."""
    from propdesk.customers.models import Occupancy
    from propdesk.estates.models import Community, Company
    from propdesk.testing.cast import _customer

    Occupancy.objects.create(
        community=cast.alpha,
        house=cast.house_a2,
        customer=cast.carol_b,
        role="tenant",
        start_date="2024-01-01",
    )
    assert "王芳" in {c.name for c in customers_visible_to(cast.desk_a)}
    assert "王芳" in {c.name for c in customers_visible_to(cast.desk_a, community_id=cast.alpha.pk)}
    other = Company.objects.create(code="other", name="别家物业")
    gamma = Community.objects.create(company=other, code="G", name="伽马小区")
    _customer(gamma, "赵六", "110101198001010010", "+8613900005678")
    for who in ("admin", "desk_a", "desk_b"):
        assert "赵六" not in {c.name for c in customers_visible_to(getattr(cast, who))}, who
    assert customers_visible_to(cast.admin, community_id=gamma.pk).count() == 0
