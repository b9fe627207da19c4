"""A collector's morning in a real browser: the worklist, a house, a call logged with a
promise to pay, then a letter numbered and recorded as sent with its tracking number
(R-FEE-3, R-FEE-4)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from propdesk.billing import dunning, services
from propdesk.billing.models import ContactLog, DunningLetter, FeeItem
from propdesk.billing.seeds import seed_community
from propdesk.testing.cast import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SH = ZoneInfo("Asia/Shanghai")


def login(page, username):
    page.goto(page.base_url + "/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(page.base_url + "/")


def test_collector_calls_then_sends_the_letter_r_fee_4(cast, browser_page):
    seed_community(cast.alpha.pk)
    dunning.dunning_step_set(
        actor=cast.admin, community_id=cast.alpha.pk, order=1, action="reminder", wait_days=15
    )
    today = timezone.localdate()
    due = today - dt.timedelta(days=40)
    services.charge_post(
        actor=cast.admin,
        house_id=cast.house_a1.pk,
        fee_item_id=FeeItem.objects.get(community=cast.alpha, code="management").pk,
        amount="223.75",
        reference="old",
        due=due,
        now=dt.datetime.combine(due, dt.time(10), tzinfo=SH),
    )
    dunning.dunning_run(community_id=cast.alpha.pk, today=today)

    page = browser_page
    login(page, "cashier_a")
    page.click("nav >> text=催缴")
    page.click("text=1-1-101")
    page.wait_for_load_state("load")
    assert "223.75" in page.content()
    page.select_option("#c-how", "phone")
    page.select_option("#c-ans", "will_pay")
    page.fill("#c-prom", (today + dt.timedelta(days=5)).isoformat())
    page.fill("#c-note", "业主说下周来交")
    page.click("form:has(#c-how) >> button")
    page.wait_for_load_state("load")
    assert "联系记录已保存" in page.content()
    log = ContactLog.objects.get(actor=cast.cashier_a)
    assert (log.how, log.promise_date) == ("phone", today + dt.timedelta(days=5))

    page.click("text=按逾期欠费生成催缴函编号")
    page.wait_for_load_state("load")
    letter = DunningLetter.objects.get()
    assert letter.number in page.content()
    page.click("text=登记为已寄出")  # the tracking number is required: the browser stops it
    assert DunningLetter.objects.get().sent_on is None
    page.fill("#l-co", "顺丰速运")
    page.fill("#l-tn", "SF1400123456789")
    page.click("text=登记为已寄出")
    page.wait_for_load_state("load")
    assert "催缴函已登记寄出" in page.content()
    letter.refresh_from_db()
    assert letter.tracking_number == "SF1400123456789"
