"""API of the service desk: authorization matrix, actions, 409s, races."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from propdesk.servicedesk.models import Case, CaseEvent, Category
from propdesk.testing.counts import row_counts


def as_user(user):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def new_case(cast, client=None, **extra):
    body = {
        "community": cast.alpha.pk,
        "kind": "repair",
        "channel": "phone",
        "description": "卫生间下水道堵塞",
        "house": cast.house_a1.pk,
        "customer": cast.alice.pk,
        "category": Category.objects.get(company=None, code="water.pipe").pk,
    }
    body.update(extra)
    return (client or as_user(cast.desk_a)).post("/api/cases/", body, format="json")


def dispatch_body(cast):
    soon = timezone.now() + dt.timedelta(hours=1)
    return {
        "department_id": cast.maint_dept_a.pk,
        "assignee_id": cast.tech_a.pk,
        "appointment_start": soon.isoformat(),
        "appointment_end": (soon + dt.timedelta(hours=2)).isoformat(),
    }


def test_authorization_matrix_for_every_case_endpoint(cast):
    case_id = new_case(cast).json()["id"]
    urls = [
        ("get", "/api/cases/"),
        ("get", f"/api/cases/{case_id}/"),
        ("get", f"/api/cases/{case_id}/events/"),
        ("get", f"/api/cases/{case_id}/return-visits/"),
        ("get", "/api/return-visits/"),
        ("post", "/api/cases/"),
        ("post", f"/api/cases/{case_id}/dispatch/"),
        ("post", f"/api/cases/{case_id}/notes/"),
    ]
    before = row_counts()
    for method, url in urls:
        assert getattr(as_user(None), method)(url, {}).status_code in (401, 403), url
        assert getattr(as_user(cast.owner_alice), method)(url, {}).status_code == 403, url
    # Staff of the other community: the case does not exist for them.
    for method, url in urls[1:4] + urls[6:]:
        assert getattr(as_user(cast.desk_b), method)(url, {}).status_code == 404, url
    assert as_user(cast.desk_b).get("/api/cases/").json()["results"] == []
    # Staff without the capability: a technician may not take or dispatch cases; a cashier sees none.
    assert new_case(cast, as_user(cast.tech_a)).status_code == 403
    tech = as_user(cast.tech_a).post(
        f"/api/cases/{case_id}/dispatch/", dispatch_body(cast), format="json"
    )
    assert tech.status_code == 403
    assert as_user(cast.cashier_a).get(f"/api/cases/{case_id}/").status_code == 404
    assert row_counts() == before
    # With the capability.
    ok = as_user(cast.maint_head_a).post(
        f"/api/cases/{case_id}/dispatch/", dispatch_body(cast), format="json"
    )
    assert ok.status_code == 200
    assert ok.json()["status"] == "dispatched"


def test_create_returns_the_case_with_its_allowed_actions(cast):
    response = new_case(cast)
    assert response.status_code == 201
    body = response.json()
    assert body["number"].startswith("BX")
    assert body["allowed_actions"] == ["dispatch", "cancel"]
    assert body["place"] == cast.house_a1.label


def test_bad_input_is_a_400_naming_each_field_and_writes_nothing(cast):
    before = row_counts()
    response = new_case(
        cast, kind="repair", channel="fax", house="abc", category=999999, description=""
    )
    assert response.status_code == 400
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"channel", "description", "house_id", "category_id"} <= fields
    assert row_counts() == before


def test_transition_not_allowed_is_409_naming_the_allowed_actions(cast):
    case_id = new_case(cast).json()["id"]
    response = as_user(cast.desk_a).post(f"/api/cases/{case_id}/close/", {}, format="json")
    assert response.status_code == 409
    error = response.json()["errors"][0]
    assert error["code"] == "invalid_transition"
    assert error["allowed"] == ["dispatch", "cancel"]


def test_repair_flow_through_the_api_with_materials_and_return_visit(cast):
    case_id = new_case(
        cast, category=Category.objects.get(company=None, code="public.light").pk
    ).json()["id"]
    head, tech, desk = as_user(cast.maint_head_a), as_user(cast.tech_a), as_user(cast.desk_a)
    assert (
        head.post(f"/api/cases/{case_id}/dispatch/", dispatch_body(cast), format="json").status_code
        == 200
    )
    assert tech.post(f"/api/cases/{case_id}/accept/", {}, format="json").status_code == 200
    assert tech.post(f"/api/cases/{case_id}/start/", {}, format="json").status_code == 200
    bad = tech.post(
        f"/api/cases/{case_id}/complete/",
        {"work_done": "通了", "signoff_kind": "paper", "materials": "lots"},
        format="json",
    )
    assert bad.status_code == 400
    assert {e["field"] for e in bad.json()["errors"]} == {"materials", "signoff_form_number"}
    done = tech.post(
        f"/api/cases/{case_id}/complete/",
        {
            "work_done": "疏通下水道",
            "signoff_kind": "paper",
            "signoff_form_number": "P-1",
            "materials": [{"name": "疏通剂", "quantity": "1", "unit_price": "20"}],
        },
        format="json",
    )
    assert done.status_code == 200, done.json()
    assert done.json()["status"] == "completed"
    visits = desk.get(f"/api/cases/{case_id}/return-visits/").json()
    assert len(visits) == 1
    assert visits[0]["rule"] == "R-REP-5"
    visit = desk.post(
        f"/api/cases/{case_id}/return-visit/",
        {"method": "phone", "result": "satisfied", "rating": 5},
        format="json",
    )
    assert visit.json()["status"] == "visited"
    assert desk.post(f"/api/cases/{case_id}/close/", {}, format="json").json()["status"] == "closed"
    actions = [e["action"] for e in desk.get(f"/api/cases/{case_id}/events/").json()]
    assert actions == ["create", "dispatch", "accept", "start", "complete", "return_visit", "close"]


def test_queue_filters_and_paging_without_count(cast):
    for _ in range(3):
        new_case(cast)
    new_case(cast, kind="inquiry", category=Category.objects.get(company=None, code="fees").pk)
    client = as_user(cast.desk_a)
    page = client.get("/api/cases/", {"kind": "repair", "limit": 2}).json()
    assert len(page["results"]) == 2
    assert page["next_offset"] == 2
    assert {r["kind"] for r in page["results"]} == {"repair"}
    rest = client.get("/api/cases/", {"kind": "repair", "limit": 2, "offset": 2}).json()
    assert len(rest["results"]) == 1
    assert rest["next_offset"] is None
    assert client.get("/api/cases/", {"queue": "unassigned"}).json()["results"]


def test_queue_query_count_is_pinned(cast, django_assert_max_num_queries):
    for _ in range(5):
        new_case(cast)
    client = as_user(cast.desk_a)
    with django_assert_max_num_queries(4):
        assert len(client.get("/api/cases/").json()["results"]) == 5


def test_html_in_text_fields_is_stored_as_text(cast):
    body = new_case(cast, description="<script>alert(1)</script>").json()
    assert Case.objects.get(pk=body["id"]).description == "<script>alert(1)</script>"


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_at_once_exactly_one_wins(cast, on_postgres):
    """Race: two heads dispatch the same case at the same moment (PostgreSQL row lock)."""
    case_id = new_case(cast).json()["id"]
    results: list[int] = []
    barrier = threading.Barrier(2)

    def dispatch(assignee):
        try:
            body = dispatch_body(cast) | {"assignee_id": assignee.pk}
            barrier.wait()
            response = as_user(cast.maint_head_a).post(
                f"/api/cases/{case_id}/dispatch/", body, format="json"
            )
            results.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=dispatch, args=(t,)) for t in (cast.tech_a, cast.tech_a2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200, 409]
    assert CaseEvent.objects.filter(case_id=case_id, action="dispatch").count() == 1
