"""Import and export pages: authorization matrix, upload → dry run → import with progress."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from propdesk.estates.models import Building
from propdesk.imports.models import ImportJob, ImportState
from propdesk.imports.services import import_job_create
from propdesk.imports.tables import csv_bytes
from propdesk.testing.cast import PASSWORD
from propdesk.testing.counts import row_counts

BUILDINGS = csv_bytes(
    ["楼栋编号", "楼栋名称", "地上层数", "地下层数", "单元数"],
    [["3", "3栋", "26", "1", "2"], ["5", "", "18", "0", "1"], ["6", "", "18", "0", "1"]],
)


def login(client, cast, who):
    if who == "anonymous":
        return client
    user = getattr(cast, who)
    assert client.login(username=user.username, password=PASSWORD)
    return client


def upload(client, content=BUILDINGS, kind="buildings", name="b.csv"):
    return client.post(
        reverse("console:imports:index"),
        {"kind": kind, "file": SimpleUploadedFile(name, content)},
    )


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("anonymous", 302),  # to the login page
        ("owner_alice", 403),
        ("tech_a", 403),  # staff without imports.run
        ("desk_a", 403),  # may export, may not import
        ("director_a", 302),  # to the new job's page
    ],
)
def test_upload_matrix_and_refusals_write_nothing(client, cast, who, expected):
    before = row_counts("imports.ImportJob", "estates.Building")
    response = upload(login(client, cast, who))
    assert response.status_code == expected
    if who != "director_a":
        assert row_counts("imports.ImportJob", "estates.Building") == before


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("anonymous", 302),
        ("owner_alice", 403),
        ("tech_a", 403),
        ("desk_a", 200),  # exports only
        ("director_a", 200),
    ],
)
def test_index_matrix(client, cast, who, expected):
    assert login(client, cast, who).get(reverse("console:imports:index")).status_code == expected


def test_job_pages_are_hidden_from_other_communities_and_from_staff_without_the_right(client, cast):
    job = import_job_create(
        actor=cast.director_a,
        community_id=cast.alpha.pk,
        kind="buildings",
        filename="b.csv",
        content=BUILDINGS,
    )
    cast.desk_b.role = "director"  # may import, but serves community B
    cast.desk_b.save()
    for who, code in (("desk_b", 404), ("desk_a", 404), ("owner_alice", 403)):
        client.logout()
        login(client, cast, who)
        assert client.get(reverse("console:imports:job", args=[job.pk])).status_code == code
        assert client.post(reverse("console:imports:step", args=[job.pk])).status_code == code
        assert client.post(reverse("console:imports:commit", args=[job.pk])).status_code in (
            code,
            302,
        )
    job.refresh_from_db()
    assert (job.state, job.rows_checked) == (ImportState.CHECKING, 0)
    assert not Building.objects.filter(code="5").exists()


def test_upload_check_progress_then_import(client, cast):
    login(client, cast, "director_a")
    response = upload(client)
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("console:imports:job", args=[job.pk])
    page = client.get(response["Location"]).content.decode()
    assert f'hx-post="{reverse("console:imports:step", args=[job.pk])}"' in page
    before = row_counts()
    step = client.post(reverse("console:imports:step", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert step["HX-Refresh"] == "true"  # a 3-row file is checked in one chunk
    assert row_counts() == before  # the dry run wrote nothing
    job.refresh_from_db()
    assert (job.state, job.created) == (ImportState.READY, 3)
    page = client.get(reverse("console:imports:job", args=[job.pk])).content.decode()
    assert reverse("console:imports:commit", args=[job.pk]) in page
    client.post(reverse("console:imports:commit", args=[job.pk]))
    while ImportJob.objects.get(pk=job.pk).is_running:
        client.post(reverse("console:imports:step", args=[job.pk]), HTTP_HX_REQUEST="true")
    job.refresh_from_db()
    assert (job.state, job.created, job.payload_cipher) == (ImportState.DONE, 3, "")
    assert Building.objects.filter(community=cast.alpha, code__in=["3", "5", "6"]).count() == 3


def test_a_bad_file_shows_every_error_with_row_and_column(client, cast):
    login(client, cast, "director_a")
    bad = csv_bytes(["楼栋编号", "地上层数", "单元数"], [["3", "x", "1"], ["4", "5", "0"]])
    response = upload(client, bad)
    job = ImportJob.objects.get()
    while ImportJob.objects.get(pk=job.pk).is_running:
        client.post(reverse("console:imports:step", args=[job.pk]))
    page = client.get(response["Location"]).content.decode()
    assert "地上层数" in page
    assert "单元数" in page
    assert reverse("console:imports:commit", args=[job.pk]) not in page
    assert not Building.objects.filter(code__in=["3", "4"]).exists()


@pytest.mark.parametrize("kind", ["buildings", "houses", "customers", "occupancies"])
def test_templates_have_chinese_headers(client, cast, kind):
    login(client, cast, "director_a")
    xlsx = client.get(reverse("console:imports:template", args=[kind, "xlsx"]))
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
    headers = [c.value for c in sheet[1]]
    assert all("\u4e00" <= h[0] <= "\u9fff" for h in headers)
    csv = client.get(reverse("console:imports:template", args=[kind, "csv"]))
    assert csv.content.decode("utf-8-sig").splitlines()[0].split(",") == headers


@pytest.mark.parametrize(
    ("who", "expected"),
    [("anonymous", 302), ("owner_alice", 403), ("tech_a", 403), ("desk_a", 200)],
)
def test_export_matrix(client, cast, who, expected):
    login(client, cast, who)
    for name in ("export-customers", "export-houses"):
        assert client.get(reverse(f"console:imports:{name}")).status_code == expected


def test_exports_follow_the_list_filters_and_scope_and_mask_pii(client, cast):
    login(client, cast, "desk_a")
    response = client.get(reverse("console:imports:export-customers"), {"q": "zw"})
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0].values)
    assert [r[0] for r in rows[1:]] == ["张伟"]  # not 李娜 (filter), not 王芳 (community B)
    assert rows[1][4] == "138****5678"
    assert "1-1-101" in rows[1][8]
    houses = client.get(reverse("console:imports:export-houses"), {"status": "occupied"})
    rows = list(openpyxl.load_workbook(io.BytesIO(houses.content)).worksheets[0].values)
    assert [r[8] for r in rows[1:]] == ["1-1-101", "1-1-102"]
    client.logout()
    login(client, cast, "desk_b")
    houses = client.get(reverse("console:imports:export-houses"))
    rows = list(openpyxl.load_workbook(io.BytesIO(houses.content)).worksheets[0].values)
    assert [r[9] for r in rows[1:]] == ["贝塔小区"]


def test_exported_houses_import_back_unchanged(client, cast):
    login(client, cast, "director_a")
    exported = client.get(reverse("console:imports:export-houses")).content
    from propdesk.imports.services import import_run

    before = row_counts()
    job = import_run(
        actor=cast.director_a,
        community_id=cast.alpha.pk,
        kind="houses",
        filename="houses.xlsx",
        content=exported,
    )
    assert (job.errors, job.state, job.unchanged) == ([], ImportState.DONE, 2)
    assert row_counts() == before


def test_pages_are_in_chinese_by_default(client, cast):
    login(client, cast, "director_a")
    page = client.get(reverse("console:imports:index")).content.decode()
    assert "导入导出" in page
    assert "上传并校验" in page
    assert "导出客户" in page
