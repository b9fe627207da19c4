"""Income and expenditure publication (收支公示, R-FEE-6).

Finance enters or imports a period's figures (income and expenditure lines by
category); a manager publishes them and the owners' portal shows what is
published. A published statement is not changed: it is what owners were told.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from propdesk.accounts.roles import Cap
from propdesk.accounts.selectors import community_filter, require
from propdesk.core import validation as v
from propdesk.core.errors import Conflict, ErrorCollector, Invalid, NotFound
from propdesk.estates.selectors import community_get_for_user

from .models import ZERO, IncomeStatement, IncomeStatementLine, LineKind

PERIOD = re.compile(r"^\d{4}(-(0[1-9]|1[0-2]|Q[1-4]|H[12]))?$")
MAX_AMOUNT = Decimal("999999999999.99")
MAX_LINES = 200

# Headers an imported sheet may use for each column (Chinese as staff type them, or English).
IMPORT_HEADERS = {
    "kind": {"收支", "类型", "kind", "type"},
    "category": {"科目", "类别", "项目", "category", "item"},
    "amount": {"金额", "金额（元）", "金额(元)", "amount"},
}
KIND_WORDS = {
    "收入": LineKind.INCOME,
    "income": LineKind.INCOME,
    "支出": LineKind.EXPENDITURE,
    "expenditure": LineKind.EXPENDITURE,
    "expense": LineKind.EXPENDITURE,
}


def _lines(errors: ErrorCollector, lines: Iterable[Any]) -> list[tuple[str, str, Decimal]]:
    cleaned: list[tuple[str, str, Decimal]] = []
    rows = list(lines)
    if not rows:
        errors.add("lines", _("Give at least one line of income or expenditure."))
    if len(rows) > MAX_LINES:
        errors.add("lines", _("At most %(max)d lines.") % {"max": MAX_LINES})
        return cleaned
    for n, row in enumerate(rows):
        if isinstance(row, dict):
            kind_raw, category_raw, amount_raw = (
                row.get("kind"),
                row.get("category"),
                row.get("amount"),
            )
        else:
            kind_raw, category_raw, amount_raw = row
        kind = v.choice(errors, f"lines.{n}.kind", kind_raw, LineKind.choices)
        category = v.text(errors, f"lines.{n}.category", category_raw, max_length=100)
        amount = v.decimal(
            errors, f"lines.{n}.amount", amount_raw, places=2, minimum=ZERO, maximum=MAX_AMOUNT
        )
        if kind and category and amount is not None:
            cleaned.append((kind, category, amount))
    return cleaned


def income_statement_save(
    *,
    actor: Any,
    community_id: int | str,
    period: str,
    lines: Iterable[Any],
    title: str = "",
    note: str = "",
    now: dt.datetime | None = None,
) -> IncomeStatement:
    """Create or replace the figures of a period's statement; refused once it is published."""
    require(actor, Cap.BILLING_MANAGE)
    community = community_get_for_user(actor, community_id)
    errors = ErrorCollector()
    period = v.text(errors, "period", period, max_length=16)
    if period and not PERIOD.match(period):
        errors.add(
            "period",
            _("Enter a year (2026), a half (2026-H1), a quarter (2026-Q3) or a month (2026-11)."),
        )
    title = v.text(errors, "title", title, max_length=200, required=False)
    note = v.text(errors, "note", note, max_length=4000, required=False)
    cleaned = _lines(errors, lines)
    errors.raise_if_any()
    now = now or timezone.now()
    with transaction.atomic():
        statement, _created = IncomeStatement.objects.select_for_update().get_or_create(
            community=community, period=period, defaults={"updated_at": now}
        )
        if statement.is_published:
            raise Conflict(
                _("This statement is published; owners have seen it and it stays as it is.")
            )
        statement.title = title
        statement.note = note
        statement.updated_at = now
        statement.save(update_fields=["title", "note", "updated_at"])
        statement.lines.all().delete()
        IncomeStatementLine.objects.bulk_create(
            IncomeStatementLine(
                statement=statement, kind=kind, category=category, amount=amount, sort=n
            )
            for n, (kind, category, amount) in enumerate(cleaned)
        )
    return statement


def income_statement_import(
    *,
    actor: Any,
    community_id: int | str,
    period: str,
    filename: str,
    content: bytes,
    title: str = "",
    now: dt.datetime | None = None,
) -> IncomeStatement:
    """Read the lines from an .xlsx or .csv (columns 收支, 科目, 金额) and save them."""
    require(actor, Cap.BILLING_MANAGE)
    from propdesk.imports.tables import read_table

    table = read_table(filename, content)
    if table.errors:
        raise Invalid(
            {"file": [f"{e.row}: {e.reason}" if e.row else e.reason for e in table.errors]}
        )
    columns: dict[str, int] = {}
    for index, header in enumerate(table.headers):
        for key, names in IMPORT_HEADERS.items():
            if header.strip().lower() in names:
                columns[key] = index
    missing = [key for key in IMPORT_HEADERS if key not in columns]
    if missing:
        raise Invalid.field(
            "file", _("The sheet needs the columns 收支, 科目 and 金额 (kind, category, amount).")
        )
    lines = []
    problems: list[str] = []
    for number, cells in table.rows:

        def cell(key: str, cells: list[str] = cells) -> str:
            index = columns[key]
            return cells[index].strip() if index < len(cells) else ""

        kind = KIND_WORDS.get(cell("kind").lower(), cell("kind"))
        if kind not in LineKind.values:
            problems.append(_("Row %(row)d: kind is 收入 or 支出.") % {"row": number})
        lines.append(
            {"kind": kind, "category": cell("category"), "amount": cell("amount").replace(",", "")}
        )
    if problems:
        raise Invalid({"file": problems})
    try:
        return income_statement_save(
            actor=actor, community_id=community_id, period=period, lines=lines, title=title, now=now
        )
    except Invalid as exc:
        # Name spreadsheet rows, not list positions, in what the person reads.
        numbers = [number for number, _cells in table.rows]
        renamed: dict[str, Any] = {}
        for field, reasons in exc.errors.items():
            parts = field.split(".")
            if parts[0] == "lines" and len(parts) == 3:
                field = _("row %(row)d %(column)s") % {
                    "row": numbers[int(parts[1])],
                    "column": parts[2],
                }
            renamed[field] = reasons
        raise Invalid(renamed) from None


def income_statement_publish(
    *, actor: Any, statement_id: int | str, now: dt.datetime | None = None
) -> IncomeStatement:
    """Publish a statement to the owners (R-FEE-6)."""
    require(actor, Cap.BILLING_MANAGE)
    now = now or timezone.now()
    with transaction.atomic():
        try:
            statement = IncomeStatement.objects.select_for_update().get(
                community_filter(actor), pk=int(str(statement_id))
            )
        except (ValueError, IncomeStatement.DoesNotExist):
            raise NotFound(_("No such statement.")) from None
        if statement.is_published:
            raise Conflict(_("This statement is already published."))
        if not statement.lines.exists():
            raise Conflict(_("A statement needs its figures before it is published."))
        statement.published_at = now
        statement.published_by = actor
        statement.save(update_fields=["published_at", "published_by"])
    return statement


def statements_visible_to(
    user: Any, *, community_id: int | None = None
) -> QuerySet[IncomeStatement]:
    require(user, Cap.BILLING_VIEW)
    # 0 has always meant "every community", like None.
    rows = IncomeStatement.objects.filter(community_filter(user, community_id=community_id or None))
    return rows.select_related("published_by").order_by("-period")


def statement_get_for_user(user: Any, statement_id: int | str) -> IncomeStatement:
    try:
        return statements_visible_to(user).get(pk=int(str(statement_id)))
    except (ValueError, IncomeStatement.DoesNotExist):
        raise NotFound(_("No such statement.")) from None


def published_statements(community_id: int) -> QuerySet[IncomeStatement]:
    """What the owners' portal shows a community's owners: published statements only."""
    return (
        IncomeStatement.objects.filter(community_id=community_id, published_at__isnull=False)
        .prefetch_related("lines")
        .order_by("-period")
    )


def statement_totals(statement: IncomeStatement) -> dict[str, Decimal]:
    income = expenditure = ZERO
    for line in statement.lines.all():
        if line.kind == LineKind.INCOME:
            income += line.amount
        else:
            expenditure += line.amount
    return {"income": income, "expenditure": expenditure, "balance": income - expenditure}
