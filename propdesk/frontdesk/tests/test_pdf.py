"""The release pass PDF and QR code (R-REL-1)."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.utils import translation

from propdesk.frontdesk import pdf, services

from .conftest import T0

pytestmark = pytest.mark.django_db


def approved(cast):
    release = services.pass_apply(
        actor=cast.desk_a,
        house_id=cast.house_a1.pk,
        applicant_name="张伟",
        applicant_customer_id=cast.alice.pk,
        items="冰箱一台\n纸箱五个\n旧沙发",
        reason="moving_out",
        valid_on=dt.date(2026, 3, 2),
        now=T0,
    )
    return services.pass_decide(actor=cast.supervisor_a, pass_id=release.pk, approve=True, now=T0)


def test_pass_pdf_embeds_the_cjk_font_and_a_qr_code_r_rel_1(cast):
    release = approved(cast)
    with translation.override("zh-hans"):
        data = pdf.pass_pdf(release)
    assert data.startswith(b"%PDF-")
    assert b"PropDeskCJK" in data or b"WenQuanYi" in data
    out = os.environ.get("FRONTDESK_PDF_OUT")
    if out:  # for a person to rasterise and look at (pdftoppm)
        with open(out, "wb") as fh:
            fh.write(data)


def test_pass_qr_svg_holds_the_number(cast):
    release = approved(cast)
    svg = pdf.pass_qr_svg(release)
    assert svg.startswith("<svg")
    assert pdf.pass_qr_payload(release) == f"PASS:{release.number}"
