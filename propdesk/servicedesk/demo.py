"""Demo data of the service desk: a price list and a few hundred cases in every state.

Every case is driven through the real services with `now=` set in the past, so
numbers, events, timelines, return visits and charge requests are exactly what
staff would have produced by hand.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from propdesk.customers.models import Occupancy
from propdesk.sla.models import EscalationLevel, Policy
from propdesk.sla.seeds import seed as seed_policies

from . import services
from .models import Category, ReplyTemplate, ServiceItem
from .seeds import seed

PRICE_LIST = [
    ("bulb", "更换灯泡", "个", "15.00", "maintenance"),
    ("drain", "疏通下水道", "次", "80.00", "maintenance"),
    ("aircon", "空调清洗", "台", "120.00", "maintenance"),
    ("lock", "开锁换锁芯", "次", "60.00", "maintenance"),
    ("plants", "绿植修剪施肥", "次", "50.00", "environment"),
    ("cleaning", "家庭保洁", "小时", "35.00", "environment"),
]

REPAIRS = [
    ("water.tap", "厨房水龙头一直滴水"),
    ("water.pipe", "卫生间地漏堵塞，排水很慢"),
    ("electrical.socket", "客厅插座没电"),
    ("electrical.trip", "家里总闸频繁跳闸"),
    ("doors.lock", "入户门锁芯卡住打不开"),
    ("doors.window", "卧室窗户关不严，漏风"),
    ("walls.crack", "次卧墙面出现裂缝"),
    ("leak.bathroom", "楼下反映卫生间渗水到天花"),
    ("leak.roof", "顶楼下雨后天花板渗水"),
    ("public.light", "楼道声控灯不亮"),
    ("public.door", "单元门禁刷卡无反应"),
    ("elevator.noise", "电梯运行时有异响"),
    ("gas.smell", "厨房有燃气味"),
]
COMPLAINTS = [
    ("housing", "ordinary", "楼上装修噪音中午不停"),
    ("environment", "minor", "垃圾桶周边清理不及时，有异味"),
    ("security", "important", "夜间陌生车辆随意进出"),
    ("equipment", "ordinary", "电梯停运两天无人告知"),
    ("dispute", "minor", "邻居在公共走廊堆放杂物"),
    ("general", "ordinary", "客服电话多次无人接听"),
    ("developer", "important", "交房时承诺的绿化至今未完成"),
    ("equipment", "major", "地下车库大面积积水，车辆被淹"),
]
INQUIRIES = [
    ("fees", "物业费的收费标准是多少？", "住宅物业费按建筑面积每月计收，详见服务中心公示。"),
    ("procedures", "装修需要办理什么手续？", "请携带身份证和装修方案到服务中心办理装修登记。"),
    ("facilities", "小区会所几点开放？", "会所每天 9:00–21:00 开放。"),
]

# (final stage, weight) per kind; stages are walked in order.
REPAIR_STAGES = [
    ("received", 3),
    ("dispatched", 3),
    ("accepted", 2),
    ("in_progress", 2),
    ("on_hold", 2),
    ("completed", 4),
    ("visited", 2),
    ("closed", 14),
    ("cancelled", 1),
    ("rework", 1),
]
COMPLAINT_STAGES = [
    ("received", 2),
    ("forwarded", 2),
    ("in_progress", 2),
    ("completed", 2),
    ("answered", 2),
    ("visited", 1),
    ("closed", 6),
]
PAID_STAGES = [
    ("received", 1),
    ("dispatched", 1),
    ("in_progress", 1),
    ("completed", 1),
    ("charged", 1),
    ("closed", 3),
]


def _pick(rng: Any, stages: list[tuple[str, int]]) -> str:
    names, weights = zip(*stages, strict=True)
    return str(rng.choices(names, weights=weights)[0])


def build(ctx: Any) -> None:
    community = ctx.main
    staff = ctx.staff
    seed(Category, ReplyTemplate)  # a --reset flush empties the shipped trees too
    seed_policies(Policy, EscalationLevel)
    rng = ctx.rng
    for code, name, unit, price, dept in PRICE_LIST:
        ServiceItem.objects.get_or_create(
            company=ctx.company,
            community=None,
            code=code,
            defaults={"name": name, "unit": unit, "price": Decimal(price), "department_kind": dept},
        )
    items = list(ServiceItem.objects.filter(company=ctx.company).order_by("code"))
    categories = {c.code: c for c in Category.objects.filter(company__isnull=True)}
    homes = list(
        Occupancy.objects.filter(
            community=community, is_primary_contact=True, end_date__isnull=True
        ).values_list("house_id", "customer_id")[:800]
    )
    if not homes:
        return
    desk, head, tech, tech2 = staff["desk"], staff["maint_head"], staff["tech"], staff["tech2"]
    supervisor = staff["supervisor"]
    maint = head.department_id
    total = max(8, int(360 * ctx.scale))
    counts = {"repair": 0, "complaint": 0, "inquiry": 0, "paid_service": 0, "light": 0}
    hour = dt.timedelta(hours=1)

    for i in range(total):
        house_id, customer_id = homes[rng.randrange(len(homes))]
        roll = i % 36
        # Older cases went further; the last few days hold the open work.
        age = dt.timedelta(hours=rng.randint(3, 24 * 75))
        t0 = ctx.now - age
        common = {
            "actor": desk,
            "community_id": community.pk,
            "house_id": house_id,
            "customer_id": customer_id,
            "channel": rng.choice(["phone", "phone", "visit", "portal"]),
        }
        if roll < 20:
            code, text = rng.choice(REPAIRS)
            stage = (
                _pick(rng, REPAIR_STAGES)
                if age > dt.timedelta(days=4)
                else rng.choice(
                    ["received", "dispatched", "accepted", "in_progress", "on_hold", "completed"]
                )
            )
            _repair(
                ctx,
                common,
                categories[code],
                text,
                stage,
                t0,
                head,
                rng.choice([tech, tech2]),
                maint,
                items,
            )
            counts["repair"] += 1
        elif roll < 27:
            code, severity, text = rng.choice(COMPLAINTS)
            stage = (
                _pick(rng, COMPLAINT_STAGES)
                if age > dt.timedelta(days=3)
                else rng.choice(["received", "forwarded", "in_progress"])
            )
            _complaint(ctx, common, categories[code], severity, text, stage, t0, head, supervisor)
            counts["complaint"] += 1
        elif roll < 32:
            code, question, answer = rng.choice(INQUIRIES)
            case = services.case_create(
                **common,
                kind="inquiry",
                category_id=categories[code].pk,
                description=question,
                now=t0,
            )
            if age > dt.timedelta(hours=6):
                services.case_answer(actor=desk, case_id=case.pk, answer=answer, now=t0 + hour / 4)
                if age > dt.timedelta(days=1):
                    services.case_close(actor=desk, case_id=case.pk, now=t0 + hour / 2)
            counts["inquiry"] += 1
        elif roll < 35:
            item = rng.choice(items)
            stage = _pick(rng, PAID_STAGES) if age > dt.timedelta(days=3) else "received"
            _paid(ctx, common, item, stage, t0, head, rng.choice([tech, tech2]), maint)
            counts["paid_service"] += 1
        else:
            kind = rng.choice(["praise", "suggestion"])
            text = (
                "维修师傅孙师傅服务热情，特此表扬"
                if kind == "praise"
                else "建议在小区门口增设快递柜"
            )
            case = services.case_create(**common, kind=kind, description=text, now=t0)
            if age > dt.timedelta(days=1):
                services.case_answer(
                    actor=desk,
                    case_id=case.pk,
                    answer="感谢您的反馈，我们已转达相关部门。",
                    now=t0 + hour,
                )
            counts["light"] += 1
    ctx.say(
        "service desk: {repair} repairs, {complaint} complaints, {inquiry} inquiries, "
        "{paid_service} paid services, {light} praise/suggestions".format(**counts)
    )


def _repair(
    ctx: Any,
    common: dict[str, Any],
    category: Any,
    text: str,
    stage: str,
    t0: dt.datetime,
    head: Any,
    tech: Any,
    maint: Any,
    items: list[Any],
) -> None:
    hour = dt.timedelta(hours=1)
    case = services.case_create(
        **common,
        kind="repair",
        category_id=category.pk,
        description=text,
        appointment_start=t0 + 2 * hour,
        appointment_end=t0 + 4 * hour,
        now=t0,
    )
    if stage == "received":
        return
    if stage == "cancelled":
        services.case_cancel(
            actor=head, case_id=case.pk, reason="业主自行处理，取消报修", now=t0 + hour
        )
        return
    services.case_dispatch(
        actor=head, case_id=case.pk, department_id=maint, assignee_id=tech.pk, now=t0 + hour / 2
    )
    if stage == "dispatched":
        return
    services.case_accept(actor=tech, case_id=case.pk, now=t0 + hour)
    if stage == "accepted":
        return
    services.case_start(actor=tech, case_id=case.pk, now=t0 + 2 * hour)
    if stage == "in_progress":
        return
    if stage == "on_hold":
        services.case_hold(actor=tech, case_id=case.pk, reason="等待配件到货", now=t0 + 3 * hour)
        return
    leak = category.is_leak
    paid = case.billing_basis == "paid"
    services.case_complete(
        actor=tech,
        case_id=case.pk,
        work_done="已检修完毕，业主现场确认",
        materials=[{"name": "配件", "quantity": "1", "unit": "个", "unit_price": "25"}]
        if paid
        else [],
        agreed_price="40" if paid else None,
        leak_test_at=t0 + 24 * hour if leak else None,
        signoff_kind="paper",
        signoff_form_number=f"WX{case.number[-5:]}",
        now=t0 + 3 * hour,
    )
    if stage == "completed":
        return
    visit_at = t0 + (30 if leak else 20) * hour
    if visit_at > ctx.now:
        return
    if stage == "rework":
        services.case_return_visit_record(
            actor=common["actor"],
            case_id=case.pk,
            method="phone",
            result="unsatisfied",
            rating=2,
            comment="修完第二天又漏了",
            now=visit_at,
        )
        return
    services.case_return_visit_record(
        actor=common["actor"],
        case_id=case.pk,
        method="phone",
        result=ctx.rng.choice(["satisfied", "satisfied", "basically"]),
        rating=ctx.rng.choice([5, 5, 4, 4, 3]),
        now=visit_at,
    )
    if stage == "closed":
        services.case_close(actor=common["actor"], case_id=case.pk, now=visit_at + hour / 4)


def _complaint(
    ctx: Any,
    common: dict[str, Any],
    category: Any,
    severity: str,
    text: str,
    stage: str,
    t0: dt.datetime,
    head: Any,
    supervisor: Any,
) -> None:
    hour = dt.timedelta(hours=1)
    case = services.case_create(
        **common,
        kind="complaint",
        category_id=category.pk,
        severity=severity,
        description=text,
        now=t0,
    )
    if stage == "received":
        return
    services.case_forward(
        actor=common["actor"], case_id=case.pk, department_id=head.department_id, now=t0 + hour / 2
    )
    if stage == "forwarded":
        return
    services.case_handle(actor=head, case_id=case.pk, now=t0 + hour)
    if stage == "in_progress":
        return
    valid = ctx.rng.random() < 0.8
    services.complaint_resolve(
        actor=head,
        case_id=case.pk,
        judgement="valid" if valid else "invalid",
        result="已现场核实并处理" if valid else "经核实不属于物业服务范围，已向业主解释",
        responsibility="company" if valid else "",
        cause_factors=["people", "methods"] if valid else [],
        remedy="加强巡查，落实责任人" if valid else "",
        now=t0 + 6 * hour,
    )
    if stage == "completed":
        return
    services.complaint_tell_result(
        actor=common["actor"], case_id=case.pk, way="phone", now=t0 + 7 * hour
    )
    if stage == "answered":
        return
    services.case_return_visit_record(
        actor=supervisor,
        case_id=case.pk,
        method="phone",
        result="satisfied",
        rating=4,
        now=t0 + 30 * hour,
    )
    if stage == "closed":
        services.case_close(actor=common["actor"], case_id=case.pk, now=t0 + 31 * hour)


def _paid(
    ctx: Any,
    common: dict[str, Any],
    item: Any,
    stage: str,
    t0: dt.datetime,
    head: Any,
    tech: Any,
    maint: Any,
) -> None:
    hour = dt.timedelta(hours=1)
    case = services.case_create(
        **common,
        kind="paid_service",
        service_item_id=item.pk,
        quantity="1",
        description=f"预约{item.name}",
        now=t0,
    )
    if stage == "received":
        return
    dept = case.department_id or maint
    assignee = tech if dept == maint else ctx.staff["env_head"]
    services.case_dispatch(
        actor=head,
        case_id=case.pk,
        department_id=dept,
        assignee_id=assignee.pk,
        appointment_start=t0 + 3 * hour,
        now=t0 + hour,
    )
    if stage == "dispatched":
        return
    services.case_start(actor=assignee, case_id=case.pk, now=t0 + 3 * hour)
    if stage == "in_progress":
        return
    services.case_complete(
        actor=assignee,
        case_id=case.pk,
        work_done=f"已完成{item.name}",
        signoff_kind="paper",
        signoff_form_number=f"YC{case.number[-5:]}",
        now=t0 + 4 * hour,
    )
    if stage == "completed":
        return
    services.paid_service_accept(actor=common["actor"], case_id=case.pk, now=t0 + 5 * hour)
    if stage == "closed":
        services.case_close(actor=common["actor"], case_id=case.pk, now=t0 + 6 * hour)
