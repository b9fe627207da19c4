"""Import in a real browser: upload, the htmx-polled progress bar, the dry-run result, import."""

from __future__ import annotations

import pytest

from propdesk.estates.models import House
from propdesk.imports.tables import csv_bytes
from propdesk.testing.cast import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADERS = ["楼栋编号", "单元", "房号", "楼层", "建筑面积", "房屋类型", "房屋状态", "交付日期"]


def test_upload_check_and_import_houses_with_the_progress_bar(cast, browser_page, tmp_path):
    rows = [
        ["1", "2", f"{f}0{r}", str(f), "88.5", "住宅", "未售", ""]
        for f in range(2, 18)
        for r in (1, 2)
    ]
    path = tmp_path / "houses.csv"
    path.write_bytes(csv_bytes(HEADERS, rows).decode("utf-8-sig").encode("gbk"))
    page = browser_page
    page.goto(page.base_url + "/login/")
    page.fill("input[name=username]", "director_a")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(page.base_url + "/")
    page.goto(page.base_url + "/imports/")
    page.select_option("select[name=kind]", "houses")
    page.set_input_files("input[name=file]", str(path))
    page.click("form.import-upload button")
    # The poll checks chunk by chunk, then the page reloads with the dry-run result.
    page.wait_for_selector("#count-created", timeout=30_000)
    assert page.inner_text("#count-created") == "32"
    assert not House.objects.filter(community=cast.alpha, label="1-2-201").exists()
    page.click("form[action$='/commit/'] button")
    page.wait_for_selector("#import-state:has-text('已导入')", timeout=30_000)
    assert (
        House.objects.filter(community=cast.alpha, building=cast.building_a, unit="2").count() == 32
    )
