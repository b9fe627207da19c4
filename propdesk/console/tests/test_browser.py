"""The daily flow in a real browser: log in, find a customer, see masked PII (R-CUS-3)."""

from __future__ import annotations

import pytest

from propdesk.customers.services import customer_update
from propdesk.testing.cast import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(page, username):
    page.goto(page.base_url + "/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(page.base_url + "/")


def test_steward_opens_customer_sees_masked_id_and_reveals_it(cast, browser_page):
    page = browser_page
    login(page, "steward_a")
    page.click("nav >> text=客户")
    page.click("table.grid >> text=张伟")
    assert page.inner_text("#pii-id") == "1101**********002X"
    assert page.inner_text("#pii-phone") == "138****5678"
    page.click("#pii-id + button")
    page.wait_for_selector("#pii-id .pii-full")
    assert page.inner_text("#pii-id") == "11010519491231002X"


def test_script_in_a_name_is_shown_as_text(cast, browser_page):
    customer_update(actor=cast.admin, customer_id=cast.alice.pk, name="<script>alert(1)</script>")
    page = browser_page
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    login(page, "desk_a")
    page.goto(page.base_url + f"/customers/{cast.alice.pk}/")
    assert "<script>alert(1)</script>" in page.inner_text("h1")
    assert dialogs == []
