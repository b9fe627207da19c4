"""Temporary storage (R-STO-1), release passes (R-REL-1), the shift handover (R-PCL-4)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from propdesk.core.errors import Conflict, Forbidden, Invalid
from propdesk.frontdesk import checks, services
from propdesk.frontdesk.models import DeskRefusal, PassStatus, StorageItem, StorageStatus
from propdesk.frontdesk.selectors import pass_verdict, storage_end_of_day
from propdesk.testing.counts import row_counts

from .conftest import SIGNATURE, T0, deposit, hours, lend

pytestmark = pytest.mark.django_db


def store(cast, label="S01", now=T0, **kw):
    data = {
        "actor": cast.desk_a,
        "community_id": cast.alpha.pk,
        "owner_name": "张伟",
        "description": "超市购物袋两个",
        "label_number": label,
        "now": now,
    }
    data.update(kw)
    return services.storage_deposit(**data)


def test_storage_is_logged_and_collected_r_sto_1(cast):
    item = store(
        cast, customer_id=cast.alice.pk, house_id=cast.house_a1.pk, owner_phone="13812345678"
    )
    assert item.status == StorageStatus.HELD
    services.storage_collect(actor=cast.desk_a, item_id=item.pk, collected_by_name="张伟")
    item.refresh_from_db()
    assert item.status == StorageStatus.COLLECTED
    store(cast)  # the label is free again


def test_valuables_are_refused_and_the_refusal_recorded_r_sto_1(cast):
    before = row_counts("frontdesk.StorageItem")
    with pytest.raises(Invalid) as exc:
        store(cast, valuable=True)
    assert list(exc.value.errors) == ["valuable"]
    assert row_counts("frontdesk.StorageItem") == before
    refusal = services.refusal_record(
        actor=cast.desk_a,
        community_id=cast.alpha.pk,
        kind="storage",
        person_name="张伟",
        description="金项链",
        reason="贵重物品不予寄存",
        house_id=cast.house_a1.pk,
    )
    assert DeskRefusal.objects.get() == refusal


def test_end_of_day_list_shows_what_is_still_held_and_overnight_items_r_sto_1(cast):
    old = store(cast, label="S01", now=T0 - hours(24))
    today = store(cast, label="S02", now=T0)
    rows = storage_end_of_day(cast.desk_a, community_id=cast.alpha.pk, now=T0 + hours(9))
    assert [(r.pk, r.overnight, r.followed_up) for r in rows] == [
        (old.pk, True, False),
        (today.pk, False, False),
    ]
    services.storage_follow_up(
        actor=cast.desk_a, item_id=today.pk, method="phone", outcome="业主说明早来取"
    )
    rows = storage_end_of_day(cast.desk_a, community_id=cast.alpha.pk, now=T0 + hours(9))
    assert rows[1].followed_up is True


def test_duplicate_storage_label_refused(cast):
    store(cast)
    with pytest.raises(Invalid) as exc:
        store(cast)
    assert list(exc.value.errors) == ["label_number"]
    assert StorageItem.objects.count() == 1


# --- release passes -------------------------------------------------------------------


def apply(cast, **kw):
    data = {
        "actor": cast.desk_a,
        "house_id": cast.house_a1.pk,
        "applicant_name": "张伟",
        "applicant_customer_id": cast.alice.pk,
        "items": "冰箱一台\n纸箱五个",
        "reason": "moving_out",
        "valid_on": dt.date(2026, 3, 2),
        "now": T0,
    }
    data.update(kw)
    return services.pass_apply(**data)


def test_pass_needs_the_owner_or_a_recorded_consent_r_rel_1(cast):
    with pytest.raises(Invalid) as exc:
        apply(cast, applicant_customer_id=None, applicant_name="搬家公司")
    assert list(exc.value.errors) == ["owner_consent_note"]
    release = apply(
        cast,
        applicant_customer_id=None,
        applicant_name="搬家公司",
        owner_consent_note="业主张伟 3月1日电话同意",
    )
    assert release.status == PassStatus.APPLIED
    services.pass_policy_set(
        actor=cast.supervisor_a,
        community_id=cast.alpha.pk,
        require_owner_or_consent=False,
        warn_on_arrears=True,
        block_on_arrears=False,
    )
    assert apply(cast, applicant_customer_id=None, applicant_name="搬家公司").pk


def test_arrears_from_billing_warn_and_block_r_rel_1(cast):
    from propdesk.billing.seeds import seed_community
    from propdesk.billing.services import billing_run_start

    assert checks.house_arrears(cast.house_a1) == 0
    seed_community(cast.alpha.pk)
    billing_run_start(actor=cast.director_a, community_id=cast.alpha.pk, period="2025-01")
    assert checks.house_arrears(cast.house_a1) == Decimal("233.75")
    release = apply(cast)
    assert release.warnings[0]["code"] == "arrears"
    services.pass_policy_set(
        actor=cast.supervisor_a,
        community_id=cast.alpha.pk,
        require_owner_or_consent=True,
        warn_on_arrears=True,
        block_on_arrears=True,
    )
    with pytest.raises(Conflict):
        services.pass_decide(actor=cast.supervisor_a, pass_id=release.pk, approve=True, now=T0)


def test_approval_numbers_the_pass_and_the_gate_uses_it_once_r_rel_1(cast):
    release = apply(cast)
    with pytest.raises(Forbidden):
        services.pass_decide(actor=cast.desk_a, pass_id=release.pk, approve=True, now=T0)
    assert (
        pass_verdict(cast.desk_a, community_id=cast.alpha.pk, number="x", now=T0).code == "unknown"
    )
    release = services.pass_decide(
        actor=cast.supervisor_a, pass_id=release.pk, approve=True, now=T0
    )
    assert release.number == "202600001"
    check = pass_verdict(cast.desk_a, community_id=cast.alpha.pk, number=release.number, now=T0)
    assert check.code == "valid"
    used = services.pass_use(
        actor=cast.desk_a, community_id=cast.alpha.pk, number=release.number, gate="东门", now=T0
    )
    assert (used.status, used.used_by, used.gate) == (PassStatus.USED, cast.desk_a, "东门")
    with pytest.raises(Conflict) as exc:
        services.pass_use(
            actor=cast.desk_a, community_id=cast.alpha.pk, number=release.number, now=T0
        )
    assert exc.value.code == "used"


def test_gate_says_expired_not_approved_and_other_community_r_rel_1(cast):
    release = apply(cast)
    v = pass_verdict(cast.desk_a, community_id=cast.alpha.pk, number="", now=T0)
    assert v.code == "unknown"
    services.pass_decide(actor=cast.supervisor_a, pass_id=release.pk, approve=True, now=T0)
    release.refresh_from_db()
    tomorrow = T0 + hours(24)
    assert (
        pass_verdict(
            cast.desk_a, community_id=cast.alpha.pk, number=release.number, now=tomorrow
        ).code
        == "expired"
    )
    assert (
        pass_verdict(cast.desk_b, community_id=cast.beta.pk, number=release.number, now=T0).code
        == "unknown"
    )
    pending = apply(cast)
    services.pass_decide(
        actor=cast.supervisor_a, pass_id=pending.pk, approve=False, note="物品清单不全", now=T0
    )
    pending.refresh_from_db()
    assert pending.number == ""


@pytest.mark.django_db(transaction=True)
def test_two_gates_using_one_pass_at_once_one_wins_r_rel_1(cast, on_postgres):
    import threading

    from django.db import connection as conn

    release = apply(cast)
    release = services.pass_decide(
        actor=cast.supervisor_a, pass_id=release.pk, approve=True, now=T0
    )
    barrier = threading.Barrier(2, timeout=10)
    outcomes: list[str] = []

    def gate(actor, name):
        try:
            barrier.wait()
            services.pass_use(
                actor=actor, community_id=cast.alpha.pk, number=release.number, gate=name, now=T0
            )
            outcomes.append("let out")
        except Conflict as exc:
            outcomes.append(f"refused: {exc.code}")
        finally:
            conn.close()

    threads = [
        threading.Thread(target=gate, args=(a, g))
        for a, g in ((cast.desk_a, "东门"), (cast.steward_a, "西门"))
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["let out", "refused: used"]
    from propdesk.frontdesk.models import DeskEvent

    assert DeskEvent.objects.filter(object_type="pass", action="use").count() == 1


# --- handover -------------------------------------------------------------------------


def test_handover_lists_what_the_desk_holds_and_the_next_agent_confirms_r_pcl_4(cast):
    key = deposit(cast)
    lend(cast, key, back=T0 + hours(1))
    store(cast)
    handover = services.handover_create(
        actor=cast.desk_a, community_id=cast.alpha.pk, notes="3号柜锁有点紧", now=T0 + hours(2)
    )
    snap = handover.snapshot
    assert snap["keys_out"][0]["tag"] == "K001"
    assert snap["keys_out"][0]["overdue"] is True
    assert snap["storage_held"][0]["label"] == "S01"
    with pytest.raises(Conflict):
        services.handover_confirm(actor=cast.desk_a, handover_id=handover.pk, signature=SIGNATURE)
    with pytest.raises(Invalid):
        services.handover_confirm(actor=cast.steward_a, handover_id=handover.pk)
    done = services.handover_confirm(
        actor=cast.steward_a, handover_id=handover.pk, signature=SIGNATURE
    )
    assert done.incoming == cast.steward_a
    assert done.confirmed_at
