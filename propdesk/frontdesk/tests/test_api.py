"""API of the front desk: authorization matrix, the daily flows, refusals as 400/403/404/409."""

from __future__ import annotations

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from propdesk.frontdesk import services
from propdesk.frontdesk.models import Key, KeyStatus, Parcel, ParcelStatus
from propdesk.testing.counts import row_counts

from .conftest import SIGNATURE, deposit

pytestmark = pytest.mark.django_db

FD = (
    "frontdesk.Key",
    "frontdesk.KeyLend",
    "frontdesk.Parcel",
    "frontdesk.ReleasePass",
    "frontdesk.DeskEvent",
)


def as_user(user):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


LISTS = [
    "/api/frontdesk/keys/",
    "/api/frontdesk/key-audits/",
    "/api/frontdesk/parcels/",
    "/api/frontdesk/storage/",
    "/api/frontdesk/refusals/",
    "/api/frontdesk/release-passes/",
    "/api/frontdesk/handovers/",
]


def test_lists_authorization_matrix(cast):
    deposit(cast)
    for url in LISTS:
        assert as_user(None).get(url).status_code in {401, 403}, url
        assert as_user(cast.owner_alice).get(url).status_code == 403, url
        assert as_user(cast.tech_a).get(url).status_code == 403, url
        assert as_user(cast.desk_a).get(url).status_code == 200, url
    assert as_user(cast.desk_b).get("/api/frontdesk/keys/").json()["results"] == []
    assert as_user(cast.desk_a).get("/api/frontdesk/keys/").json()["count"] == 1


def test_key_deposit_lend_take_back_through_the_api(cast):
    client = as_user(cast.desk_a)
    r = client.post(
        "/api/frontdesk/keys/",
        {
            "house": cast.house_a1.pk,
            "kind": "delivered",
            "depositor_name": "张伟",
            "identity_method": "record",
            "customer_id": cast.alice.pk,
            "condition": "完好",
            "tag_number": "K9",
            "cabinet_slot": "B-1",
            "signature": SIGNATURE,
        },
        format="json",
    )
    assert r.status_code == 201, r.json()
    key_id = r.json()["id"]
    r = client.post(
        f"/api/frontdesk/keys/{key_id}/lend/",
        {
            "borrower_kind": "family",
            "borrower_name": "张小伟",
            "borrower_phone": "13900001111",
            "purpose": "取物",
            "promised_back_at": (timezone.now() + timezone.timedelta(hours=2)).isoformat(),
        },
        format="json",
    )
    assert r.status_code == 201, r.json()
    again = client.post(f"/api/frontdesk/keys/{key_id}/lend/", {}, format="json")
    assert again.status_code == 409
    assert (
        client.post(f"/api/frontdesk/keys/{key_id}/take-back/", {}, format="json").status_code
        == 200
    )
    assert Key.objects.get().status == KeyStatus.IN_CABINET
    events = client.get(f"/api/frontdesk/keys/{key_id}/events/").json()
    assert [e["action"] for e in events] == ["deposit", "lend", "take_back"]


def test_denied_writes_change_nothing(cast):
    key = deposit(cast)
    body = {
        "borrower_kind": "staff",
        "borrower_name": "x",
        "borrower_phone": "13900001111",
        "purpose": "x",
        "promised_back_at": "2099-01-01T10:00:00+08:00",
    }
    before = row_counts(*FD)
    url = f"/api/frontdesk/keys/{key.pk}/lend/"
    assert as_user(None).post(url, body, format="json").status_code in {401, 403}
    assert as_user(cast.owner_alice).post(url, body, format="json").status_code == 403
    assert as_user(cast.desk_b).post(url, body, format="json").status_code == 404
    assert as_user(cast.maint_head_a).post(url, body, format="json").status_code == 403
    assert row_counts(*FD) == before


def test_bad_input_names_the_field(cast):
    r = as_user(cast.desk_a).post(
        "/api/frontdesk/keys/", {"house": cast.house_a1.pk}, format="json"
    )
    assert r.status_code == 400
    fields = {e["field"] for e in r.json()["errors"]}
    assert {"kind", "condition", "tag_number", "cabinet_slot", "signature"} <= fields


def test_parcel_receive_and_pickup_by_code_r_pcl_1(cast):
    client = as_user(cast.desk_a)
    r = client.post(
        "/api/frontdesk/parcels/",
        {"house": cast.house_a1.pk, "tracking_number": "SF1"},
        format="json",
    )
    assert r.status_code == 400  # no consent yet (R-PCL-1)
    assert (
        client.post(
            "/api/frontdesk/parcels/consent/",
            {"customer_id": cast.alice.pk, "method": "paper"},
            format="json",
        ).status_code
        == 200
    )
    r = client.post(
        "/api/frontdesk/parcels/",
        {"house": cast.house_a1.pk, "tracking_number": "SF1"},
        format="json",
    )
    assert r.status_code == 201
    code = r.json()["pickup_code"]
    other = as_user(cast.desk_b).post(
        "/api/frontdesk/parcels/pickup-by-code/",
        {
            "community": cast.beta.pk,
            "code": code,
            "method": "code",
            "collector_name": "x",
            "signature": SIGNATURE,
        },
        format="json",
    )
    assert other.status_code == 400
    r = client.post(
        "/api/frontdesk/parcels/pickup-by-code/",
        {
            "community": cast.alpha.pk,
            "code": code,
            "method": "code",
            "collector_name": "张伟",
            "signature": SIGNATURE,
        },
        format="json",
    )
    assert r.status_code == 200
    assert Parcel.objects.get().status == ParcelStatus.COLLECTED


def test_release_pass_flow_and_gate_use_once_r_rel_1(cast):
    client = as_user(cast.desk_a)
    r = client.post(
        "/api/frontdesk/release-passes/",
        {
            "house": cast.house_a1.pk,
            "applicant_name": "张伟",
            "applicant_customer_id": cast.alice.pk,
            "items": "沙发",
            "reason": "moving_out",
            "valid_on": timezone.localdate().isoformat(),
        },
        format="json",
    )
    assert r.status_code == 201, r.json()
    pk = r.json()["id"]
    assert client.post(f"/api/frontdesk/release-passes/{pk}/approve/").status_code == 403
    r = as_user(cast.supervisor_a).post(f"/api/frontdesk/release-passes/{pk}/approve/")
    number = r.json()["number"]
    check = client.get(
        "/api/frontdesk/release-passes/check/", {"community": cast.alpha.pk, "number": number}
    )
    assert check.json()["code"] == "valid"
    use = {"community": cast.alpha.pk, "number": number, "gate": "东门"}
    assert client.post("/api/frontdesk/release-passes/use/", use, format="json").status_code == 200
    second = client.post("/api/frontdesk/release-passes/use/", use, format="json")
    assert second.status_code == 409
    assert client.get(f"/api/frontdesk/release-passes/{pk}/pdf/").status_code == 200


def test_handover_now_and_create(cast):
    client = as_user(cast.desk_a)
    services.storage_deposit(
        actor=cast.desk_a,
        community_id=cast.alpha.pk,
        owner_name="张伟",
        description="菜",
        label_number="S1",
    )
    now = client.get("/api/frontdesk/handovers/now/", {"community": cast.alpha.pk}).json()
    assert now["storage_held"][0]["label"] == "S1"
    assert (
        as_user(cast.desk_b)
        .get("/api/frontdesk/handovers/now/", {"community": cast.alpha.pk})
        .status_code
        == 404
    )
    r = client.post(
        "/api/frontdesk/handovers/", {"community": cast.alpha.pk, "notes": "ok"}, format="json"
    )
    assert r.status_code == 201
    r = as_user(cast.steward_a).post(
        f"/api/frontdesk/handovers/{r.json()['id']}/confirm/",
        {"signature": SIGNATURE},
        format="json",
    )
    assert r.status_code == 200
