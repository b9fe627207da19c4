"""The one-box search (issue 3 §1): every query kind, ranking, scope, API, console."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from propdesk.customers.models import Occupancy, OccupancyRole, Vehicle
from propdesk.customers.search import RANK_EXACT, RANK_HOUSE_EXACT, house_query, quick_search
from propdesk.customers.services import customer_create
from propdesk.testing.cast import ALICE_ID, PASSWORD, other_company


@pytest.mark.parametrize(
    ("raw", "label"),
    [
        ("1-1-101", "1-1-101"),
        ("1栋1单元101", "1-1-101"),
        ("1栋1单元101室", "1-1-101"),
        ("1-101", "1-101"),
        ("3号楼2单元1801", "3-2-1801"),
        ("张伟", None),
        ("1801", None),
    ],
)
def test_house_labels_are_read_in_every_way_staff_type_them(raw, label):
    assert house_query(raw) == label


def names(hits):
    return [(h.house_label, h.customer_name) for h in hits]


def test_house_label_full_partial_and_chinese_form(cast):
    exact = quick_search(cast.desk_a, "1-1-101")
    assert names(exact) == [("1-1-101", "张伟")]
    assert exact[0].rank == RANK_HOUSE_EXACT
    assert names(quick_search(cast.desk_a, "1栋1单元101")) == [("1-1-101", "张伟")]
    assert names(quick_search(cast.desk_a, "1-102")) == [("1-1-102", "李娜")]
    # While typing: "1-1-" already lists the houses of building 1, unit 1.
    assert names(quick_search(cast.desk_a, "1-1-")) == [("1-1-101", "张伟"), ("1-1-102", "李娜")]


def test_name_in_characters_pinyin_and_initials(cast):
    for query in ("张伟", "zhangwei", "zw", "ZW", "zhang"):
        assert ("1-1-101", "张伟") in names(quick_search(cast.desk_a, query)), query


def test_exact_name_ranks_before_prefix(cast):
    customer_create(
        actor=cast.desk_a,
        community_id=cast.alpha.pk,
        kind="person",
        name="张伟明",
        phone="13700001234",
    )
    hits = quick_search(cast.desk_a, "张伟")
    assert [h.customer_name for h in hits] == ["张伟", "张伟明"]
    assert hits[0].rank == RANK_EXACT


def test_phone_last4_and_whole_number(cast):
    assert names(quick_search(cast.desk_a, "5678")) == [("1-1-101", "张伟")]
    assert names(quick_search(cast.desk_a, "13812345678")) == [("1-1-101", "张伟")]
    assert quick_search(cast.desk_a, "13812345678")[0].phone_masked == "138****5678"


def test_plate_and_exact_id_number_only(cast):
    Vehicle.objects.create(community=cast.alpha, customer=cast.alice, plate="京A12345")
    assert names(quick_search(cast.desk_a, "京a12345")) == [("1-1-101", "张伟")]
    assert names(quick_search(cast.desk_a, ALICE_ID)) == [("1-1-101", "张伟")]
    assert quick_search(cast.desk_a, ALICE_ID[:10]) == []  # never a partial match on IDs


def test_search_is_scoped_to_the_users_communities(cast):
    assert quick_search(cast.desk_b, "张伟") == []
    assert quick_search(cast.desk_b, "1-1-101")[0].customer_name == "王芳"
    assert quick_search(cast.owner_alice, "张伟") == []


def test_ended_occupancies_are_not_shown_as_current_houses(cast):
    Occupancy.objects.filter(customer=cast.bob).update(end_date="2021-01-01")
    assert ("1-1-102", "李娜") not in names(quick_search(cast.desk_a, "李娜"))
    Occupancy.objects.create(
        community=cast.alpha,
        house=cast.house_a2,
        customer=cast.alice,
        role=OccupancyRole.TENANT,
        start_date="2024-01-01",
    )
    assert ("1-1-102", "张伟") in names(quick_search(cast.desk_a, "zw"))


def test_search_query_count_is_small(cast, django_assert_max_num_queries):
    # scope, exact name, its houses, prefix, contains: one indexed read each
    with django_assert_max_num_queries(5):
        quick_search(cast.desk_a, "张伟")


def test_api_search_matrix(cast):
    url = "/api/search/?q=zw"
    assert APIClient().get(url).status_code in (401, 403)
    owner = APIClient()
    owner.force_authenticate(cast.owner_alice)
    assert owner.get(url).status_code == 403
    other = APIClient()
    other.force_authenticate(cast.desk_b)
    assert other.get(url).json()["results"] == []
    desk = APIClient()
    desk.force_authenticate(cast.desk_a)
    body = desk.get(url).json()["results"]
    assert body[0]["customer_name"] == "张伟"
    assert body[0]["house_label"] == "1-1-101"


def test_console_box_answers_htmx_with_a_partial(client, cast):
    assert client.get(reverse("console:search"), {"q": "zw"}).status_code == 302
    assert client.login(username="desk_a", password=PASSWORD)
    partial = client.get(reverse("console:search"), {"q": "zw"}, HTTP_HX_REQUEST="true")
    body = partial.content.decode()
    assert "<html" not in body
    assert f'href="/customers/{cast.alice.pk}/"' in body
    page = client.get(reverse("console:search"), {"q": "zw"}).content.decode()
    assert "<html" in page


def test_company_admin_searches_every_community_of_the_company(cast):
    hits = quick_search(cast.admin, "1-1-101")
    assert sorted(h.customer_name for h in hits) == ["张伟", "王芳"]
    # Equal labels across communities come community by community, owners first in each.
    assert [h.community_id for h in hits] == sorted(h.community_id for h in hits)
    assert names(quick_search(cast.admin, "1-1-101", community_id=cast.beta.pk)) == [
        ("1-1-101", "王芳")
    ]


def test_company_admin_never_sees_another_companys_community(cast):
    gamma, _ = other_company()
    for query in ("张伟", "zhangwei", "zw", "1-1-101", "1-101", "5678", "101"):
        hits = quick_search(cast.admin, query)
        assert gamma.pk not in {h.community_id for h in hits}, query
    assert quick_search(cast.admin, "张伟", community_id=gamma.pk) == []


def test_partial_label_and_room_match_by_unit_and_room(cast):
    assert names(quick_search(cast.desk_a, "1-101")) == [("1-1-101", "张伟")]
    assert names(quick_search(cast.desk_a, "1-")) == [("1-1-101", "张伟"), ("1-1-102", "李娜")]
    assert names(quick_search(cast.admin, "1-101")) == [("1-1-101", "张伟"), ("1-1-101", "王芳")]
