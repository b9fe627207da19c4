"""The printed receipt (收款收据), A5 landscape: the community, the gapless number, who paid
what for which months, the total in figures and in capital numerals (大写), how it was paid
and who took it. A reprint says 副本 COPY; a voided receipt says 作废 with the reason.

The paper is Chinese whatever the screen's language, like the work order.
"""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A5, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from propdesk.billing.selectors import receipt_lines
from propdesk.core.money import amount_in_words
from propdesk.core.pdf import cjk_font, qr_drawing

METHODS = {
    "cash": "现金",
    "card": "银行卡",
    "transfer": "银行转账",
    "wechat": "微信支付",
    "alipay": "支付宝",
    "gateway": "在线支付",
}
COPY_MARK = "副本 COPY"
VOID_MARK = "作废"


def _yuan(value: Any) -> str:
    return f"{value:,.2f}"


def receipt_pdf(receipt: Any, *, is_copy: bool) -> bytes:
    """The receipt as PDF bytes; `is_copy` for every print after the first."""
    font = cjk_font()
    payment = receipt.payment
    community = receipt.community
    tz = community.tzinfo
    base = ParagraphStyle("base", fontName=font, fontSize=9.5, leading=13)
    title = ParagraphStyle("title", parent=base, fontSize=15, leading=20, alignment=1)
    small = ParagraphStyle("small", parent=base, fontSize=7.5, textColor=colors.grey)

    def p(text: Any, style: ParagraphStyle = base) -> Paragraph:
        return Paragraph(escape(str(text or "")), style)

    buffer = io.BytesIO()
    page = landscape(A5)
    doc = SimpleDocTemplate(
        buffer,
        pagesize=page,
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=10 * mm,
        bottomMargin=8 * mm,
        title=receipt.number,
        author=community.name,
    )
    width = page[0] - 24 * mm
    head = Table(
        [
            [
                "",
                Paragraph(f"{escape(community.name)}<br/>收 款 收 据", title),
                qr_drawing(f"RECEIPT:{receipt.number}", size=18 * mm),
            ]
        ],
        colWidths=[42 * mm, width - 84 * mm, 42 * mm],
    )
    head.setStyle(
        TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("ALIGN", (2, 0), (2, 0), "RIGHT")])
    )
    issued = timezone.localtime(receipt.issued_at, tz)
    house = payment.house
    info = Table(
        [
            ["收据编号", receipt.number, "收款日期", issued.strftime("%Y-%m-%d %H:%M")],
            ["房号", f"{house.label}", "交款人", payment.payer_name or "—"],
        ],
        colWidths=[20 * mm, width / 2 - 20 * mm, 20 * mm, width / 2 - 20 * mm],
    )
    info.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), font),
                ("FONTSIZE", (0, 0), (-1, -1), 9.5),
                ("TEXTCOLOR", (0, 0), (0, -1), colors.grey),
                ("TEXTCOLOR", (2, 0), (2, -1), colors.grey),
            ]
        )
    )
    rows: list[list[Any]] = [["收费项目", "所属期间", "金额（元）"]]
    for line in receipt_lines(receipt):
        rows.append([p(line["item"]), p(line["period"]), _yuan(line["amount"])])
    while len(rows) < 4:
        rows.append(["", "", ""])
    rows.append(
        [p(f"合计（大写）{amount_in_words(receipt.amount)}"), "", f"¥{_yuan(receipt.amount)}"]
    )
    lines = Table(rows, colWidths=[width * 0.45, width * 0.30, width * 0.25], repeatRows=1)
    lines.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), font),
                ("FONTSIZE", (0, 0), (-1, -1), 9.5),
                ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
                ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                ("ALIGN", (2, 0), (2, -1), "RIGHT"),
                ("SPAN", (0, -1), (1, -1)),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("MINROWHEIGHT", (0, 0), (-1, -1), 7 * mm),
            ]
        )
    )
    method = METHODS.get(payment.method, payment.method)
    if payment.external_ref:
        method = f"{method}　交易号 {payment.external_ref}"
    cashier = payment.received_by
    cashier_name = (getattr(cashier, "display_name", "") or str(cashier)) if cashier else "—"
    tail = Table(
        [["收款方式", method, "收款人", cashier_name]],
        colWidths=[20 * mm, width - 65 * mm, 15 * mm, 30 * mm],
    )
    tail.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), font),
                ("FONTSIZE", (0, 0), (-1, -1), 9.5),
                ("TEXTCOLOR", (0, 0), (0, -1), colors.grey),
                ("TEXTCOLOR", (2, 0), (2, -1), colors.grey),
            ]
        )
    )
    printed = timezone.localtime(timezone.now(), tz).strftime("%Y-%m-%d %H:%M")
    story: list[Any] = [head, Spacer(1, 2 * mm), info, Spacer(1, 2 * mm), lines, tail]
    if receipt.voided_at:
        voided = timezone.localtime(receipt.voided_at, tz).strftime("%Y-%m-%d %H:%M")
        story.append(p(f"作废于 {voided}：{receipt.void_reason}"))
    story += [
        Spacer(1, 1 * mm),
        p(
            f"打印时间 {printed} · 第 {receipt.print_count or 1} 次打印"
            f"{' · ' + COPY_MARK if is_copy else ''} · PropDesk",
            small,
        ),
    ]

    def stamps(canvas: Any, _doc: Any) -> None:
        canvas.saveState()
        if is_copy:
            canvas.setStrokeColor(colors.red)
            canvas.setFillColor(colors.red)
            canvas.setLineWidth(1.5)
            x, y = 12 * mm, page[1] - 24 * mm  # the empty left of the heading
            canvas.roundRect(x, y, 40 * mm, 10 * mm, 2 * mm)
            canvas.setFont(font, 15)
            canvas.drawCentredString(x + 20 * mm, y + 3 * mm, COPY_MARK)
        if receipt.voided_at:
            canvas.setFillColor(colors.Color(0.85, 0, 0, alpha=0.35))
            canvas.setFont(font, 90)
            canvas.translate(page[0] / 2, page[1] / 2 - 10 * mm)
            canvas.rotate(20)
            canvas.drawCentredString(0, 0, VOID_MARK)
        canvas.restoreState()

    doc.build(story, onFirstPage=stamps, onLaterPages=stamps)
    return buffer.getvalue()
