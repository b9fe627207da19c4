"""Keys: deposit (R-KEY-1), lends (R-KEY-2), the 12-hour rule (R-KEY-3), repair consent
(R-KEY-4), cabinet audit (R-KEY-5), return to the owner."""

from __future__ import annotations

import pytest

from propdesk.core.errors import Conflict, Forbidden, Invalid, NotFound
from propdesk.customers.models import TimelineEntry
from propdesk.frontdesk import services
from propdesk.frontdesk.models import DeskEvent, Key, KeyLend, KeyStatus
from propdesk.frontdesk.selectors import lends_overdue
from propdesk.frontdesk.workflow import KEY_TRANSITIONS, allowed_actions
from propdesk.testing.counts import row_counts

from .conftest import SIGNATURE, T0, deposit, hours, lend

pytestmark = pytest.mark.django_db

FD = ("frontdesk.Key", "frontdesk.KeyLend", "frontdesk.DeskEvent", "customers.TimelineEntry")


def test_deposit_records_identity_condition_signature_tag_and_slot_r_key_1(cast):
    key = deposit(cast)
    assert key.status == KeyStatus.IN_CABINET
    assert key.signature.name.endswith(".png")
    assert (key.tag_number, key.cabinet_slot) == ("K001", "A-01")
    assert DeskEvent.objects.filter(object_type="key", object_id=key.pk, action="deposit").exists()
    assert TimelineEntry.objects.filter(
        house=cast.house_a1, kind="frontdesk.key.deposited"
    ).exists()
    assert TimelineEntry.objects.filter(
        customer=cast.alice, kind="frontdesk.key.deposited"
    ).exists()


def test_deposit_accepts_a_paper_form_number_instead_of_a_drawn_signature_r_key_1(cast):
    key = deposit(cast, signature="", paper_form_number="KD-2026-0042")
    assert key.paper_form_number == "KD-2026-0042"


def test_deposit_without_signature_identity_or_condition_is_refused_r_key_1(cast):
    before = row_counts(*FD)
    with pytest.raises(Invalid) as exc:
        deposit(cast, signature="", condition="", identity_method="id_shown", customer_id=None)
    assert set(exc.value.errors) == {"signature", "condition", "identity_note"}
    assert row_counts(*FD) == before


def test_a_signature_that_is_not_a_png_is_refused(cast):
    fake = "data:image/png;base64," + __import__("base64").b64encode(b"GIF89a....").decode()
    with pytest.raises(Invalid) as exc:
        deposit(cast, signature=fake)
    assert list(exc.value.errors) == ["signature"]


def test_tag_and_slot_are_unique_in_the_community(cast):
    deposit(cast)
    with pytest.raises(Invalid) as exc:
        deposit(cast, house=cast.house_a2)
    assert set(exc.value.errors) == {"tag_number", "cabinet_slot"}


def test_customer_record_must_belong_to_the_house(cast):
    with pytest.raises(Invalid) as exc:
        deposit(cast, customer_id=cast.bob.pk)
    assert list(exc.value.errors) == ["customer_id"]


def test_lend_and_take_back_record_borrower_phone_and_times_r_key_2(cast):
    key = deposit(cast)
    out = lend(cast, key, now=T0 + hours(1))
    key.refresh_from_db()
    assert key.status == KeyStatus.LENT
    assert out.borrower_phone == "+8613900001111"
    back = services.key_take_back(actor=cast.desk_a, key_id=key.pk, now=T0 + hours(2))
    key.refresh_from_db()
    assert key.status == KeyStatus.IN_CABINET
    assert back.back_at == T0 + hours(2)
    actions = list(
        DeskEvent.objects.filter(object_type="key", object_id=key.pk).values_list(
            "action", flat=True
        )
    )
    assert actions == ["deposit", "lend", "take_back"]


def test_lending_a_key_that_is_already_out_is_refused(cast):
    key = deposit(cast)
    lend(cast, key)
    before = row_counts(*FD)
    with pytest.raises(Conflict) as exc:
        lend(cast, key)
    assert exc.value.details["allowed"] == ["take_back", "mark_missing"]
    assert row_counts(*FD) == before


def test_a_return_time_before_the_lend_is_refused(cast):
    key = deposit(cast)
    lend(cast, key, now=T0 + hours(1))
    before = row_counts(*FD)
    with pytest.raises(Invalid) as exc:
        services.key_take_back(actor=cast.desk_a, key_id=key.pk, back_at=T0, now=T0 + hours(3))
    assert list(exc.value.errors) == ["back_at"]
    assert row_counts(*FD) == before
    assert KeyLend.objects.get().back_at is None


def test_undelivered_house_key_over_12_hours_without_approval_is_refused_r_key_3(
    cast, undelivered_house
):
    key = deposit(cast, kind="undelivered", house=undelivered_house)
    before = row_counts(*FD)
    with pytest.raises(Conflict) as exc:
        lend(cast, key, back=T0 + hours(13))
    assert exc.value.code == "approval_required"
    assert "R-KEY-3" in str(exc.value.message)
    assert row_counts(*FD) == before
    # 12 hours is allowed without approval.
    assert lend(cast, key, back=T0 + hours(12)).approval is None


def test_undelivered_key_long_lend_with_a_managers_approval_r_key_3(cast, undelivered_house):
    key = deposit(cast, kind="undelivered", house=undelivered_house)
    with pytest.raises(Forbidden):
        services.key_approval_grant(
            actor=cast.desk_a, key_id=key.pk, until=T0 + hours(30), reason="装修验收", now=T0
        )
    approval = services.key_approval_grant(
        actor=cast.supervisor_a, key_id=key.pk, until=T0 + hours(30), reason="装修验收", now=T0
    )
    out = lend(cast, key, back=T0 + hours(24))
    assert out.approval == approval
    approval.refresh_from_db()
    assert approval.used_at == T0


def test_overdue_undelivered_key_raises_one_alert_r_key_3(cast, undelivered_house):
    key = deposit(cast, kind="undelivered", house=undelivered_house)
    lend(cast, key, back=T0 + hours(12))
    assert not lends_overdue(now=T0 + hours(11)).exists()
    assert (
        services.key_overdue_sweep(
            now=T0
            + hours(
                12,
            )
            + hours(0.5)
        )
        == 1
    )
    assert services.key_overdue_sweep(now=T0 + hours(14)) == 0
    alert = DeskEvent.objects.get(object_type="key", action="overdue_alert")
    assert "K001" in alert.note
    from propdesk.notify.models import OutboxMessage

    assert OutboxMessage.objects.filter(channel="staff", staff_user_id=cast.desk_a.pk).count() == 1


def test_repair_key_is_lent_only_with_the_owners_consent_recorded_r_key_4(cast):
    key = deposit(cast, kind="repair")
    with pytest.raises(Conflict) as exc:
        lend(cast, key)
    assert exc.value.code == "consent_required"
    consent = services.key_consent_record(
        actor=cast.desk_a,
        key_id=key.pk,
        method="phone",
        given_by="张伟",
        given_at=T0 - hours(1),
        purpose="维修卫生间漏水",
        now=T0,
    )
    out = lend(cast, key, now=T0 + hours(0.5))
    assert out.consent == consent
    services.key_take_back(actor=cast.desk_a, key_id=key.pk, now=T0 + hours(1))
    # One consent, one use: the next lend needs a new consent.
    with pytest.raises(Conflict):
        lend(cast, key, now=T0 + hours(2))


def test_cabinet_audit_marks_present_missing_misplaced_r_key_5(cast):
    k1 = deposit(cast, tag="K001", slot="A-01")
    k2 = deposit(cast, tag="K002", slot="A-02", house=cast.house_a2, customer_id=cast.bob.pk)
    k3 = deposit(cast, tag="K003", slot="A-03", kind="repair")
    with pytest.raises(Invalid):  # every key in the cabinet needs a result
        services.key_audit_record(
            actor=cast.desk_a, community_id=cast.alpha.pk, results={k1.pk: {"result": "present"}}
        )
    audit = services.key_audit_record(
        actor=cast.desk_a,
        community_id=cast.alpha.pk,
        results={
            k1.pk: {"result": "present"},
            k2.pk: {"result": "missing"},
            k3.pk: {"result": "misplaced", "found_slot": "a-09"},
        },
        now=T0,
    )
    assert (audit.present, audit.missing, audit.misplaced) == (1, 1, 1)
    assert audit.auditor == cast.desk_a
    k2.refresh_from_db()
    assert k2.status == KeyStatus.MISSING
    assert audit.lines.get(key=k3).found_slot == "A-09"
    # Found in the next audit: back in the cabinet.
    services.key_audit_record(
        actor=cast.desk_a,
        community_id=cast.alpha.pk,
        results={k.pk: {"result": "present"} for k in (k1, k2, k3)},
        now=T0 + hours(24),
    )
    k2.refresh_from_db()
    assert k2.status == KeyStatus.IN_CABINET


def test_return_to_owner_closes_the_deposit_and_frees_tag_and_slot(cast):
    key = deposit(cast)
    services.key_release(
        actor=cast.desk_a, key_id=key.pk, receiver_name="张伟", signature=SIGNATURE
    )
    key.refresh_from_db()
    assert key.status == KeyStatus.RELEASED
    assert key.release_signature.name
    assert allowed_actions("key", key.status) == []
    deposit(cast)  # the tag and the slot can be used again
    assert Key.objects.count() == 2


def test_state_table_is_data():
    assert KEY_TRANSITIONS["lend"][1] == KeyStatus.LENT
    assert allowed_actions("key", KeyStatus.IN_CABINET) == ["lend", "mark_missing", "release"]


def test_staff_of_another_community_cannot_see_or_lend_the_key(cast):
    key = deposit(cast)
    before = row_counts(*FD)
    with pytest.raises(NotFound):
        lend(cast, key, actor=cast.desk_b)
    with pytest.raises(Forbidden):
        lend(cast, key, actor=cast.maint_head_a)  # sees the desk, may not operate it
    assert row_counts(*FD) == before


def test_events_are_immutable(cast):
    key = deposit(cast)
    event = DeskEvent.objects.get(object_id=key.pk)
    event.note = "changed"
    with pytest.raises(RuntimeError):
        event.save()


@pytest.mark.django_db(transaction=True)
def test_two_desks_lending_one_key_at_once_one_wins(cast, on_postgres):
    import threading

    from django.db import connection as conn

    key = deposit(cast)
    barrier = threading.Barrier(2, timeout=10)
    outcomes: list[str] = []

    def desk(actor):
        try:
            barrier.wait()
            lend(cast, key, actor=actor, now=T0 + hours(1))
            outcomes.append("lent")
        except Conflict as exc:
            outcomes.append(f"refused: {exc.code}")
        finally:
            conn.close()

    threads = [threading.Thread(target=desk, args=(a,)) for a in (cast.desk_a, cast.steward_a)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["lent", "refused: invalid_transition"]
    assert KeyLend.objects.count() == 1
