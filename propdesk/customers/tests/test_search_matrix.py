"""The one box: queries per kind pinned, and the authorization matrix of the console box."""

from __future__ import annotations

import pytest
from django.urls import reverse

from propdesk.customers.models import Vehicle
from propdesk.customers.search import quick_search
from propdesk.testing.cast import ALICE_ID, PASSWORD
from propdesk.testing.counts import row_counts


@pytest.mark.parametrize(
    ("query", "queries"),
    [
        ("1-1-101", 2),  # exact label, then the labels it starts (three parts end none)
        ("1-101", 3),  # exact label, the labels it starts, the labels it ends
        ("1栋1单元101", 2),
        ("张伟", 4),  # exact name + its houses, prefix, contains
        # exact pinyin, exact initials, their houses; while short, the prefixes of each
        ("zhangwei", 5),
        ("zw", 5),
        ("5678", 3),  # phone last 4 + houses, room number
        ("13812345678", 2),  # blind index + houses
        ("京A12345", 2),  # plate (subquery) + houses
        (ALICE_ID, 2),  # blind index + houses
    ],
)
def test_each_query_kind_is_a_fixed_number_of_indexed_reads(
    cast, django_assert_num_queries, query, queries
):
    Vehicle.objects.create(community=cast.alpha, customer=cast.alice, plate="京A12345")
    quick_search(cast.desk_a, "warm up the scope cache")
    with django_assert_num_queries(queries):
        hits = quick_search(cast.desk_a, query)
    assert [(h.customer_name, h.house_label) for h in hits] == [("张伟", "1-1-101")]


@pytest.mark.parametrize(
    ("who", "status", "sees_alice"),
    [
        ("anonymous", 302, False),
        ("owner_alice", 403, False),
        ("desk_b", 200, False),  # staff of the other community: nothing of alpha
        ("tech_a", 200, True),
        ("desk_a", 200, True),
    ],
)
def test_console_box_matrix(client, cast, who, status, sees_alice):
    if who != "anonymous":
        assert client.login(username=getattr(cast, who).username, password=PASSWORD)
    before = row_counts()
    response = client.get(reverse("console:search"), {"q": "张伟"}, HTTP_HX_REQUEST="true")
    assert response.status_code == status
    body = response.content.decode() if status == 200 else ""
    assert (f'href="/customers/{cast.alice.pk}/"' in body) is sees_alice
    assert row_counts() == before


def test_api_never_returns_another_communitys_customer_even_when_asked(cast):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(cast.desk_b)
    for q in ("张伟", "zw", "5678", "13812345678", ALICE_ID, "1-1-101"):
        names = [
            h["customer_name"]
            for h in api.get("/api/search/", {"q": q, "community": cast.alpha.pk}).json()["results"]
        ]
        assert "张伟" not in names, q
