"""Spreadsheets out: an import template per kind, and the console's lists as .xlsx.

The house export uses the house import's columns, so an exported list can be
edited and imported back. Exports show phones and ID numbers masked (R-CUS-3).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from propdesk.accounts.roles import Cap
from propdesk.accounts.selectors import require
from propdesk.customers.selectors import customers_list_rows, customers_visible_to
from propdesk.estates.selectors import houses_visible_to

from .kinds import CUSTOMER_COLUMNS, HOUSE_COLUMNS
from .services import spec_for
from .tables import csv_bytes, xlsx_bytes

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"


def template_bytes(kind: str, fmt: str) -> bytes:
    """The empty template of an import kind, with Chinese headers; .xlsx adds a notes sheet."""
    spec = spec_for(kind)
    headers = [c.header for c in spec.columns]
    if fmt == "csv":
        return csv_bytes(headers)
    notes = [("列", "必填", "说明")] + [
        (c.header, "是" if c.required else "", c.note) for c in spec.columns
    ]
    return xlsx_bytes(headers, [], title=spec.kind, notes=notes)


def houses_export(
    actor: Any, *, community_id: int | None, status: str | None = None, query: str | None = None
) -> bytes:
    """The house list as filtered in the console, in the house import's columns."""
    require(actor, Cap.DATA_EXPORT)
    qs = houses_visible_to(actor, community_id=community_id, status=status, query=query)
    headers = [c.header for c in HOUSE_COLUMNS] + list(spec_for("houses").ignored)
    rows = (
        (
            h.building.code,
            h.unit,
            h.room,
            h.floor,
            h.area,
            h.get_kind_display(),
            h.get_status_display(),
            h.handover_date.isoformat() if h.handover_date else "",
            h.label,
            h.community.name,
        )
        for h in qs.iterator(chunk_size=2000)
    )
    return xlsx_bytes(headers, rows, title=str(_("Houses")))


def customers_export(actor: Any, *, community_id: int | None, query: str | None = None) -> bytes:
    """The customer list as filtered in the console; phones and ID numbers masked."""
    require(actor, Cap.DATA_EXPORT)
    qs = customers_list_rows(customers_visible_to(actor, community_id=community_id, query=query))
    by_key = {c.key: c.header for c in CUSTOMER_COLUMNS}
    headers = [
        by_key["name"],
        by_key["kind"],
        by_key["id_type"],
        by_key["id_number"],
        by_key["phone"],
        by_key["gender"],
        by_key["email"],
        by_key["work_unit"],
        "房屋",
        "标签",
        "小区",
    ]
    rows = (
        (
            c.name,
            c.get_kind_display(),
            c.get_id_type_display() if c.id_type else "",
            c.id_number_masked,
            c.phone_masked,
            c.get_gender_display() if c.gender else "",
            c.email,
            c.work_unit,
            "；".join(
                f"{o.house.label} {o.get_role_display()}"
                for o in c.current_occupancies  # type: ignore[attr-defined]
            ),
            "、".join(t.name for t in c.tags.all()),
            c.community.name,
        )
        for c in qs.iterator(chunk_size=2000)
    )
    return xlsx_bytes(headers, rows, title=str(_("Customers")))
