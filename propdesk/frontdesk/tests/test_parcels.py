"""Parcels and mail: consent (R-PCL-1), pickup (R-PCL-2), return to the post office (R-PCL-3)."""

from __future__ import annotations

import pytest

from propdesk.core.errors import Conflict, Invalid, NotFound
from propdesk.customers.models import TimelineEntry
from propdesk.frontdesk import services
from propdesk.frontdesk.models import DeskEvent, Parcel, ParcelStatus
from propdesk.frontdesk.selectors import mail_return_list, parcels_aging
from propdesk.notify.models import OutboxMessage
from propdesk.testing.counts import row_counts

from .conftest import SIGNATURE, T0, hours

pytestmark = pytest.mark.django_db

FD = ("frontdesk.Parcel", "frontdesk.DeskEvent", "customers.TimelineEntry", "notify.OutboxMessage")


def consent(cast, customer=None, granted=True):
    return services.parcel_consent_set(
        actor=cast.desk_a, customer_id=(customer or cast.alice).pk, granted=granted, method="paper"
    )


def receive(cast, tracking="SF1234567890", house=None, now=T0, **kw):
    return services.parcel_receive(
        actor=kw.pop("actor", cast.desk_a),
        house_id=(house or cast.house_a1).pk,
        tracking_number=tracking,
        now=now,
        **kw,
    )


def test_parcel_for_an_owner_without_consent_is_refused_r_pcl_1(cast):
    before = row_counts(*FD)
    with pytest.raises(Invalid) as exc:
        receive(cast)
    assert list(exc.value.errors) == ["house"]
    assert "R-PCL-1" in str(exc.value.errors["house"][0])
    assert row_counts(*FD) == before


def test_customer_record_flag_counts_as_consent_until_the_desk_records_otherwise_r_pcl_1(cast):
    cast.alice.accepts_parcels = True
    cast.alice.save(update_fields=["accepts_parcels"])
    assert receive(cast).customer == cast.alice
    consent(cast, granted=False)
    with pytest.raises(Invalid):
        receive(cast, tracking="SF999")


def test_receive_logs_codes_and_tells_the_recipient_at_once_r_pcl_1(cast):
    consent(cast)
    parcel = receive(cast, shelf="b2", perishable=True)
    assert parcel.status == ParcelStatus.WAITING
    assert parcel.carrier == "顺丰"  # read from the tracking number
    assert parcel.shelf == "B2"
    assert len(parcel.pickup_code) == 6
    assert parcel.pickup_code.isdigit()
    sent = OutboxMessage.objects.filter(ref_type="frontdesk.parcel", ref_id=str(parcel.pk))
    assert sorted(sent.values_list("channel", flat=True)) == ["portal", "sms"]
    assert parcel.pickup_code in sent.first().body
    assert TimelineEntry.objects.filter(
        customer=cast.alice, kind="frontdesk.parcel.received"
    ).exists()


def test_scanning_the_same_parcel_twice_is_refused(cast):
    consent(cast)
    receive(cast)
    with pytest.raises(Invalid) as exc:
        receive(cast)
    assert list(exc.value.errors) == ["tracking_number"]


def test_pickup_codes_are_unique_among_waiting_parcels(cast):
    consent(cast)
    codes = {receive(cast, tracking=f"SF{n:010d}").pickup_code for n in range(30)}
    assert len(codes) == 30


def test_pickup_with_code_and_signature_r_pcl_2(cast):
    consent(cast)
    parcel = receive(cast)
    done = services.parcel_pickup(
        actor=cast.desk_a,
        community_id=cast.alpha.pk,
        code=parcel.pickup_code,
        method="code",
        collector_name="张伟",
        signature=SIGNATURE,
        now=T0 + hours(3),
    )
    assert done.status == ParcelStatus.COLLECTED
    assert done.signature.name
    assert done.handed_by == cast.desk_a


def test_pickup_needs_signature_and_for_identity_the_id_checked_r_pcl_2(cast):
    consent(cast)
    parcel = receive(cast)
    with pytest.raises(Invalid) as exc:
        services.parcel_pickup(
            actor=cast.desk_a, parcel_id=parcel.pk, method="identity", collector_name="张伟"
        )
    assert set(exc.value.errors) == {"signature", "identity_note"}


def test_picking_up_twice_is_refused(cast):
    consent(cast)
    parcel = receive(cast)
    kw = {
        "actor": cast.desk_a,
        "parcel_id": parcel.pk,
        "method": "identity",
        "collector_name": "李娜",
        "identity_note": "身份证后四位 002X",
        "paper_form_number": "QJ-1",
    }
    services.parcel_pickup(**kw)
    before = row_counts(*FD)
    with pytest.raises(Conflict):
        services.parcel_pickup(**kw)
    assert row_counts(*FD) == before


def test_a_pickup_code_of_another_community_is_refused(cast):
    consent(cast)
    parcel = receive(cast)
    with pytest.raises(Invalid) as exc:
        services.parcel_pickup(
            actor=cast.desk_b,
            community_id=cast.beta.pk,
            code=parcel.pickup_code,
            method="code",
            collector_name="王芳",
            signature=SIGNATURE,
        )
    assert list(exc.value.errors) == ["code"]
    with pytest.raises(NotFound):
        services.parcel_pickup(
            actor=cast.desk_b,
            parcel_id=parcel.pk,
            code=parcel.pickup_code,
            method="code",
            collector_name="王芳",
            signature=SIGNATURE,
        )
    parcel.refresh_from_db()
    assert parcel.status == ParcelStatus.WAITING


def test_perishable_parcel_escalates_the_same_day(cast):
    consent(cast)
    food = receive(cast, tracking="SF1", perishable=True)
    other = receive(cast, tracking="SF2")
    assert food.escalate_at == T0 + hours(4)
    assert services.parcel_follow_up_sweep(now=T0 + hours(3)) == 0
    assert services.parcel_follow_up_sweep(now=T0 + hours(4)) == 1
    assert DeskEvent.objects.filter(object_id=food.pk, action="escalate").exists()
    assert services.parcel_follow_up_sweep(now=T0 + hours(5)) == 0
    assert other.escalate_at == T0 + hours(72)
    rows = parcels_aging(cast.desk_a, community_id=cast.alpha.pk, now=T0 + hours(5))
    assert [(p.pk, p.waiting_hours) for p in rows] == [(food.pk, 5), (other.pk, 5)]


def test_undeliverable_mail_goes_back_within_3_days_with_the_postal_worker_r_pcl_3(cast):
    consent(cast)
    mail = receive(cast, tracking="", kind="mail", carrier="中国邮政")
    services.parcel_mark_undeliverable(
        actor=cast.desk_a, parcel_id=mail.pk, reason="收件人已搬走", now=T0
    )
    mail.refresh_from_db()
    assert mail.return_due_at == T0 + hours(72)
    listed = mail_return_list(cast.desk_a, community_id=cast.alpha.pk, now=T0 + hours(73))
    assert [(p.pk, p.overdue) for p in listed] == [(mail.pk, True)]
    with pytest.raises(Invalid) as exc:
        services.parcel_return_to_post(
            actor=cast.desk_a, community_id=cast.alpha.pk, parcel_ids=[mail.pk], postal_worker=""
        )
    assert list(exc.value.errors) == ["postal_worker"]
    services.parcel_return_to_post(
        actor=cast.desk_a,
        community_id=cast.alpha.pk,
        parcel_ids=[mail.pk],
        postal_worker="邮递员 周强",
        now=T0 + hours(48),
    )
    mail.refresh_from_db()
    assert (mail.status, mail.postal_worker) == (ParcelStatus.RETURNED, "邮递员 周强")
    assert mail_return_list(cast.desk_a, community_id=cast.alpha.pk) == []


def test_only_undeliverable_items_can_be_returned_to_the_post_office_r_pcl_3(cast):
    consent(cast)
    parcel = receive(cast)
    with pytest.raises(Conflict):
        services.parcel_return_to_post(
            actor=cast.desk_a,
            community_id=cast.alpha.pk,
            parcel_ids=[parcel.pk],
            postal_worker="周强",
        )
    assert Parcel.objects.get().status == ParcelStatus.WAITING


@pytest.mark.django_db(transaction=True)
def test_two_agents_handing_over_one_parcel_at_once_one_wins(cast, on_postgres):
    import threading

    from django.db import connection as conn

    consent(cast)
    parcel = receive(cast)
    barrier = threading.Barrier(2, timeout=10)
    outcomes: list[str] = []

    def hand_over(actor):
        try:
            barrier.wait()
            services.parcel_pickup(
                actor=actor,
                parcel_id=parcel.pk,
                method="code",
                code=parcel.pickup_code,
                collector_name="张伟",
                paper_form_number="QJ-9",
            )
            outcomes.append("handed over")
        except Conflict as exc:
            outcomes.append(f"refused: {exc.code}")
        finally:
            conn.close()

    threads = [threading.Thread(target=hand_over, args=(a,)) for a in (cast.desk_a, cast.steward_a)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["handed over", "refused: invalid_transition"]
    assert DeskEvent.objects.filter(object_id=parcel.pk, action="pickup").count() == 1


def test_an_optional_photo_is_kept_and_must_be_an_image(cast):
    import io

    from .conftest import PNG

    consent(cast)
    parcel = receive(cast, photo=io.BytesIO(PNG))
    assert parcel.photo.name.endswith(".png")
    before = row_counts(*FD)
    with pytest.raises(Invalid) as exc:
        receive(cast, tracking="SF2", photo=io.BytesIO(b"%PDF-1.4 not an image"))
    assert list(exc.value.errors) == ["photo"]
    assert row_counts(*FD) == before
