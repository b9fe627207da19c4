"""The service desk in a real browser: phone intake, dispatch, the technician's phone,
sign-off drawn on the screen (R-REP-4), and script in text shown as text."""

from __future__ import annotations

import pytest

from propdesk.servicedesk.models import Case, Category
from propdesk.testing.cast import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(page, username):
    page.goto(page.base_url + "/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(page.base_url + "/")


def logout(page):
    page.context.clear_cookies()


def test_phone_intake_dispatch_and_sign_off_on_the_technicians_phone(cast, browser_page):
    page = browser_page
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    login(page, "desk_a")
    page.goto(page.base_url + f"/cases/new/?customer={cast.alice.pk}&house={cast.house_a1.pk}")
    # Complaint-only fields stay hidden for a repair.
    assert not page.is_visible("select[name=severity]")
    lamp = Category.objects.get(company=None, code="electrical.lamp")
    page.select_option("#category", str(lamp.pk))
    page.fill("textarea[name=description]", "<script>alert(1)</script>客厅灯不亮")
    page.keyboard.press("Control+Enter")
    page.wait_for_url("**/cases/*/")
    case = Case.objects.get()
    assert case.number in page.inner_text("h1")
    assert "<script>alert(1)</script>客厅灯不亮" in page.inner_text("dd.pre")
    # Dispatch from the case page: department, then technician.
    page.click("details[data-action=dispatch] summary")
    # Choosing the department reloads its technicians (htmx); pick one after that.
    with page.expect_response("**/cases/technicians/**"):
        page.select_option(
            "details[data-action=dispatch] select[name=department_id]", str(cast.maint_dept_a.pk)
        )
    page.wait_for_timeout(100)
    page.select_option(
        "details[data-action=dispatch] select[name=assignee_id]", str(cast.tech_a.pk)
    )
    page.click("details[data-action=dispatch] button[type=submit]")
    page.wait_for_selector("text=已派工")
    case.refresh_from_db()
    assert case.assignee == cast.tech_a
    logout(page)

    # The technician's phone.
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, "tech_a")
    page.goto(page.base_url + "/cases/jobs/")
    assert case.number in page.inner_text("main")
    page.click(f"a.job[href='/cases/jobs/{case.pk}/']")
    page.click("button.big:has-text('接单')")
    page.click("button.big:has-text('开始维修')")
    page.fill("textarea[name=work_done]", "更换灯管")
    page.fill("input[name=material_name] >> nth=0", "LED灯管")
    page.fill("input[name=material_quantity] >> nth=0", "1")
    page.fill("input[name=material_unit_price] >> nth=0", "30")
    if page.is_visible("input[name=agreed_price]"):  # paid unless a warranty applies (R-REP-2)
        page.fill("input[name=agreed_price]", "50")
    box = page.locator("canvas[data-signature]").bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + 60)
    page.mouse.down()
    page.mouse.move(box["x"] + 120, box["y"] + 30, steps=8)
    page.mouse.move(box["x"] + 220, box["y"] + 90, steps=8)
    page.mouse.up()
    page.click("button.big:has-text('完工')")
    page.wait_for_url("**/cases/jobs/")
    case.refresh_from_db()
    assert case.status == "completed"
    assert case.signoff_kind == "drawn"
    assert case.signoff_image.read().startswith(b"\x89PNG")
    assert dialogs == []


def test_one_box_search_slash_arrows_and_enter_open_the_customer(cast, browser_page):
    page = browser_page
    login(page, "desk_a")
    page.keyboard.press("/")
    page.keyboard.type("zw")
    page.wait_for_selector("#quicksearch-results .qs-hit")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/customers/{cast.alice.pk}/")
    assert "张伟" in page.inner_text("h1")
