"""Demo data of the front desk: keys, parcels, storage, passes and handovers in every state.

Driven through the services (so events, timelines and outbox rows are real), with
times relative to `ctx.now` and this app's own seeded rng. Parcel consent is
written set-based for a share of the owners; everything else is a few dozen rows.
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from propdesk.customers.models import Occupancy, OccupancyRole
from propdesk.estates.models import House, HouseStatus

from . import services
from .models import ConsentMethod, Key, ParcelConsent

# A 1×1 PNG: the demo's drawn signatures (real ones come from the signature pad).
_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000b49444154789c6360000200000500017a5eab3f0000000049454e44ae426082"
)
SIGNATURE = "data:image/png;base64," + base64.b64encode(_PNG).decode()

CARRIERS = (("SF", "顺丰"), ("JD", "京东"), ("YT", "圆通"), ("ZTO", "中通"), ("JT", "极兔"))
BORROWERS = (
    ("contractor", "刘师傅", "13911112222", "维修水管"),
    ("staff", "陈工", "13922223333", "验房"),
    ("family", "张小明", "13933334444", "取物品"),
    ("contractor", "赵师傅", "13944445555", "安装空调"),
)


def build(ctx: Any) -> None:
    community = ctx.main
    rng = ctx.rng
    now: dt.datetime = ctx.now
    desk = ctx.staff["desk"]
    supervisor = ctx.staff["supervisor"]
    steward = ctx.staff.get("steward", supervisor)

    def ago(hours: float) -> dt.datetime:
        return now - dt.timedelta(hours=hours)

    owners = list(
        Occupancy.objects.filter(
            community=community,
            role=OccupancyRole.OWNER,
            end_date__isnull=True,
            customer__community=community,
            house__status=HouseStatus.OCCUPIED,
        )
        .select_related("house", "customer")
        .order_by("house__label")[:400]
    )
    if len(owners) < 40:
        ctx.say("frontdesk: too few owners for the demo; skipped")
        return

    # R-PCL-1: about two thirds of these owners agreed that the desk receives their parcels.
    consenting = [o for i, o in enumerate(owners) if i % 3 != 2]
    ParcelConsent.objects.bulk_create(
        [
            ParcelConsent(
                community=community,
                customer=o.customer,
                granted=True,
                method=ConsentMethod.PAPER,
                recorded_by=desk,
                recorded_at=ago(24 * 30),
            )
            for o in {o.customer_id: o for o in consenting}.values()
        ],
        ignore_conflicts=True,
    )

    # --- keys ---------------------------------------------------------------------
    slot = iter(f"{row}-{n:02d}" for row in "ABCD" for n in range(1, 21))
    keys = []
    for i, occ in enumerate(owners[:14]):
        kind = "repair" if i % 4 == 3 else "delivered"
        keys.append(
            services.key_deposit(
                actor=desk,
                house_id=occ.house_id,
                kind=kind,
                depositor_name=occ.customer.name,
                identity_method="record",
                customer_id=occ.customer_id,
                condition=rng.choice(("两把，完好", "一把，完好", "三把，其一略弯", "门禁卡一张")),
                tag_number=f"K{i + 1:03d}",
                cabinet_slot=next(slot),
                paper_form_number=f"KD{ctx.today:%Y}-{i + 1:04d}",
                now=ago(24 * (30 - i)),
            )
        )
    special = {
        status: list(House.objects.filter(community=community, status=status).order_by("label")[:3])
        for status in (HouseStatus.UNSOLD, HouseStatus.CUSTODY)
    }
    undelivered = [
        services.key_deposit(
            actor=desk,
            house_id=house.pk,
            kind="undelivered",
            depositor_name="开发商 工程部 孙经理",
            identity_method="id_shown",
            identity_note="开发商工作证",
            condition="两把，带门禁卡",
            tag_number=f"U{n + 1:03d}",
            cabinet_slot=next(slot),
            paper_form_number=f"KD{ctx.today:%Y}-U{n + 1:03d}",
            now=ago(24 * 60),
        )
        for n, house in enumerate(special[HouseStatus.UNSOLD])
    ]
    for n, house in enumerate(special[HouseStatus.CUSTODY]):
        services.key_deposit(
            actor=desk,
            house_id=house.pk,
            kind="custody",
            depositor_name="业主委托",
            identity_method="id_shown",
            identity_note="委托书 + 身份证",
            condition="一把",
            tag_number=f"T{n + 1:03d}",
            cabinet_slot=next(slot),
            paper_form_number=f"KD{ctx.today:%Y}-T{n + 1:03d}",
            now=ago(24 * 90),
        )

    def lend(key: Any, n: int, out: float, back_in: float) -> Any:
        kind, name, phone, purpose = BORROWERS[n % len(BORROWERS)]
        return services.key_lend(
            actor=desk,
            key_id=key.pk,
            borrower_kind=kind,
            borrower_name=name,
            borrower_phone=phone,
            purpose=purpose,
            promised_back_at=ago(out) + dt.timedelta(hours=back_in),
            now=ago(out),
        )

    # Lent and back (history), lent now, and lent past the promise.
    for n, key in enumerate(keys[:4]):
        if key.kind == "repair":
            continue
        lend(key, n, 72 - n, 3)
        services.key_take_back(actor=desk, key_id=key.pk, now=ago(70 - n))
    lend(keys[4], 0, 2, 4)
    lend(keys[5], 1, 6, 2)  # overdue: promised four hours ago
    # A repair key: the owner's phone consent, then the lend (R-KEY-4).
    repair = next(k for k in keys if k.kind == "repair")
    services.key_consent_record(
        actor=desk,
        key_id=repair.pk,
        method="phone",
        given_by=repair.customer.name if repair.customer else "业主",
        given_at=ago(3),
        purpose="维修卫生间漏水",
        now=ago(3),
    )
    lend(repair, 3, 1, 3)
    if undelivered:
        # Out 14 hours with no approval: the overdue alert (R-KEY-3).
        lend(undelivered[0], 1, 14, 11)
        if len(undelivered) > 1:
            services.key_approval_grant(
                actor=supervisor,
                key_id=undelivered[1].pk,
                until=ago(2) + dt.timedelta(hours=30),
                reason="开发商整改，需连续两天进场",
                now=ago(2),
            )
            lend(undelivered[1], 0, 2, 26)
    services.key_overdue_sweep(now=now)
    # Last night's audit found one key missing; one key went back to its owner.
    in_cabinet = list(Key.objects.filter(community=community, status="in_cabinet").order_by("pk"))
    results = {k.pk: {"result": "present"} for k in in_cabinet}
    results[in_cabinet[-1].pk] = {"result": "missing", "note": "柜内未见"}
    results[in_cabinet[-2].pk] = {"result": "misplaced", "found_slot": "D-20"}
    services.key_audit_record(
        actor=steward, community_id=community.pk, results=results, note="月度盘点", now=ago(12)
    )
    services.key_release(
        actor=desk,
        key_id=keys[6].pk,
        receiver_name=keys[6].depositor_name,
        paper_form_number=f"KR{ctx.today:%Y}-0001",
        now=ago(1),
    )

    # --- parcels and mail ------------------------------------------------------------
    count = max(20, int(60 * ctx.scale))
    parcels = []
    for n in range(count):
        occ = consenting[n % len(consenting)]
        prefix, carrier = rng.choice(CARRIERS)
        parcels.append(
            services.parcel_receive(
                actor=desk,
                house_id=occ.house_id,
                customer_id=occ.customer_id,
                tracking_number=f"{prefix}{rng.randrange(10**11, 10**12)}",
                carrier=carrier,
                size=rng.choice("ssml"),
                shelf=f"{'ABC'[n % 3]}{n % 6 + 1}",
                perishable=n % 9 == 0,
                now=ago(rng.uniform(0.2, 96)),
            )
        )
    for n, parcel in enumerate(parcels[: count // 2]):
        if n % 2:
            services.parcel_pickup(
                actor=desk,
                parcel_id=parcel.pk,
                method="code",
                code=parcel.pickup_code,
                collector_name=parcel.customer.name,
                paper_form_number=f"QJ{n:04d}",
                now=max(parcel.received_at, ago(0.1)),
            )
        else:
            services.parcel_pickup(
                actor=desk,
                parcel_id=parcel.pk,
                method="identity",
                identity_note="身份证已核对",
                collector_name="家人代取",
                paper_form_number=f"QJ{n:04d}",
                now=max(parcel.received_at, ago(0.1)),
            )
    mail = []
    for n, occ in enumerate(consenting[-4:]):
        mail.append(
            services.parcel_receive(
                actor=desk,
                house_id=occ.house_id,
                customer_id=occ.customer_id,
                kind="registered" if n % 2 else "mail",
                carrier="中国邮政",
                tracking_number=f"XA{rng.randrange(10**8, 10**9)}CN",
                shelf="M1",
                now=ago(24 * (5 - n)),
            )
        )
    for n, item in enumerate(mail):
        services.parcel_mark_undeliverable(
            actor=desk,
            parcel_id=item.pk,
            reason=("收件人已搬离", "查无此人", "业主拒收", "地址不详")[n],
            now=ago(24 * (4 - n)),
        )
    services.parcel_return_to_post(
        actor=desk,
        community_id=community.pk,
        parcel_ids=[mail[0].pk],
        postal_worker="邮递员 周强",
        postal_receipt_number="TY-20931",
        now=ago(20),
    )
    services.parcel_follow_up_sweep(now=now)

    # --- storage and refusals ------------------------------------------------------------
    for n, (what, hours) in enumerate(
        (("超市购物袋两个", 2), ("干洗衣物一袋", 5), ("快递纸箱（大）", 28), ("蔬菜水果一箱", 3))
    ):
        occ = owners[20 + n]
        stored = services.storage_deposit(
            actor=desk,
            community_id=community.pk,
            owner_name=occ.customer.name,
            customer_id=occ.customer_id,
            house_id=occ.house_id,
            description=what,
            label_number=f"S{n + 1:02d}",
            now=ago(hours),
        )
        if hours > 24:
            services.storage_follow_up(
                actor=desk,
                item_id=stored.pk,
                method="phone",
                outcome="业主出差，明早由家人来取",
                now=ago(hours - 8),
            )
        if n == 3:
            services.storage_collect(
                actor=desk, item_id=stored.pk, collected_by_name=occ.customer.name, now=ago(1)
            )
    services.refusal_record(
        actor=desk,
        community_id=community.pk,
        kind="storage",
        person_name=owners[25].customer.name,
        house_id=owners[25].house_id,
        description="现金信封",
        reason="贵重物品不在前台寄存范围，已婉拒",
        now=ago(26),
    )

    # --- release passes --------------------------------------------------------------------
    today = ctx.today
    plans = (
        ("moving_out", "双人床一张\n衣柜一个\n纸箱十个", "applied", 0),
        ("repair", "空调室外机一台（送修）", "approved", 0),
        ("shop_goods", "店铺货品五箱", "used", 0),
        ("moving_out", "沙发一套", "rejected", 0),
        ("other", "旧自行车一辆", "cancelled", 0),
        ("moving_out", "书柜一个", "approved", -1),  # expired yesterday
        ("repair", "洗衣机一台（送修）", "approved", 1),  # valid tomorrow
    )
    for n, (reason, items, state, day) in enumerate(plans):
        occ = owners[30 + n]
        when = ago(30) if day < 0 else ago(3)
        release = services.pass_apply(
            actor=desk,
            house_id=occ.house_id,
            applicant_name=occ.customer.name,
            applicant_customer_id=occ.customer_id,
            items=items,
            reason=reason,
            valid_on=today + dt.timedelta(days=day),
            now=when,
        )
        if state in {"approved", "used", "rejected"}:
            services.pass_decide(
                actor=supervisor,
                pass_id=release.pk,
                approve=state != "rejected",
                note="" if state != "rejected" else "物品清单与登记不符，请补充",
                now=when + dt.timedelta(minutes=20),
            )
        if state == "used":
            release.refresh_from_db()
            services.pass_use(
                actor=desk,
                community_id=community.pk,
                number=release.number,
                gate="东门",
                # Let out now: a pass is good on its own day only, and three hours ago may
                # have been yesterday (a demo loaded just after midnight).
                now=now,
            )
        if state == "cancelled":
            services.pass_cancel(actor=desk, pass_id=release.pk, note="业主取消", now=when)

    # --- shift handover ----------------------------------------------------------------------
    earlier = services.handover_create(
        actor=steward, community_id=community.pk, notes="夜班无异常。", now=ago(16)
    )
    services.handover_confirm(
        actor=desk, handover_id=earlier.pk, signature=SIGNATURE, now=ago(15.9)
    )
    services.handover_create(
        actor=desk,
        community_id=community.pk,
        notes="K006 钥匙已超时未还，已电话联系借用人；B 架冷藏件请优先通知。",
        now=now,
    )
    ctx.say(
        f"frontdesk: {len(keys) + len(undelivered)} keys, {len(parcels) + len(mail)} parcels, "
        f"{len(plans)} release passes"
    )
