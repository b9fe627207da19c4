"""`community_filter`: the communities a user may see, as the one query filter every
selector uses (accounts.selectors). One community is an equality, several an IN
list, a company's all-communities staff a subquery on their company that is never
dropped, a superuser no filter at all; a community outside the scope is no rows."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q

from propdesk.accounts.models import StaffScope, User, UserKind
from propdesk.accounts.selectors import (
    community_filter,
    community_ids_for,
    forget_scope_cache,
    serves_whole_company,
)
from propdesk.customers.search import quick_search
from propdesk.customers.selectors import customers_visible_to
from propdesk.estates.models import Building, Community, House
from propdesk.testing.cast import house_in, other_company


def _root() -> User:
    return User.objects.create_superuser(username="root", password="x", kind=UserKind.STAFF)


def _house_communities(q: Q) -> set[int]:
    return set(House.objects.filter(q).values_list("community_id", flat=True))


def test_one_community_is_a_plain_equality_on_the_named_field(cast):
    assert community_filter(cast.desk_a) == Q(community_id=cast.alpha.pk)
    assert community_filter(cast.desk_a, "house__community_id") == Q(
        house__community_id=cast.alpha.pk
    )
    assert _house_communities(community_filter(cast.desk_a)) == {cast.alpha.pk}


def test_several_communities_are_one_in_list(cast):
    StaffScope.objects.create(user=cast.desk_a, community=cast.beta)
    forget_scope_cache(cast.desk_a)
    q = community_filter(cast.desk_a)
    [(lookup, ids)] = q.children
    assert lookup == "community_id__in"
    assert sorted(ids) == sorted([cast.alpha.pk, cast.beta.pk])
    assert _house_communities(q) == {cast.alpha.pk, cast.beta.pk}


def test_a_chosen_community_is_an_equality_for_a_group_wide_user_too(cast):
    assert community_filter(cast.admin, community_id=cast.beta.pk) == Q(community_id=cast.beta.pk)


def test_all_communities_staff_get_their_company_never_another_companys(cast):
    """The company's staff are filtered by a subquery on their company, not a list of
    ids, and never by nothing: not even while theirs is the only company, because a
    cached "only company" goes stale when another company's community appears."""
    assert community_ids_for(cast.admin)  # the scope is now cached on the user
    q = community_filter(cast.admin)
    assert q != Q()
    assert "IN (SELECT" in str(House.objects.filter(q).query)
    gamma, _ = other_company()
    delta = Community.objects.create(company=cast.company, code="D", name="德尔塔小区")
    building = Building.objects.create(community=delta, code="1", name="1栋", floors=9, units=1)
    house_in(building, "101")
    seen = _house_communities(community_filter(cast.admin))
    assert gamma.pk not in seen
    # The database decides, so even the company's newest community is in.
    assert seen == {cast.alpha.pk, cast.beta.pk, delta.pk}


def test_superuser_has_no_filter_and_sees_every_company(cast):
    gamma, _ = other_company()
    root = _root()
    assert community_filter(root) == Q()
    assert _house_communities(community_filter(root)) == {
        cast.alpha.pk,
        cast.beta.pk,
        gamma.pk,
    }


@pytest.mark.parametrize("who", ["desk_a", "admin", "root"])
def test_a_community_outside_the_scope_is_no_rows_without_a_query(
    cast, django_assert_num_queries, who
):
    gamma, _ = other_company()
    user = _root() if who == "root" else getattr(cast, who)
    outside = cast.beta.pk if who == "desk_a" else -1
    if who == "admin":
        outside = gamma.pk
    community_ids_for(user)  # warm the request cache
    with django_assert_num_queries(0):
        q = community_filter(user, community_id=outside)
        assert list(House.objects.filter(q)) == []


def test_owners_anonymous_and_inactive_staff_see_no_rows(cast):
    cast.desk_b.is_active = False
    for user in (cast.owner_alice, AnonymousUser(), cast.desk_b):
        assert not House.objects.filter(community_filter(user)).exists()
        assert not House.objects.filter(community_filter(user, community_id=cast.alpha.pk)).exists()


def test_the_filter_costs_one_request_cached_query(cast, django_assert_num_queries):
    for user in (cast.desk_a, cast.admin):
        with django_assert_num_queries(1):
            community_filter(user)
        with django_assert_num_queries(0):
            community_filter(user)
            community_filter(user, "house__community_id", community_id=cast.alpha.pk)


def test_whole_company_is_superusers_and_all_communities_staff(cast):
    assert serves_whole_company(cast.admin)
    assert serves_whole_company(_root())
    for who in ("desk_a", "director_a", "owner_alice"):
        assert not serves_whole_company(getattr(cast, who)), who
    assert not serves_whole_company(AnonymousUser())


def test_customer_list_and_search_agree_for_a_group_wide_user_with_a_second_company(cast):
    """Both read `community_filter`: the company's administrator finds the same 张伟 in
    the customer list and in the one box, and neither shows the other company's 张伟,
    whether the scope was cached before that company existed or read afresh."""
    warm = cast.admin
    quick_search(warm, "张伟")  # scope cached while acme is the only company
    list(customers_visible_to(warm))
    gamma, _ = other_company()
    fresh = User.objects.get(pk=cast.admin.pk)
    for admin in (warm, fresh):
        listed = {c.pk for c in customers_visible_to(admin, query="张伟")}
        found = {h.customer_id for h in quick_search(admin, "张伟")}
        assert listed == found == {cast.alice.pk}
        assert not customers_visible_to(admin).filter(community=gamma).exists()
        houses = {(h.community_id, h.house_label) for h in quick_search(admin, "1-1-101")}
        assert gamma.pk not in {community for community, _ in houses}
    # A superuser sees every company, in both places alike.
    root = _root()
    listed = {c.pk for c in customers_visible_to(root, query="张伟")}
    found = {h.customer_id for h in quick_search(root, "张伟")}
    assert listed == found
    assert len(listed) == 2


def test_search_still_checks_rows_in_python_when_the_query_has_no_filter(cast):
    """A superuser's search carries no community filter; the ids cached for the request
    are still the truth, so a row the query returns outside them is dropped."""
    root = _root()
    assert community_filter(root) == Q()
    root._propdesk_community_ids = [cast.alpha.pk]  # stale on purpose: beta left out
    hits = quick_search(root, "1-1-101")
    assert {h.community_id for h in hits} == {cast.alpha.pk}
    assert hits
