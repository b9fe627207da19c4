"""`propdesk import <kind> <file> --community CODE [--dry-run]`."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from propdesk.estates.models import Building
from propdesk.imports.tables import csv_bytes
from propdesk.testing.counts import row_counts

HEADERS = ["楼栋编号", "楼栋名称", "地上层数", "地下层数", "单元数"]


def test_command_dry_run_then_import_then_again(cast, tmp_path):
    path = tmp_path / "buildings.csv"
    path.write_bytes(csv_bytes(HEADERS, [["3", "", "26", "1", "2"], ["5", "", "18", "0", "1"]]))
    out = io.StringIO()
    before = row_counts()
    call_command("import", "buildings", str(path), "--community", "A", "--dry-run", stdout=out)
    assert "2 would be created" in out.getvalue()
    assert "100%" in out.getvalue()  # the progress bar
    assert row_counts() == before
    call_command("import", "buildings", str(path), "--community", "A", "--chunk", "1", stdout=out)
    assert Building.objects.filter(community=cast.alpha).count() == 3
    out = io.StringIO()
    call_command("import", "buildings", str(path), "--community", "A", stdout=out)
    assert "2 unchanged" in out.getvalue()


def test_command_reports_every_error_and_fails(cast, tmp_path):
    path = tmp_path / "buildings.csv"
    path.write_bytes(
        csv_bytes(HEADERS, [["3", "", "26", "1", "2"], ["5", "", "x", "0", "1"]])
        .decode("utf-8-sig")
        .encode("gbk")
    )
    out = io.StringIO()
    before = row_counts()
    with pytest.raises(CommandError):
        call_command("import", "buildings", str(path), "--community", "A", stdout=out)
    assert "row 3\t地上层数\tx" in out.getvalue()
    assert row_counts() == before


def test_command_acts_as_a_named_user_with_their_rights(cast, tmp_path):
    path = tmp_path / "buildings.csv"
    path.write_bytes(csv_bytes(HEADERS, [["3", "", "26", "1", "2"]]))
    with pytest.raises(CommandError):
        call_command("import", "buildings", str(path), "--community", "A", "--user", "desk_a")
    with pytest.raises(CommandError):
        call_command("import", "buildings", str(path), "--community", "NOPE")
