"""The category trees PropDesk ships (company = null), editable by administrators.

Complaint categories are the nine of R-CMP-2. Repair categories carry the flags
the deadlines need (safety facility, leak) and the developer's warranty period
per component (R-REP-2), after the PRC regulation on construction quality
(建设工程质量管理条例 art. 40: waterproofing 5 years; electrical, plumbing and
fitting-out 2 years).
"""

from __future__ import annotations

from typing import Any

# (code, name, flags, warranty months, department kind, children)
REPAIR_TREE: list[tuple[str, str, dict[str, bool], int | None, str, list[tuple[str, str]]]] = [
    (
        "water",
        "给排水",
        {"is_paid_default": True},
        24,
        "maintenance",
        [("water.tap", "水龙头/阀门"), ("water.pipe", "管道堵塞"), ("water.heater", "热水器")],
    ),
    (
        "electrical",
        "电气",
        {"is_paid_default": True},
        24,
        "maintenance",
        [
            ("electrical.socket", "插座/开关"),
            ("electrical.lamp", "灯具"),
            ("electrical.trip", "跳闸断电"),
        ],
    ),
    (
        "doors",
        "门窗",
        {"is_paid_default": True},
        24,
        "maintenance",
        [("doors.lock", "门锁"), ("doors.window", "窗户/纱窗")],
    ),
    (
        "walls",
        "墙面天花",
        {"is_paid_default": True},
        24,
        "maintenance",
        [("walls.crack", "墙面开裂"), ("walls.ceiling", "天花脱落")],
    ),
    (
        "leak",
        "渗漏",
        {"is_leak": True},
        60,
        "maintenance",
        [("leak.roof", "屋面渗漏"), ("leak.wall", "外墙渗水"), ("leak.bathroom", "卫生间渗漏")],
    ),
    (
        "elevator",
        "电梯",
        {"is_safety_facility": True, "is_public_facility": True},
        None,
        "maintenance",
        [("elevator.stuck", "困人/停梯"), ("elevator.noise", "异响")],
    ),
    (
        "fire",
        "消防设施",
        {"is_safety_facility": True, "is_public_facility": True},
        None,
        "security",
        [("fire.hydrant", "消火栓"), ("fire.alarm", "烟感报警")],
    ),
    ("gas", "燃气", {"is_safety_facility": True}, None, "maintenance", [("gas.smell", "燃气异味")]),
    (
        "public",
        "公共设施",
        {"is_public_facility": True},
        None,
        "maintenance",
        [
            ("public.light", "公共照明"),
            ("public.door", "单元门/门禁"),
            ("public.road", "道路/井盖"),
        ],
    ),
]

COMPLAINT_TREE: list[tuple[str, str, str]] = [
    ("housing", "房屋管理类", "maintenance"),
    ("equipment", "设备管理类", "maintenance"),
    ("security", "安全管理类", "security"),
    ("environment", "环境管理类", "environment"),
    ("general", "综合服务类", "customer_service"),
    ("dispute", "业户纠纷类", "customer_service"),
    ("developer", "地产相关类", "customer_service"),
    ("realty", "房产服务类", "customer_service"),
    ("other", "其他类", "customer_service"),
]

INQUIRY_TREE: list[tuple[str, str]] = [
    ("fees", "收费咨询"),
    ("procedures", "办事流程"),
    ("facilities", "设施使用"),
    ("other", "其他咨询"),
]

REPLY_TEMPLATES: list[tuple[str, str, str]] = [
    (
        "complaint",
        "已受理",
        "您好，您反映的问题我们已受理，工单号{number}。我们会在规定时限内处理并回复您，感谢您的监督。",
    ),
    (
        "complaint",
        "无效投诉解释",
        "您好，经核实，您反映的情况属于{reason}，不在物业服务范围内。我们理解您的心情，已将相关渠道告知您，如有需要我们可协助联系。",
    ),
    (
        "repair",
        "预约上门",
        "您好，您的报修已派工，维修师傅将于{time}上门，请您届时在家。如需改约请致电服务中心。",
    ),
    (
        "repair",
        "暂无法处理（两日内答复）",
        "您好，您报修的问题需要{reason}，暂时无法立即处理。我们会在两日内给您明确答复，给您带来不便敬请谅解。",
    ),
    (
        "inquiry",
        "物业费标准",
        "您好，本小区住宅物业服务费按建筑面积计收，具体标准以服务中心公示为准，可在业主端查看账单明细。",
    ),
]


def seed(category_model: Any, template_model: Any) -> None:
    """Create the shipped trees and reply wording if missing (idempotent)."""

    def ensure(**fields: Any) -> Any:
        key = {k: fields.pop(k) for k in ("company", "kind", "code")}
        obj, _created = category_model.objects.get_or_create(**key, defaults=fields)
        return obj

    for sort, (code, name, flags, months, dept, children) in enumerate(REPAIR_TREE):
        parent = ensure(
            company=None,
            kind="repair",
            code=code,
            name=name,
            sort=sort,
            warranty_months=months,
            department_kind=dept,
            **flags,
        )
        for child_sort, (child_code, child_name) in enumerate(children):
            ensure(
                company=None,
                kind="repair",
                parent=parent,
                code=child_code,
                name=child_name,
                sort=child_sort,
                department_kind=dept,
                is_leak=flags.get("is_leak", False),
                is_safety_facility=flags.get("is_safety_facility", False),
                is_public_facility=flags.get("is_public_facility", False),
                is_paid_default=flags.get("is_paid_default", False),
            )
    for sort, (code, name, dept) in enumerate(COMPLAINT_TREE):
        ensure(
            company=None, kind="complaint", code=code, name=name, sort=sort, department_kind=dept
        )
    for sort, (code, name) in enumerate(INQUIRY_TREE):
        ensure(
            company=None,
            kind="inquiry",
            code=code,
            name=name,
            sort=sort,
            department_kind="customer_service",
        )
    for kind, title, body in REPLY_TEMPLATES:
        template_model.objects.get_or_create(
            company=None, kind=kind, title=title, defaults={"body": body}
        )


def seed_categories(apps: Any, schema_editor: Any) -> None:
    seed(apps.get_model("servicedesk", "Category"), apps.get_model("servicedesk", "ReplyTemplate"))


def unseed_categories(apps: Any, schema_editor: Any) -> None:
    apps.get_model("servicedesk", "ReplyTemplate").objects.filter(company=None).delete()
    Category = apps.get_model("servicedesk", "Category")
    Category.objects.filter(company=None, parent__isnull=False).delete()
    Category.objects.filter(company=None).delete()
