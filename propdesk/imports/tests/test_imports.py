"""Imports (issue 3 §2): templates, dry run, every bad-input case, idempotent re-import."""

from __future__ import annotations

import io

import openpyxl
import pytest

from propdesk.core.errors import Forbidden, NotFound
from propdesk.customers.models import Customer, Occupancy
from propdesk.estates.models import Building, House
from propdesk.imports.models import ImportJob, ImportState
from propdesk.imports.services import import_job_create, import_run
from propdesk.imports.tables import csv_bytes, read_table, xlsx_bytes
from propdesk.testing.counts import row_counts

BUILDING_HEADERS = ["楼栋编号", "楼栋名称", "地上层数", "地下层数", "单元数"]
HOUSE_HEADERS = ["楼栋编号", "单元", "房号", "楼层", "建筑面积", "房屋类型", "房屋状态", "交付日期"]
CUSTOMER_HEADERS = [
    "姓名",
    "客户类型",
    "证件类型",
    "证件号码",
    "手机号",
    "性别",
    "电子邮箱",
    "工作单位",
]
OCC_HEADERS = [
    "房屋编号",
    "姓名",
    "证件号码",
    "手机号",
    "关系",
    "开始日期",
    "结束日期",
    "主要联系人",
]

# Valid resident ID numbers (GB 11643 check digits).
ID_1 = "110101199001010015"
ID_2 = "110101199203070024"


def run(cast, kind, content, *, name="file.csv", dry_run=False, actor=None):
    return import_run(
        actor=actor or cast.director_a,
        community_id=cast.alpha.pk,
        kind=kind,
        filename=name,
        content=content,
        dry_run=dry_run,
        chunk_rows=2,  # several chunks even for small files
    )


def houses_csv(*rows):
    return csv_bytes(HOUSE_HEADERS, rows)


def errors_of(job):
    return [(e["row"], e["column"], e["value"], e["reason"]) for e in job.errors]


def test_buildings_and_houses_import_then_reimport_changes_nothing(cast):
    buildings = csv_bytes(
        BUILDING_HEADERS, [["3", "3栋", "26", "1", "2"], ["5", "", "18", "1", "1"]]
    )
    job = run(cast, "buildings", buildings)
    assert (job.state, job.created, job.updated) == (ImportState.DONE, 2, 0)
    assert Building.objects.get(community=cast.alpha, code="5").name == "5栋"
    houses = houses_csv(
        ["3", "2", "1801", "18", "120.5", "住宅", "已入住", "2020-05-01"],
        ["3", "1", "101", "1", "89", "", "", ""],
        ["5", "", "-101", "-1", "30", "车位", "", ""],
    )
    job = run(cast, "houses", houses)
    assert [e[:3] for e in errors_of(job)] == [(4, "房号", "-101")]  # "-" in a room
    houses = houses_csv(
        ["3", "2", "1801", "18", "120.5", "住宅", "已入住", "2020-05-01"],
        ["3", "1", "101", "1", "89", "", "", ""],
        ["5", "", "B101", "-1", "30", "车位", "", ""],
    )
    job = run(cast, "houses", houses)
    assert (job.state, job.created) == (ImportState.DONE, 3)
    assert House.objects.get(community=cast.alpha, label="3-2-1801").status == "occupied"
    before = row_counts()
    again = run(cast, "houses", houses)
    assert (again.state, again.created, again.updated, again.unchanged) == (
        ImportState.DONE,
        0,
        0,
        3,
    )
    assert row_counts() == before  # not even an audit event
    changed = houses_csv(["3", "2", "1801", "18", "121", "", "", ""])
    job = run(cast, "houses", changed)
    assert (job.created, job.updated) == (0, 1)
    assert str(House.objects.get(label="3-2-1801").area) == "121.00"


def test_dry_run_reports_counts_and_writes_nothing(cast):
    before = row_counts()
    job = run(
        cast, "buildings", csv_bytes(BUILDING_HEADERS, [["7", "", "10", "0", "1"]]), dry_run=True
    )
    assert (job.state, job.created, job.errors) == (ImportState.READY, 1, [])
    assert row_counts() == before
    assert job.payload_cipher == ""  # the checked rows are not kept after a dry run


def test_one_bad_row_reports_row_column_value_reason_and_nothing_is_written(cast):
    before = row_counts()
    job = run(
        cast,
        "buildings",
        csv_bytes(BUILDING_HEADERS, [["7", "", "10", "0", "1"], ["8", "", "abc", "0", "1"]]),
    )
    assert job.state == ImportState.INVALID
    assert [e[:3] for e in errors_of(job)] == [(3, "地上层数", "abc")]
    assert errors_of(job)[0][3]
    assert row_counts() == before


def test_bad_house_rows_each_reported(cast):
    before = row_counts()
    job = run(
        cast,
        "houses",
        houses_csv(
            ["1", "1", "1901", "19", "0", "", "", ""],  # impossible area
            ["1", "3", "301", "3", "80", "", "", ""],  # building 1 has 2 units
            ["1", "1", "2501", "25", "80", "", "", ""],  # building 1 has 20 floors
            ["9", "1", "101", "1", "80", "", "", ""],  # no such building
            ["1", "1", "", "5", "80", "", "", ""],  # empty required cell
            ["1", "1", "601", "6", "80", "", "", ""],
            ["1", "1", "601", "6", "80", "", "", ""],  # duplicate inside the file
            ["1", "1", "701", "7", "80", "别墅", "", ""],  # not a kind
        ),
    )
    assert job.state == ImportState.INVALID
    found = {(row, column) for row, column, _v, _r in errors_of(job)}
    assert found == {
        (2, "建筑面积"),
        (3, "单元"),
        (4, "楼层"),
        (5, "楼栋编号"),
        (6, "房号"),
        (8, "楼栋编号"),
        (9, "房屋类型"),
    }
    assert row_counts() == before


def test_wrong_headers_are_reported_on_row_1(cast):
    job = run(
        cast, "houses", csv_bytes(["楼栋", "房号", "楼层", "建筑面积"], [["1", "1", "1", "1"]])
    )
    assert job.state == ImportState.INVALID
    assert (1, "楼栋", "楼栋") in [(r, c, v) for r, c, v, _ in errors_of(job)]
    assert (1, "楼栋编号", "") in [(r, c, v) for r, c, v, _ in errors_of(job)]


def test_a_file_that_is_not_a_spreadsheet_is_refused(cast):
    job = run(cast, "houses", b"%PDF-1.4\x00\x01\x02binary", name="scan.pdf")
    assert job.state == ImportState.INVALID
    assert errors_of(job)[0][:3] == (0, "", "scan.pdf")


def test_merged_cells_are_reported(cast):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HOUSE_HEADERS)
    ws.append(["1", "1", "1901", "19", "80"])
    ws.append([None, "1", "1902", "19", "80"])
    ws.merge_cells("A2:A3")
    out = io.BytesIO()
    wb.save(out)
    before = row_counts()
    job = run(cast, "houses", out.getvalue(), name="houses.xlsx")
    assert job.state == ImportState.INVALID
    assert errors_of(job)[0][:3] == (2, "楼栋编号", "1")
    assert row_counts() == before


def test_gbk_csv_and_xlsx_with_numeric_cells(cast):
    content = "\r\n".join(
        [",".join(CUSTOMER_HEADERS), f"王小明,个人,居民身份证,{ID_1},13700001111,,,某公司"]
    ).encode("gbk")
    assert read_table("c.csv", content).headers == CUSTOMER_HEADERS
    job = run(cast, "customers", content)
    assert (job.state, job.created) == (ImportState.DONE, 1)
    customer = Customer.objects.get(community=cast.alpha, name="王小明")
    assert (customer.name_initials, customer.phone_last4, customer.work_unit) == (
        "wxm",
        "1111",
        "某公司",
    )
    # The same person from Excel, phone typed as a number: recognised by the ID number.
    xlsx = xlsx_bytes(CUSTOMER_HEADERS, [["王小明", "", "", ID_1, 13700001111]], title="客户")
    job = run(cast, "customers", xlsx, name="c.xlsx")
    assert (job.state, job.created, job.unchanged) == (ImportState.DONE, 0, 1)


def test_customers_invalid_id_and_phone_are_masked_in_the_report(cast):
    content = csv_bytes(CUSTOMER_HEADERS, [["赵六", "", "", "110101199001010012", "12345"]])
    job = run(cast, "customers", content)
    assert job.state == ImportState.INVALID
    values = {c: v for _r, c, v, _reason in errors_of(job)}
    assert set(values) == {"证件号码", "手机号"}
    assert "110101199001010012" not in values["证件号码"]  # R-CUS-3: never in plain text


def test_customers_reimport_by_name_and_phone_and_occupancies(cast):
    customers = csv_bytes(
        CUSTOMER_HEADERS,
        [["孙七", "", "", "", "13900002222"], ["周八", "", "", ID_2, ""]],
    )
    assert run(cast, "customers", customers).created == 2
    again = run(cast, "customers", customers)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    occupancies = csv_bytes(
        OCC_HEADERS,
        [
            ["1-1-101", "孙七", "", "13900002222", "租户", "2024-01-01", "", "否"],
            ["1-1-102", "周八", ID_2, "", "家庭成员", "2024-02-01", "", "是"],
        ],
    )
    job = run(cast, "occupancies", occupancies, actor=cast.supervisor_a)
    assert (job.state, job.created) == (ImportState.DONE, 2)
    assert Occupancy.objects.filter(house=cast.house_a1, customer__name="孙七").exists()
    again = run(cast, "occupancies", occupancies, actor=cast.supervisor_a)
    assert (again.created, again.unchanged) == (0, 2)


def test_two_current_owners_of_one_house_in_one_file_are_refused(cast):
    customers = csv_bytes(
        CUSTOMER_HEADERS, [["甲", "", "", "", "13900003333"], ["乙", "", "", "", "13900004444"]]
    )
    run(cast, "customers", customers)
    before = row_counts()
    job = run(
        cast,
        "occupancies",
        csv_bytes(
            OCC_HEADERS,
            [
                ["1-1-201", "甲", "", "13900003333", "业主", "2024-01-01", "", ""],
                ["1-1-101", "甲", "", "13900003333", "业主", "2024-01-01", "", ""],
                ["1-1-101", "乙", "", "13900004444", "业主", "2024-01-01", "", ""],
            ],
        ),
    )
    assert job.state == ImportState.INVALID
    rows = sorted({r for r, *_ in errors_of(job)})
    assert rows == [2, 3, 4]  # no such house; 1-1-101 has an owner (张伟); repeated owner
    assert row_counts() == before


@pytest.mark.parametrize("who", ["desk_a", "tech_a", "owner_alice"])
def test_import_needs_the_capability(cast, who):
    before = row_counts()
    with pytest.raises(Forbidden):
        run(
            cast,
            "buildings",
            csv_bytes(BUILDING_HEADERS, [["7", "", "10", "0", "1"]]),
            actor=getattr(cast, who),
        )
    assert row_counts() == before
    assert not ImportJob.objects.exists()


def test_supervisor_may_import_customers_but_not_buildings(cast):
    with pytest.raises(Forbidden):
        run(
            cast,
            "buildings",
            csv_bytes(BUILDING_HEADERS, [["7", "", "10", "0", "1"]]),
            actor=cast.supervisor_a,
        )


def test_staff_of_another_community_cannot_import_into_it(cast):
    cast.desk_b.role = "director"
    cast.desk_b.save()
    with pytest.raises(NotFound):
        import_job_create(
            actor=cast.desk_b,
            community_id=cast.alpha.pk,
            kind="buildings",
            filename="b.csv",
            content=csv_bytes(BUILDING_HEADERS, [["7", "", "10", "0", "1"]]),
        )


def test_rows_of_abandoned_jobs_are_forgotten_after_a_day(cast):
    import datetime as dt

    from django.utils import timezone

    from propdesk.imports.services import import_jobs_purge

    content = csv_bytes(BUILDING_HEADERS, [["7", "", "10", "0", "1"]])
    job = import_job_create(
        actor=cast.director_a,
        community_id=cast.alpha.pk,
        kind="buildings",
        filename="b.csv",
        content=content,
    )
    assert import_jobs_purge(now=timezone.now()) == 0
    assert import_jobs_purge(now=timezone.now() + dt.timedelta(hours=25)) == 1
    job.refresh_from_db()
    assert (job.state, job.payload_cipher) == (ImportState.FAILED, "")
