"""The release pass as a printable PDF and its QR code (SVG on screen, image in the PDF).

Chinese needs a CJK font: `propdesk.core.pdf.cjk_font` registers it once
(`PROPDESK_PDF_FONT` overrides the path) and refuses loudly when none is installed.
"""

from __future__ import annotations

import io

import segno
from django.utils import timezone
from django.utils.translation import gettext as _

from propdesk.core.pdf import cjk_font

from .models import ReleasePass


def pass_qr_payload(release: ReleasePass) -> str:
    """What the QR holds: the pass number, which the gate page reads (typed or scanned)."""
    return f"PASS:{release.number}"


def pass_qr_svg(release: ReleasePass, *, scale: int = 5) -> str:
    qr = segno.make(pass_qr_payload(release), error="m")
    buffer = io.BytesIO()
    qr.save(buffer, kind="svg", scale=scale, xmldecl=False, svgns=True, title=release.number)
    return buffer.getvalue().decode()


def pass_pdf(release: ReleasePass) -> bytes:
    """One A5 page: the pass number, the QR code, house, applicant, items, validity."""
    from reportlab.lib.pagesizes import A5
    from reportlab.lib.units import mm
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    font = cjk_font()
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A5)
    width, height = A5
    page.setTitle(f"{_('Release pass')} {release.number}")
    page.setFont(font, 18)
    page.drawString(15 * mm, height - 20 * mm, f"{release.community.name} · {_('Release pass')}")
    page.setFont(font, 12)
    page.drawString(15 * mm, height - 29 * mm, f"{_('Pass number')}: {release.number}")
    png = io.BytesIO()
    segno.make(pass_qr_payload(release), error="m").save(png, kind="png", scale=8, border=2)
    png.seek(0)
    size = 38 * mm
    page.drawImage(ImageReader(png), width - 15 * mm - size, height - 22 * mm - size, size, size)
    lines = [
        (_("House"), release.house.label),
        (_("Applicant"), release.applicant_name),
        (_("Reason"), str(release.get_reason_display())),
        (_("Valid on"), release.valid_on.isoformat()),
        (
            _("Approved by"),
            f"{release.decided_by or ''} {timezone.localtime(release.decided_at):%Y-%m-%d %H:%M}"
            if release.decided_at
            else "",
        ),
    ]
    y = height - 40 * mm
    for label, value in lines:
        page.drawString(15 * mm, y, f"{label}: {value}")
        y -= 7 * mm
    y -= 3 * mm
    page.drawString(15 * mm, y, f"{_('Items')}:")
    y -= 7 * mm
    page.setFont(font, 11)
    for item in release.items.splitlines()[:25]:
        if y < 25 * mm:
            page.drawString(20 * mm, y, "…")
            break
        page.drawString(20 * mm, y, f"• {item.strip()[:60]}")
        y -= 6 * mm
    page.setFont(font, 9)
    page.drawString(
        15 * mm,
        12 * mm,
        _("One use only. The gate checks the number and marks the pass used."),
    )
    page.showPage()
    page.save()
    return buffer.getvalue()
