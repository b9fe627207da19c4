"""The printable work order (业主报修处理登记表): the paper form staff know, with the
case number as a QR code so a scan opens the case."""

from __future__ import annotations

import io
from typing import Any

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from propdesk.core.pdf import cjk_font, qr_drawing

TITLES = {
    "repair": "业主报修处理登记表",
    "complaint": "业主投诉处理登记表",
    "paid_service": "有偿服务工作单",
}


def _t(value: Any, tz: Any) -> str:
    if not value:
        return ""
    return timezone.localtime(value, tz).strftime("%Y-%m-%d %H:%M")


def work_order_pdf(case: Any, *, materials: list[Any]) -> bytes:
    font = cjk_font()
    tz = case.community.tzinfo
    base = ParagraphStyle("base", fontName=font, fontSize=9.5, leading=13)
    title = ParagraphStyle("title", parent=base, fontSize=16, leading=20, alignment=1)
    small = ParagraphStyle("small", parent=base, fontSize=8, textColor=colors.grey)

    def p(text: Any) -> Paragraph:
        from xml.sax.saxutils import escape

        return Paragraph(escape(str(text or "")).replace("\n", "<br/>"), base)

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=f"{case.number}",
    )
    head = Table(
        [
            [
                Paragraph(f"{case.community.name}<br/>{TITLES.get(case.kind, '服务工单')}", title),
                qr_drawing(case.number, size=24 * mm),
            ]
        ],
        colWidths=[150 * mm, 30 * mm],
    )
    head.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    category = case.category.name if case.category else ""
    if case.category and case.category.parent_id:
        category = f"{case.category.parent.name} / {category}"
    reporter = case.customer.name if case.customer else case.reporter_name
    phone = case.customer.phone_masked if case.customer else ""
    appointment = ""
    if case.appointment_start:
        appointment = f"{_t(case.appointment_start, tz)} – {timezone.localtime(case.appointment_end, tz):%H:%M}"
    rows = [
        ["工单编号", case.number, "报修时间", _t(case.received_at, tz)],
        ["报修人", reporter, "联系电话", case.reporter_phone_masked or phone],
        ["房号/地点", case.place_label, "受理渠道", case.get_channel_display()],
        [
            "类别",
            category,
            "收费类别",
            case.get_billing_basis_display() if case.billing_basis else "",
        ],
        ["报修内容", p(case.description), "", ""],
        ["预约时间", appointment, "派工部门", case.department.name if case.department else ""],
        ["维修人员", str(case.assignee or ""), "派工时间", _t(case.dispatched_at, tz)],
        ["开始时间", _t(case.started_at, tz), "完工时间", _t(case.completed_at, tz)],
        ["维修情况", p(case.work_done), "", ""],
    ]
    table = Table(rows, colWidths=[24 * mm, 66 * mm, 24 * mm, 66 * mm])
    style = [
        ("FONTNAME", (0, 0), (-1, -1), font),
        ("FONTSIZE", (0, 0), (-1, -1), 9.5),
        ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
        ("BACKGROUND", (0, 0), (0, -1), colors.whitesmoke),
        ("BACKGROUND", (2, 0), (2, 3), colors.whitesmoke),
        ("BACKGROUND", (2, 5), (2, 7), colors.whitesmoke),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("SPAN", (1, 4), (3, 4)),
        ("SPAN", (1, 8), (3, 8)),
        ("MINROWHEIGHT", (0, 0), (-1, -1), 8 * mm),
    ]
    table.setStyle(TableStyle(style))
    material_rows = [["材料名称", "数量", "单位", "单价(元)", "金额(元)"]]
    total = 0
    for m in materials:
        amount = m.quantity * m.unit_price
        total += amount
        material_rows.append([m.name, str(m.quantity), m.unit, str(m.unit_price), f"{amount:.2f}"])
    while len(material_rows) < 4:
        material_rows.append(["", "", "", "", ""])
    material_rows.append(["合计", "", "", "", f"{total:.2f}" if materials else ""])
    mats = Table(material_rows, colWidths=[60 * mm, 25 * mm, 25 * mm, 35 * mm, 35 * mm])
    mats.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), font),
                ("FONTSIZE", (0, 0), (-1, -1), 9.5),
                ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
                ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                ("MINROWHEIGHT", (0, 0), (-1, -1), 7 * mm),
            ]
        )
    )
    if case.signoff_image:
        case.signoff_image.open("rb")
        signature: Any = Image(io.BytesIO(case.signoff_image.read()), width=40 * mm, height=15 * mm)
        case.signoff_image.close()
    elif case.signoff_form_number:
        signature = f"纸质签字 · 单号 {case.signoff_form_number}"
    else:
        signature = ""
    visit = case.return_visits.order_by("-id").first()
    visit_text = ""
    if visit is not None and visit.visited_at:
        visit_text = (
            f"{_t(visit.visited_at, tz)} {visit.get_method_display()} "
            f"{visit.get_result_display()} {'★' * (visit.rating or 0)} {visit.comment}"
        )
    elif visit is not None:
        visit_text = f"应于 {_t(visit.due_at, tz)} 前回访（{visit.rule}）"
    tail = Table(
        [
            [
                "工时(分钟)",
                str(case.labour_minutes or ""),
                "收费金额",
                f"{case.agreed_price}" if case.agreed_price else "",
            ],
            ["业主验收签字", signature, "签字时间", _t(case.signed_at, tz)],
            ["回访记录", p(visit_text), "", ""],
        ],
        colWidths=[24 * mm, 66 * mm, 24 * mm, 66 * mm],
    )
    tail.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), font),
                ("FONTSIZE", (0, 0), (-1, -1), 9.5),
                ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
                ("BACKGROUND", (0, 0), (0, -1), colors.whitesmoke),
                ("BACKGROUND", (2, 0), (2, 1), colors.whitesmoke),
                ("SPAN", (1, 2), (3, 2)),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("MINROWHEIGHT", (0, 0), (-1, -1), 10 * mm),
            ]
        )
    )
    printed = timezone.localtime(timezone.now(), tz).strftime("%Y-%m-%d %H:%M")
    doc.build(
        [
            head,
            Spacer(1, 4 * mm),
            table,
            Spacer(1, 3 * mm),
            mats,
            Spacer(1, 3 * mm),
            tail,
            Spacer(1, 3 * mm),
            Paragraph(f"打印时间 {printed} · PropDesk", small),
        ]
    )
    return buffer.getvalue()
