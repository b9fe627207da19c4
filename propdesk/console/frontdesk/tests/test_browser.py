"""The desk's day in a real browser: a parcel from the scanner to pickup, a key from deposit
through a lend and a return (R-PCL-1, R-PCL-2, R-KEY-1, R-KEY-2)."""

from __future__ import annotations

import pytest

from propdesk.frontdesk import services
from propdesk.frontdesk.models import Key, KeyStatus, Parcel, ParcelStatus
from propdesk.testing.cast import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(page, username):
    page.goto(page.base_url + "/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(page.base_url + "/")


def sign(page, canvas):
    box = page.locator(canvas).bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + 30)
    page.mouse.down()
    page.mouse.move(box["x"] + 120, box["y"] + 80, steps=8)
    page.mouse.move(box["x"] + 200, box["y"] + 40, steps=8)
    page.mouse.up()


def test_parcel_scanned_received_and_picked_up_with_code_and_signature(cast, browser_page):
    services.parcel_consent_set(
        actor=cast.desk_a, customer_id=cast.alice.pk, granted=True, method="paper"
    )
    page = browser_page
    login(page, "desk_a")
    page.click("nav >> text=前台")
    page.click(".fd-tabs >> text=邮件包裹")
    page.wait_for_load_state("load")
    page.focus("input[name=tracking_number]")
    # The scanner types the number and Enter; the agent types the house and Enter.
    page.keyboard.type("SF1234567890")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.name") == "house"
    page.keyboard.type("101")
    page.keyboard.press("Enter")
    page.wait_for_selector(".fd-msg")
    parcel = Parcel.objects.get()
    assert parcel.pickup_code in page.inner_text(".fd-msg")
    assert parcel.carrier == "顺丰"
    # Focus is back on the scan field for the next parcel.
    assert page.evaluate("document.activeElement.name") == "tracking_number"
    page.fill("#code", parcel.pickup_code)
    page.click("text=查找")
    page.wait_for_selector("#pickup-form")
    sign(page, "#pad-pickup")
    page.click("#pickup-form button[type=submit]")
    page.wait_for_selector("#parcel-status >> text=已取")
    parcel.refresh_from_db()
    assert parcel.status == ParcelStatus.COLLECTED
    assert parcel.signature.name.endswith(".png")


def test_key_deposited_lent_taken_back_and_returned_to_the_owner(cast, browser_page):
    page = browser_page
    login(page, "desk_a")
    page.goto(page.base_url + "/frontdesk/keys/")
    page.fill("#k-house", "1-1-101")
    page.fill("#k-dep", "张伟")
    page.fill("#k-cust", str(cast.alice.pk))
    page.fill("#k-cond", "两把，完好")
    page.fill("#k-tag", "K001")
    page.fill("#k-slot", "A-01")
    sign(page, "#pad-deposit")
    page.click("#deposit button[type=submit]")
    page.wait_for_selector("#key-status >> text=在柜")
    key = Key.objects.get()
    assert key.signature.name.endswith(".png")
    page.fill("#l-name", "刘师傅")
    page.fill("#l-phone", "13900001111")
    page.fill("#l-purpose", "维修水管")
    page.fill("#l-due", "2030-01-01T10:00")
    page.click("#lend-form button[type=submit]")
    page.wait_for_selector("#key-status >> text=已借出")
    page.click("#take-back-form button[type=submit]")
    page.wait_for_selector("#key-status >> text=在柜")
    sign(page, "#pad-release")
    page.click("text=归还并结束寄存")
    page.wait_for_selector("#key-status >> text=已归还业主")
    key.refresh_from_db()
    assert key.status == KeyStatus.RELEASED
    assert [lend.back_at is not None for lend in key.lends.all()] == [True]
