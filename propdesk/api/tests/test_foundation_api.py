"""API of estates and customers: authorization matrix, error shape, R-CUS-3."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from propdesk.core.models import AuditEvent, PiiAccess
from propdesk.customers.models import Customer
from propdesk.estates.models import House
from propdesk.testing.cast import PASSWORD


def as_user(user):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.mark.parametrize(
    "url", ["/api/communities/", "/api/houses/", "/api/customers/", "/api/occupancies/"]
)
def test_anonymous_and_owners_are_refused(cast, url):
    assert as_user(None).get(url).status_code in (401, 403)
    assert as_user(cast.owner_alice).get(url).status_code == 403
    assert as_user(cast.owner_bob).get(url).status_code == 403


def test_lists_are_scoped_to_the_staff_members_communities(cast):
    labels = {r["id"] for r in as_user(cast.desk_b).get("/api/houses/").json()["results"]}
    assert labels == {cast.house_b1.id}
    names = {r["name"] for r in as_user(cast.desk_a).get("/api/customers/").json()["results"]}
    assert names == {"张伟", "李娜"}


def test_other_communitys_objects_are_404(cast):
    client = as_user(cast.desk_b)
    assert client.get(f"/api/houses/{cast.house_a1.id}/").status_code == 404
    assert client.get(f"/api/customers/{cast.alice.id}/").status_code == 404
    assert client.get(f"/api/buildings/{cast.building_a.id}/").status_code == 404


def test_customer_representation_is_masked(cast):
    data = as_user(cast.steward_a).get(f"/api/customers/{cast.alice.id}/").json()
    assert data["id_number_masked"] == "1101**********002X"
    assert "11010519491231002X" not in str(data)


def test_r_cus_3_reveal_refused_without_permission_and_logged_with_it(cast):
    url = f"/api/customers/{cast.alice.id}/reveal/"
    assert as_user(cast.desk_a).post(url, {"field": "id_number"}).status_code == 403
    assert not PiiAccess.objects.exists()
    response = as_user(cast.steward_a).post(url, {"field": "id_number"})
    assert response.json() == {"field": "id_number", "value": "11010519491231002X"}
    assert PiiAccess.objects.get().channel == "api"


def test_invalid_id_number_is_400_naming_the_field_in_chinese_and_writes_nothing(cast):
    before = Customer.objects.count()
    response = as_user(cast.desk_a).post(
        "/api/customers/",
        {
            "community": cast.alpha.id,
            "name": "赵六",
            "id_type": "prc_resident",
            "id_number": "110101199003074478",
        },
        format="json",
    )
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["field"] == "id_number"
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error["message"])  # Chinese by default
    assert Customer.objects.count() == before


def test_english_errors_on_request(cast):
    response = as_user(cast.desk_a).post(
        "/api/customers/",
        {"community": cast.alpha.id, "name": "Zhao", "phone": "12345"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "phone"


def test_duplicate_house_label_is_400_on_room_and_technician_is_403(cast):
    payload = {
        "building": cast.building_a.id,
        "unit": "1",
        "room": "101",
        "floor": "1",
        "area": "90",
    }
    before = House.objects.count()
    response = as_user(cast.admin).post("/api/houses/", payload, format="json")
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"room"}
    assert (
        as_user(cast.tech_a)
        .post("/api/houses/", {**payload, "room": "301"}, format="json")
        .status_code
        == 403
    )
    assert House.objects.count() == before


def test_house_in_another_communitys_building_is_404(cast):
    payload = {"building": cast.building_b.id, "room": "901", "floor": "9", "area": "90"}
    # The director of A may add houses, but B's building does not exist for him.
    assert as_user(cast.director_a).post("/api/houses/", payload, format="json").status_code == 404


def test_customer_created_through_api_is_audited(cast):
    response = as_user(cast.desk_a).post(
        "/api/customers/",
        {"community": cast.alpha.id, "name": "赵六", "phone": "13700001111"},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["phone_masked"] == "137****1111"
    assert AuditEvent.objects.filter(
        object_type="customers.customer", object_id=str(response.json()["id"])
    ).exists()


def test_token_auth_for_staff_only(cast):
    client = APIClient()
    token = client.post("/api/auth/token/", {"username": "desk_a", "password": PASSWORD}).json()[
        "token"
    ]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/communities/").status_code == 200
    assert (
        APIClient()
        .post("/api/auth/token/", {"username": "alice", "password": PASSWORD})
        .status_code
        == 403
    )


def test_docs_are_served_without_a_cdn(client):
    page = client.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/" in page
    assert "cdn" not in page.lower()
    assert client.get("/api/schema/").status_code == 200


def test_list_query_count_is_bounded(cast, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        assert as_user(cast.desk_a).get("/api/customers/").status_code == 200


def test_occupancy_with_non_numeric_ids_is_400_naming_the_field(cast):
    response = as_user(cast.desk_a).post(
        "/api/occupancies/",
        {"customer": "abc", "house": cast.house_a1.id, "role": "tenant"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "customer"
