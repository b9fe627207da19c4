"""Spreadsheets in and out: .xlsx (openpyxl) and .csv in UTF-8 or GBK.

Reading never trusts the file name: a ZIP signature means .xlsx, anything else
is read as CSV (UTF-8 with or without BOM first, then GB 18030, a superset of
GBK). Every problem is a `CellError(row, column, value, reason)`; row numbers
are the spreadsheet's (the header is row 1).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

MAX_ROWS = 50_000
_XLSX_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls


@dataclass(frozen=True)
class CellError:
    row: int
    column: str
    value: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "value": self.value, "reason": self.reason}


@dataclass
class Table:
    headers: list[str]
    rows: list[tuple[int, list[str]]]  # (spreadsheet row number, cells)
    errors: list[CellError]


def cell_text(value: Any) -> str:
    """A cell as the text a person typed: 13812345678.0 → "13812345678", dates → ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time():
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return format(Decimal(repr(value)), "f")
    return str(value).strip()


def _decode(content: bytes) -> str | None:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _not_a_spreadsheet(filename: str) -> Table:
    return Table(
        [],
        [],
        [
            CellError(
                0,
                "",
                filename,
                _("This is not a spreadsheet: upload an .xlsx file or a UTF-8/GBK .csv file."),
            )
        ],
    )


def _read_csv(text: str) -> list[tuple[int, list[str]]]:
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return [(n, [c.strip() for c in cells]) for n, cells in enumerate(reader, start=1)]


def _read_xlsx(content: bytes) -> tuple[list[tuple[int, list[str]]], list[CellError]]:
    import openpyxl

    workbook = openpyxl.load_workbook(io.BytesIO(content), data_only=True)
    sheet = workbook.worksheets[0]
    rows = [
        (n, [cell_text(v) for v in values])
        for n, values in enumerate(sheet.iter_rows(values_only=True), start=1)
    ]
    headers = rows[0][1] if rows else []
    errors = []
    for merged in sheet.merged_cells.ranges:
        col = merged.min_col - 1
        column = headers[col] if col < len(headers) else merged.coord
        value = cell_text(sheet.cell(merged.min_row, merged.min_col).value)
        errors.append(
            CellError(
                merged.min_row,
                column,
                value,
                _("Merged cells %(range)s: unmerge them and fill in every cell.")
                % {"range": merged.coord},
            )
        )
    return rows, errors


def read_table(filename: str, content: bytes) -> Table:
    """Read the first sheet of an .xlsx or a .csv into header + non-empty rows."""
    errors: list[CellError] = []
    if content.startswith(_XLSX_MAGIC):
        try:
            rows, errors = _read_xlsx(content)
        except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError):
            return _not_a_spreadsheet(filename)
    elif content.startswith(_OLE_MAGIC):
        return Table(
            [],
            [],
            [CellError(0, "", filename, _("Old .xls files are not read: save it as .xlsx."))],
        )
    else:
        text = _decode(content)
        if text is None or "\x00" in text or not text.strip():
            return _not_a_spreadsheet(filename)
        rows = _read_csv(text)
    rows = [(n, cells) for n, cells in rows if any(cells)]
    if not rows:
        return Table([], [], [CellError(1, "", filename, _("The file has no header row."))])
    (_header_no, headers), body = rows[0], rows[1:]
    while headers and not headers[-1]:
        headers.pop()
    if len(body) > MAX_ROWS:
        errors.append(
            CellError(
                0,
                "",
                str(len(body)),
                _("At most %(max)d rows per file; split it.") % {"max": MAX_ROWS},
            )
        )
    return Table(headers, body, errors)


def xlsx_bytes(
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    title: str,
    notes: Sequence[Sequence[str]] = (),
) -> bytes:
    """A workbook with one data sheet (bold header, frozen) and an optional notes sheet."""
    import openpyxl
    from openpyxl.styles import Font

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title[:31]
    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        # Text format, so Excel keeps ID numbers and phones exactly as typed.
        cell.number_format = "@"
    for index in range(1, len(headers) + 1):
        letter = openpyxl.utils.get_column_letter(index)
        sheet.column_dimensions[letter].width = 16
        sheet.column_dimensions[letter].number_format = "@"
    sheet.freeze_panes = "A2"
    for row in rows:
        sheet.append(list(row))
    if notes:
        info = workbook.create_sheet("说明")
        for line in notes:
            info.append(list(line))
        for cell in info[1]:
            cell.font = Font(bold=True)
        info.column_dimensions["A"].width = 16
        info.column_dimensions["B"].width = 10
        info.column_dimensions["C"].width = 60
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def csv_bytes(headers: Sequence[str], rows: Iterable[Sequence[Any]] = ()) -> bytes:
    """UTF-8 with a BOM, so Excel on Windows opens the Chinese headers correctly."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    for row in rows:
        writer.writerow(row)
    return out.getvalue().encode("utf-8-sig")
