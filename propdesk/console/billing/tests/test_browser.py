"""The cashier's flow in a real browser: find the house with the one box → the open bills
→ take the payment (sent twice, posted once) → the receipt, ready to print (R-FEE-2)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from propdesk.billing.models import Payment
from propdesk.billing.tests.conftest import first_receipt
from propdesk.testing.cast import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(page, username):
    page.goto(page.base_url + "/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(page.base_url + "/")


def test_cashier_finds_the_house_takes_payment_and_gets_the_receipt(
    cast, billed, browser_page, tmp_path
):
    page = browser_page
    login(page, "cashier_a")
    started = time.monotonic()
    page.click("nav >> text=收银台")
    page.wait_for_selector("#desk-search:focus")
    page.keyboard.type("1-1-101")
    page.wait_for_selector("#desk-hits .qs-hit")
    page.keyboard.press("Enter")
    page.wait_for_url("**/billing/desk/?house=*")
    assert page.input_value("#pay-amount") == "467.50"
    assert page.input_value("#pay-payer") == "张伟"
    # Untick November's garbage fee: the amount follows; tick it again.
    boxes = page.locator("input[name=bill]")
    assert boxes.count() == 4
    boxes.nth(3).uncheck()
    assert page.input_value("#pay-amount") == "457.50"
    assert page.inner_text("#chosen-total") == "457.50"
    boxes.nth(3).check()
    assert page.input_value("#pay-amount") == "467.50"
    page.select_option("#pay-method", "wechat")
    assert page.get_attribute("#pay-ref", "required") is not None
    page.fill("#pay-ref", "4200009876")
    shot = Path(os.environ.get("BILLING_SCREENSHOT_DIR", tmp_path))
    page.screenshot(path=str(shot / "cashier-desk.png"), full_page=True)
    # An impatient double click sends the form once; the key would make a second harmless.
    page.dblclick("#pay-submit")
    page.wait_for_url("**/billing/receipts/*/")
    elapsed = time.monotonic() - started
    assert Payment.objects.count() == 1
    assert page.inner_text("#receipt-number") == first_receipt()
    assert page.inner_text("#receipt-total") == "¥467.50"
    assert "肆佰陆拾柒元伍角" in page.inner_text(".receipt")
    assert page.is_visible("#print")
    page.screenshot(path=str(shot / "cashier-receipt.png"), full_page=True)
    print(f"cashier flow in the browser: {elapsed:.1f} s")
    # Next house: back to an empty desk with the search box focused.
    page.click("#next-house")
    page.wait_for_selector("#desk-search:focus")
