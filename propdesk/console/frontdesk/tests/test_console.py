"""Console of the front desk: every page's authorization matrix, and the desk's daily forms."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from propdesk.frontdesk import services
from propdesk.frontdesk.models import Key, KeyStatus, Parcel, ParcelStatus, ReleasePass
from propdesk.frontdesk.tests.conftest import SIGNATURE, deposit
from propdesk.testing.counts import row_counts

pytestmark = pytest.mark.django_db

FD = (
    "frontdesk.Key",
    "frontdesk.KeyLend",
    "frontdesk.Parcel",
    "frontdesk.StorageItem",
    "frontdesk.ReleasePass",
    "frontdesk.Handover",
    "frontdesk.DeskEvent",
)


@pytest.fixture
def world(cast):
    """One of each item in community A, so every detail page exists."""
    key = deposit(cast, now=timezone.now())
    services.parcel_consent_set(
        actor=cast.desk_a, customer_id=cast.alice.pk, granted=True, method="paper"
    )
    parcel = services.parcel_receive(
        actor=cast.desk_a, house_id=cast.house_a1.pk, tracking_number="SF100"
    )
    release = services.pass_apply(
        actor=cast.desk_a,
        house_id=cast.house_a1.pk,
        applicant_name="张伟",
        applicant_customer_id=cast.alice.pk,
        items="冰箱",
        reason="moving_out",
        valid_on=timezone.localdate(),
    )
    release = services.pass_decide(actor=cast.supervisor_a, pass_id=release.pk, approve=True)
    handover = services.handover_create(actor=cast.desk_a, community_id=cast.alpha.pk)
    return {"key": key, "parcel": parcel, "pass": release, "handover": handover}


def pages(w):
    return [
        reverse("console:frontdesk:desk"),
        reverse("console:frontdesk:key-list"),
        reverse("console:frontdesk:key-audit"),
        reverse("console:frontdesk:key-detail", args=[w["key"].pk]),
        reverse("console:frontdesk:parcel-list"),
        reverse("console:frontdesk:parcel-detail", args=[w["parcel"].pk]),
        reverse("console:frontdesk:mail-returns"),
        reverse("console:frontdesk:storage"),
        reverse("console:frontdesk:pass-list"),
        reverse("console:frontdesk:pass-detail", args=[w["pass"].pk]),
        reverse("console:frontdesk:pass-pdf", args=[w["pass"].pk]),
        reverse("console:frontdesk:gate"),
        reverse("console:frontdesk:handover-list"),
        reverse("console:frontdesk:handover-detail", args=[w["handover"].pk]),
    ]


def test_anonymous_is_sent_to_login(client, cast, world):
    for url in pages(world):
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/login/" in response["Location"]


def test_owner_and_staff_without_the_capability_are_refused(client, cast, world):
    for user in (cast.owner_alice, cast.tech_a, cast.cashier_a):
        client.force_login(user)
        for url in pages(world):
            assert client.get(url).status_code == 403, (user, url)


def test_staff_of_another_community_sees_its_own_desk_but_not_our_items(client, cast, world):
    client.force_login(cast.desk_b)
    assert client.get(reverse("console:frontdesk:desk")).status_code == 200
    w = world
    details = [
        reverse("console:frontdesk:key-detail", args=[w["key"].pk]),
        reverse("console:frontdesk:parcel-detail", args=[w["parcel"].pk]),
        reverse("console:frontdesk:pass-detail", args=[w["pass"].pk]),
        reverse("console:frontdesk:pass-pdf", args=[w["pass"].pk]),
        reverse("console:frontdesk:handover-detail", args=[w["handover"].pk]),
    ]
    for url in details:
        assert client.get(url).status_code == 404, url


def test_desk_staff_sees_every_page(client, cast, world):
    client.force_login(cast.desk_a)
    for url in pages(world):
        response = client.get(url)
        assert response.status_code == 200, url
    assert client.get(pages(world)[10])["Content-Type"] == "application/pdf"


def test_denied_posts_change_nothing(client, cast, world):
    before = row_counts(*FD)
    key = world["key"]
    lend = {
        "action": "lend",
        "borrower_kind": "staff",
        "borrower_name": "x",
        "borrower_phone": "13900001111",
        "purpose": "x",
        "promised_back_at": "2099-01-01T10:00",
    }
    url = reverse("console:frontdesk:key-detail", args=[key.pk])
    client.post(url, lend)  # anonymous
    for user, expected in ((cast.owner_alice, 403), (cast.desk_b, 404), (cast.maint_head_a, 403)):
        client.force_login(user)
        assert client.post(url, lend).status_code == expected, user
    assert row_counts(*FD) == before
    assert Key.objects.get().status == KeyStatus.IN_CABINET


def test_receive_with_scan_and_house_suffix(client, cast, world):
    client.force_login(cast.desk_a)
    url = reverse("console:frontdesk:parcel-list")
    response = client.post(
        url,
        {"tracking_number": "jd0001", "house": "101", "size": "s", "kind": "parcel", "shelf": "A1"},
    )
    assert response.status_code == 302
    parcel = Parcel.objects.get(tracking_number="JD0001")
    assert (parcel.house, parcel.carrier, parcel.customer) == (cast.house_a1, "京东", cast.alice)
    # The sticky fields come back for the next scan.
    assert 'value="A1"' in client.get(url).content.decode()


def test_receive_for_a_house_without_consent_shows_the_reason(client, cast, world):
    client.force_login(cast.desk_a)
    before = row_counts(*FD)
    response = client.post(
        reverse("console:frontdesk:parcel-list"), {"tracking_number": "SF7", "house": "102"}
    )
    assert response.status_code == 400
    assert "R-PCL-1" in response.content.decode()
    assert row_counts(*FD) == before


def test_pickup_by_code_from_the_console(client, cast, world):
    client.force_login(cast.desk_a)
    parcel = world["parcel"]
    found = client.get(reverse("console:frontdesk:parcel-find"), {"code": parcel.pickup_code})
    assert found.status_code == 302
    response = client.post(
        found["Location"].split("?")[0],
        {
            "action": "pickup",
            "method": "code",
            "code": parcel.pickup_code,
            "collector_name": "张伟",
            "signature": SIGNATURE,
        },
    )
    assert response.status_code == 302
    parcel.refresh_from_db()
    assert parcel.status == ParcelStatus.COLLECTED


def test_gate_page_checks_and_marks_used_once(client, cast, world):
    client.force_login(cast.desk_a)
    release = world["pass"]
    url = reverse("console:frontdesk:gate")
    assert "v-valid" in client.get(url, {"n": release.number}).content.decode()
    assert (
        client.post(url, {"number": release.number, "action": "use", "gate": "东门"}).status_code
        == 200
    )
    assert ReleasePass.objects.get().status == "used"
    again = client.post(url, {"number": release.number, "action": "use"})
    assert again.status_code == 409
    assert client.get(url, {"n": "PASS:" + release.number}).context["verdict"].code == "used"


def test_key_lend_over_12_hours_shows_the_r_key_3_refusal(client, cast, undelivered_house):
    client.force_login(cast.desk_a)
    key = deposit(cast, kind="undelivered", house=undelivered_house)
    later = (timezone.localtime() + dt.timedelta(hours=20)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("console:frontdesk:key-detail", args=[key.pk]),
        {
            "action": "lend",
            "borrower_kind": "staff",
            "borrower_name": "刘工",
            "borrower_phone": "13900001111",
            "purpose": "验房",
            "promised_back_at": later,
        },
    )
    assert response.status_code == 400
    assert "R-KEY-3" in response.content.decode()


def test_desk_page_query_count_does_not_grow_with_items(
    client, cast, world, django_assert_max_num_queries
):
    client.force_login(cast.desk_a)
    client.get(reverse("console:frontdesk:desk"))
    with django_assert_max_num_queries(30):
        client.get(reverse("console:frontdesk:desk"))


def test_receive_with_a_photo_from_the_console(client, cast, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from propdesk.frontdesk.tests.conftest import PNG

    client.force_login(cast.desk_a)
    response = client.post(
        reverse("console:frontdesk:parcel-list"),
        {"tracking_number": "YT55", "house": "1-1-101", "photo": SimpleUploadedFile("p.png", PNG)},
    )
    assert response.status_code == 302
    parcel = Parcel.objects.get(tracking_number="YT55")
    assert parcel.photo.name.endswith(".png")
    page = client.get(reverse("console:frontdesk:parcel-detail", args=[parcel.pk]))
    assert parcel.photo.url in page.content.decode()


def test_list_pages_do_not_query_per_row(client, cast, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(cast.desk_a)
    urls = [
        reverse("console:frontdesk:desk"),
        reverse("console:frontdesk:parcel-list"),
        reverse("console:frontdesk:key-list"),
        reverse("console:frontdesk:storage"),
        reverse("console:frontdesk:pass-list"),
    ]

    def counts():
        result = []
        for url in urls:
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url).status_code == 200
            result.append(len(ctx.captured_queries))
        return result

    def add(n):
        services.parcel_receive(
            actor=cast.desk_a, house_id=cast.house_a1.pk, tracking_number=f"ZTO{n}"
        )
        deposit(cast, tag=f"K1{n}", slot=f"B-{n}")
        services.storage_deposit(
            actor=cast.desk_a,
            community_id=cast.alpha.pk,
            owner_name="张伟",
            description="菜",
            label_number=f"S{n}",
        )

    add(0)
    before = counts()
    for n in range(1, 9):
        add(n)
    assert counts() == before
