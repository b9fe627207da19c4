"""The printed receipt (R-FEE-2): number, amount in capital numerals, 副本 on every reprint,
作废 once voided. Text is read back with poppler's pdftotext (installed with pdftoppm by
`scripts/bootstrap test`)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.urls import reverse

from propdesk.billing import services
from propdesk.billing.tests.conftest import first_receipt

from .conftest import login, pay

pytestmark = pytest.mark.django_db

PDFTOTEXT = shutil.which("pdftotext")


def text_of(pdf: bytes, tmp_path: Path) -> str:
    if PDFTOTEXT is None:
        pytest.skip("pdftotext is missing: install poppler-utils (scripts/bootstrap test does)")
    source = tmp_path / "receipt.pdf"
    source.write_bytes(pdf)
    out = subprocess.run(  # noqa: S603
        [PDFTOTEXT, "-layout", str(source), "-"], check=True, capture_output=True
    )
    return out.stdout.decode()


def keep(pdf: bytes, name: str) -> None:
    """RECEIPT_PDF_OUT=dir keeps the PDFs for a person to rasterise and look at (pdftoppm)."""
    folder = os.environ.get("RECEIPT_PDF_OUT")
    if folder:
        Path(folder, name).write_bytes(pdf)


def test_receipt_pdf_has_number_words_and_copy_on_reprint_r_fee_2(client, cast, billed, tmp_path):
    payment = pay(cast, amount="500.00", method="wechat", external_ref="4200001234")
    login(client, cast.cashier_a)
    url = reverse("console:billing:receipt-print", args=[payment.receipt.pk])
    first = client.post(url).content
    keep(first, "receipt-first.pdf")
    text = text_of(first, tmp_path)
    assert first_receipt() in text
    assert "伍佰元整" in text  # 500.00 in capital numerals
    assert "500.00" in text
    assert "阿尔法小区" in text
    assert "1-1-101" in text
    assert "张伟" in text
    assert "物业管理费" in text
    assert "预存" in text or "Prepayment" in text  # 32.50 left as prepayment
    assert "微信支付" in text
    assert "4200001234" in text
    assert "cashier_a" in text
    assert "副本" not in text
    assert "作废" not in text
    again = client.post(url).content
    keep(again, "receipt-copy.pdf")
    copy = text_of(again, tmp_path)
    assert "副本" in copy
    assert "COPY" in copy
    assert first_receipt() in copy


def test_voided_receipt_prints_void_with_the_reason(client, cast, billed, tmp_path):
    payment = pay(cast, amount="233.75")
    services.payment_void(
        actor=cast.cashier_a, payment_id=payment.pk, reason="收错户", approver=cast.director_a
    )
    login(client, cast.cashier_a)
    pdf = client.post(reverse("console:billing:receipt-print", args=[payment.receipt.pk])).content
    keep(pdf, "receipt-void.pdf")
    text = text_of(pdf, tmp_path)
    assert "作废" in text
    assert "收错户" in text
    assert "贰佰叁拾叁元柒角伍分" in text
