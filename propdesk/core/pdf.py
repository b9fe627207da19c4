"""PDF building blocks every domain shares: a CJK font and QR codes for reportlab.

Without a CJK font reportlab draws empty boxes for Chinese; the setup installs
WenQuanYi Micro Hei (Debian `fonts-wqy-microhei`). `PROPDESK_PDF_FONT` points
elsewhere when a deployment ships another font.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import segno
from reportlab.graphics.shapes import Drawing, Rect
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_NAME = "PropDeskCJK"
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)


class FontMissing(RuntimeError):
    pass


@cache
def cjk_font() -> str:
    """Register the CJK font once and return its reportlab name."""
    configured = os.environ.get("PROPDESK_PDF_FONT", "")
    for candidate in (configured, *FONT_CANDIDATES):
        if candidate and Path(candidate).exists():
            pdfmetrics.registerFont(TTFont(FONT_NAME, candidate, subfontIndex=0))
            return FONT_NAME
    raise FontMissing(
        "No CJK font found: install fonts-wqy-microhei (make run does) or set PROPDESK_PDF_FONT."
    )


def qr_drawing(data: str, *, size: float) -> Drawing:
    """A QR code as vector rectangles (sharp at any print size)."""
    code = segno.make(data, error="m")
    matrix = list(code.matrix)
    count = len(matrix) + 8  # quiet zone of 4 modules each side
    module = size / count
    drawing = Drawing(size, size)
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                drawing.add(
                    Rect(
                        (x + 4) * module,
                        size - (y + 5) * module,
                        module,
                        module,
                        fillColor="black",
                        strokeColor=None,
                    )
                )
    return drawing
