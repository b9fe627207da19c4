"""Demo data of the outbox: a few messages in every state, so staff see what each looks like.

Runs after the foundation (see `propdesk demo`). Deterministic: fixed texts, the
app's own seeded rng, times relative to `ctx.now`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from propdesk.customers.models import Customer, OwnerAccount

from .masking import mask_address
from .models import Channel, OutboxMessage, OutboxState, PortalMessage, StaffAlert


def build(ctx: Any) -> None:
    community = ctx.main
    now: dt.datetime = ctx.now
    customers = list(
        Customer.objects.filter(community=community).exclude(phone_cipher="").order_by("id")[:40]
    )
    if not customers:
        return
    picks = ctx.rng.sample(customers, k=min(6, len(customers)))
    account = (
        OwnerAccount.objects.filter(user__in=list(ctx.owners.values()))
        .select_related("customer")
        .order_by("id")
        .first()
    )
    owner_customer = account.customer if account else picks[0]
    desk = ctx.staff.get("desk")
    supervisor = ctx.staff.get("supervisor")

    def at(minutes: int) -> dt.datetime:
        return now - dt.timedelta(minutes=minutes)

    def masked(c: Customer) -> str:
        return c.phone_masked

    rows = [
        OutboxMessage(
            community=community,
            channel=Channel.SMS,
            customer=picks[0],
            body="【翠湖花园】您好，您的报修已受理，维修师傅将于今天 14:00–16:00 上门。",
            ref_type="demo",
            ref_id="1",
            state=OutboxState.SENT_DEMO,
            attempts=1,
            backend="sms-demo",
            delivered_to=masked(picks[0]),
            sent_at=at(95),
            created_at=at(95),
            next_attempt_at=at(95),
        ),
        OutboxMessage(
            community=community,
            channel=Channel.SMS,
            customer=picks[1 % len(picks)],
            body="【翠湖花园】温馨提示：本月物业费已出账，请于月底前缴纳。",
            ref_type="demo",
            ref_id="2",
            state=OutboxState.SENT_DEMO,
            attempts=1,
            backend="sms-demo",
            delivered_to=masked(picks[1 % len(picks)]),
            sent_at=at(60 * 20),
            created_at=at(60 * 20),
            next_attempt_at=at(60 * 20),
        ),
        OutboxMessage(
            community=community,
            channel=Channel.PORTAL,
            customer=owner_customer,
            subject="报修进度",
            body="您报修的卫生间漏水已派工，师傅正在赶来。",
            ref_type="demo",
            ref_id="3",
            state=OutboxState.SENT,
            attempts=1,
            backend="portal",
            sent_at=at(40),
            created_at=at(40),
            next_attempt_at=at(40),
        ),
        OutboxMessage(
            community=community,
            channel=Channel.EMAIL,
            to="yezhu.wang@example.com",
            subject="2025 年度业主满意度调查",
            body="尊敬的业主：诚邀您参加年度满意度调查。",
            ref_type="demo",
            ref_id="4",
            state=OutboxState.FAILED,
            attempts=2,
            last_error="SMTPConnectError: (421, 'Service not available')",
            next_attempt_at=now + dt.timedelta(minutes=2),
            created_at=at(10),
        ),
        OutboxMessage(
            community=community,
            channel=Channel.SMS,
            to="+8613800000000",
            body="【翠湖花园】您的快递已到前台，请凭取件码领取。",
            ref_type="demo",
            ref_id="5",
            state=OutboxState.DEAD,
            attempts=6,
            last_error="PermanentFailure: isv.MOBILE_NUMBER_ILLEGAL: 号码格式错误",
            delivered_to=mask_address("+8613800000000"),
            next_attempt_at=at(300),
            created_at=at(60 * 6),
        ),
        OutboxMessage(
            community=community,
            channel=Channel.SMS,
            customer=picks[2 % len(picks)],
            body="【翠湖花园】明日 9:00–12:00 3 栋停水检修，请提前储水。",
            ref_type="demo",
            ref_id="6",
            state=OutboxState.PENDING,
            next_attempt_at=now + dt.timedelta(hours=10),
            created_at=at(5),
        ),
    ]
    if desk is not None:
        rows.append(
            OutboxMessage(
                community=community,
                channel=Channel.STAFF,
                staff_user=desk,
                subject="工单即将超时",
                body="一张投诉工单将在 30 分钟后超过转交时限（R-CMP-4）。",
                ref_type="demo",
                ref_id="7",
                state=OutboxState.SENT,
                attempts=1,
                backend="staff",
                sent_at=at(3),
                created_at=at(3),
                next_attempt_at=at(3),
            )
        )
    if supervisor is not None:
        rows.append(
            OutboxMessage(
                community=community,
                channel=Channel.EMAIL,
                staff_user=supervisor,
                subject="每日服务时限摘要",
                body="昨日工单：按时 42，超时 3。",
                ref_type="demo",
                ref_id="8",
                state=OutboxState.SENT_DEMO,
                attempts=1,
                backend="email-demo",
                delivered_to=mask_address(supervisor.email or "supervisor@example.com"),
                sent_at=at(60 * 9),
                created_at=at(60 * 9),
                next_attempt_at=at(60 * 9),
            )
        )
    created = OutboxMessage.objects.bulk_create(rows)
    if supervisor is not None:
        created.append(_digest_example(community, supervisor, at))
    inbox: list[PortalMessage] = []
    alerts: list[StaffAlert] = []
    for m in created:
        if m.channel == Channel.PORTAL:
            inbox.append(
                PortalMessage(
                    community=community,
                    customer=m.customer,
                    outbox=m,
                    subject=m.subject,
                    body=m.body,
                    ref_type=m.ref_type,
                    ref_id=m.ref_id,
                    created_at=m.sent_at or m.created_at,
                )
            )
        elif m.channel == Channel.STAFF:
            alerts.append(
                StaffAlert(
                    community=community,
                    user=m.staff_user,
                    outbox=m,
                    subject=m.subject,
                    body=m.body,
                    ref_type=m.ref_type,
                    ref_id=m.ref_id,
                    created_at=m.sent_at or m.created_at,
                )
            )
    PortalMessage.objects.bulk_create(inbox)
    StaffAlert.objects.bulk_create(alerts)
    ctx.say(f"notify: {len(created)} outbox messages in every state")


def _digest_example(community: Any, supervisor: Any, at: Any) -> OutboxMessage:
    """A burst of breach alerts to the supervisor: five went one by one (not shown),
    three were held and delivered as one digest."""
    digest = OutboxMessage.objects.create(
        community=community,
        channel=Channel.STAFF,
        staff_user=supervisor,
        subject="3 条提醒汇总",
        body=(
            "10 分钟内您收到较多提醒，以下 3 条已合并为一条：\n"
            "- R-CMP-4 超时：投诉 楼道噪音\n- R-REP-5 超时：回访 卫生间漏水\n"
            "- R-CMP-7 超时：投诉 垃圾清运不及时"
        ),
        ref_type="notify.digest",
        event="notify.digest",
        is_digest=True,
        state=OutboxState.SENT,
        attempts=1,
        backend="staff",
        sent_at=at(20),
        created_at=at(20),
        next_attempt_at=at(20),
    )
    OutboxMessage.objects.bulk_create(
        OutboxMessage(
            community=community,
            channel=Channel.STAFF,
            staff_user=supervisor,
            subject=subject,
            body="工单已超过服务时限。",
            ref_type="demo",
            ref_id=f"digest-{n}",
            event="sla.breach",
            state=OutboxState.IN_DIGEST,
            digest=digest,
            created_at=at(29 - n),
            next_attempt_at=at(20),
        )
        for n, subject in enumerate(
            (
                "R-CMP-4 超时：投诉 楼道噪音",
                "R-REP-5 超时：回访 卫生间漏水",
                "R-CMP-7 超时：投诉 垃圾清运不及时",
            )
        )
    )
    return digest
