"""Paper for collection: the dunning letter (催缴函, R-FEE-4) and the legal-collection file (R-FEE-5).

The legal file of one household or of a selection is a zip: one PDF per house
(the service contract, every bill, payment, reminder and contact, the letters
with their dates and tracking numbers, the amount claimed) and one workbook of
the same facts, a sheet per kind, so many small cases can be filed together.
Documents are written in the installation's language (Chinese by default),
whatever the language of the person who downloads them.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from django.conf import settings
from django.db.models import F, Min, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from propdesk.accounts.roles import Cap
from propdesk.accounts.selectors import community_filter, require
from propdesk.core.errors import Invalid
from propdesk.core.money import amount_in_words
from propdesk.core.pdf import cjk_font
from propdesk.estates.models import House

from .dunning import _primary_contacts
from .models import (
    ZERO,
    Account,
    AccountKind,
    Bill,
    CollectionPolicy,
    ContactLog,
    DunningLetter,
    Payment,
)

MAX_HOUSES = 500


@dataclass
class Evidence:
    """Everything the file shows for one house, read once."""

    house: House
    owner: str
    contract_ref: str
    creditor: str
    claimed: Decimal
    oldest_due: dt.date | None
    as_of: dt.date
    bills: list[Bill] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    contacts: list[ContactLog] = field(default_factory=list)
    letters: list[DunningLetter] = field(default_factory=list)


def _lang() -> translation.override:
    return translation.override(settings.LANGUAGE_CODE)


def evidence(
    user: Any, house_ids: Iterable[Any], *, as_of: dt.date | None = None
) -> list[Evidence]:
    """The evidence of each chosen house of the user's communities (a bounded number of queries)."""
    require(user, Cap.BILLING_COLLECT)
    try:
        ids = sorted({int(str(h)) for h in house_ids})
    except ValueError:
        raise Invalid.field("houses", _("Choose houses from the list.")) from None
    if not ids:
        raise Invalid.field("houses", _("Choose at least one house."))
    if len(ids) > MAX_HOUSES:
        raise Invalid.field("houses", _("At most %(max)d houses per file.") % {"max": MAX_HOUSES})
    houses = list(
        House.objects.filter(community_filter(user), pk__in=ids).select_related(
            "building", "community__company"
        )
    )
    if len(houses) != len(ids):
        raise Invalid.field("houses", _("One of the houses is not one you may see."))
    as_of = as_of or timezone.localdate()
    accounts = {
        a.house_id: a for a in Account.objects.filter(kind=AccountKind.HOUSE, house_id__in=ids)
    }
    account_ids = [a.pk for a in accounts.values()]
    bills: dict[int, list[Bill]] = {}
    for bill in (
        Bill.objects.filter(account_id__in=account_ids)
        .select_related("fee_item")
        .order_by("due_date", "period_start", "id")
    ):
        bills.setdefault(bill.account_id, []).append(bill)
    payments: dict[int, list[Payment]] = {}
    for payment in (
        Payment.objects.filter(account_id__in=account_ids)
        .select_related("receipt")
        .order_by("received_at", "id")
    ):
        payments.setdefault(payment.account_id, []).append(payment)
    contacts: dict[int, list[ContactLog]] = {}
    for contact in (
        ContactLog.objects.filter(account_id__in=account_ids)
        .select_related("actor")
        .order_by("at", "id")
    ):
        contacts.setdefault(contact.account_id, []).append(contact)
    letters: dict[int, list[DunningLetter]] = {}
    for letter in DunningLetter.objects.filter(account_id__in=account_ids).order_by(
        "issued_on", "seq"
    ):
        letters.setdefault(letter.account_id, []).append(letter)
    overdue = {
        r["account_id"]: (r["total"], r["oldest"])
        for r in Bill.objects.filter(
            account_id__in=account_ids, cleared__lt=F("amount"), due_date__lt=as_of
        )
        .values("account_id")
        .annotate(total=Sum(F("amount") - F("cleared")), oldest=Min("due_date"))
    }
    policies = {
        p.community_id: p
        for p in CollectionPolicy.objects.filter(community_id__in={h.community_id for h in houses})
    }
    owners = _primary_contacts(ids, as_of)
    result = []
    for house in sorted(houses, key=lambda h: (h.community_id, h.label)):
        account = accounts.get(house.pk)
        key = account.pk if account else 0
        policy = policies.get(house.community_id)
        claimed, oldest = overdue.get(key, (ZERO, None))
        owner = owners.get(house.pk)
        result.append(
            Evidence(
                house=house,
                owner=owner.name if owner else "",
                contract_ref=policy.service_contract_ref if policy else "",
                creditor=(policy.creditor_name if policy else "") or house.community.company.name,
                claimed=claimed,
                oldest_due=oldest,
                as_of=as_of,
                bills=bills.get(key, []),
                payments=payments.get(key, []),
                contacts=contacts.get(key, []),
                letters=letters.get(key, []),
            )
        )
    return result


# --- rows shared by the PDF and the workbook ------------------------------------------


def _local(value: dt.datetime | None, tz: Any) -> str:
    return timezone.localtime(value, tz).strftime("%Y-%m-%d %H:%M") if value else ""


def bill_rows(e: Evidence) -> list[list[Any]]:
    return [
        [
            b.fee_item.name,
            b.period,
            b.due_date.isoformat(),
            b.amount,
            b.cleared,
            b.amount - b.cleared,
        ]
        for b in e.bills
    ]


def payment_rows(e: Evidence) -> list[list[Any]]:
    tz = e.house.community.tzinfo
    rows = []
    for p in e.payments:
        receipt = getattr(p, "receipt", None)
        rows.append(
            [
                _local(p.received_at, tz),
                p.amount,
                str(p.get_method_display()),
                receipt.number if receipt else "",
                _("void") if p.voided_at else "",
            ]
        )
    return rows


def contact_rows(e: Evidence) -> list[list[Any]]:
    tz = e.house.community.tzinfo
    return [
        [
            _local(c.at, tz),
            str(c.get_how_display()),
            str(c.get_answer_display()),
            c.amount_due,
            c.promise_date.isoformat() if c.promise_date else "",
            str(c.actor or _("system")),
            c.note,
        ]
        for c in e.contacts
    ]


def letter_rows(e: Evidence) -> list[list[Any]]:
    return [
        [
            letter.number,
            letter.issued_on.isoformat(),
            letter.amount_claimed,
            letter.express_company,
            letter.tracking_number,
            letter.sent_on.isoformat() if letter.sent_on else "",
        ]
        for letter in e.letters
    ]


def _headers() -> dict[str, list[str]]:
    return {
        "bills": [
            _("Fee item"),
            _("Period"),
            _("Due date"),
            _("Amount due"),
            _("Cleared"),
            _("Outstanding"),
        ],
        "payments": [_("Received at"), _("Amount"), _("Method"), _("Receipt number"), _("Note")],
        "contacts": [
            _("Time"),
            _("How"),
            _("Answer"),
            _("Amount due"),
            _("Promised to pay by"),
            _("By"),
            _("Note"),
        ],
        "letters": [
            _("Letter number"),
            _("Dated"),
            _("Amount claimed"),
            _("Express company"),
            _("Tracking number"),
            _("Sent on"),
        ],
    }


# --- PDF ---------------------------------------------------------------------------------


def _styles() -> dict[str, Any]:
    from reportlab.lib.styles import ParagraphStyle

    font = cjk_font()
    base = ParagraphStyle("base", fontName=font, fontSize=9.5, leading=14, wordWrap="CJK")
    return {
        "font": font,
        "base": base,
        "title": ParagraphStyle("title", parent=base, fontSize=16, leading=22, alignment=1),
        "h2": ParagraphStyle("h2", parent=base, fontSize=11.5, leading=18, spaceBefore=8),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8.5, leading=11),
        "body": ParagraphStyle("body", parent=base, fontSize=11, leading=20, firstLineIndent=22),
    }


def _p(text: Any, style: Any) -> Any:
    from reportlab.platypus import Paragraph

    return Paragraph(escape(str(text if text is not None else "")).replace("\n", "<br/>"), style)


def _table(
    headers: Sequence[str], rows: list[list[Any]], widths: Sequence[float], s: dict[str, Any]
) -> Any:
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    if not rows:
        return _p(_("None."), s["base"])
    data = [[_p(h, s["cell"]) for h in headers]] + [[_p(c, s["cell"]) for c in r] for r in rows]
    table = Table(data, colWidths=list(widths), repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _doc(buffer: io.BytesIO, title: str) -> Any:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate

    return SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=title,
    )


def evidence_pdf(e: Evidence) -> bytes:
    """One household's legal-collection file as a PDF (R-FEE-5)."""
    from reportlab.lib.units import mm
    from reportlab.platypus import Spacer

    with _lang():
        s = _styles()
        headers = _headers()
        buffer = io.BytesIO()
        title = _("Legal-collection file")
        doc = _doc(buffer, f"{title} {e.house.label}")
        facts = [
            [_("Community"), e.house.community.name],
            [_("House"), f"{e.house.label} ({e.house.area} m²)"],
            [_("Owner"), e.owner],
            [_("Service contract"), e.contract_ref or _("(not recorded)")],
            [_("Creditor"), e.creditor],
            [_("Overdue since"), e.oldest_due.isoformat() if e.oldest_due else ""],
            [
                _("Amount claimed"),
                f"¥{e.claimed:,.2f}  {amount_in_words(e.claimed)}",
            ],
            [_("As of"), e.as_of.isoformat()],
        ]
        story: list[Any] = [
            _p(f"{e.house.community.name} · {title}", s["title"]),
            Spacer(1, 4 * mm),
            _table([_("Item"), pgettext("legal file", "Value")], facts, [40 * mm, 134 * mm], s),
            _p(pgettext("legal file", "Bills"), s["h2"]),
            _table(
                headers["bills"],
                bill_rows(e),
                [34 * mm, 30 * mm, 24 * mm, 28 * mm, 28 * mm, 30 * mm],
                s,
            ),
            _p(pgettext("legal file", "Payments"), s["h2"]),
            _table(
                headers["payments"],
                payment_rows(e),
                [40 * mm, 30 * mm, 30 * mm, 40 * mm, 34 * mm],
                s,
            ),
            _p(_("Reminders and contacts"), s["h2"]),
            _table(
                headers["contacts"],
                contact_rows(e),
                [28 * mm, 18 * mm, 22 * mm, 22 * mm, 22 * mm, 20 * mm, 42 * mm],
                s,
            ),
            _p(_("Dunning letters"), s["h2"]),
            _table(
                headers["letters"],
                letter_rows(e),
                [30 * mm, 24 * mm, 28 * mm, 30 * mm, 38 * mm, 24 * mm],
                s,
            ),
        ]
        doc.build(story)
    return buffer.getvalue()


def letter_pdf(letter: DunningLetter) -> bytes:
    """The formal dunning letter (催缴函) as printed and sent by express mail (R-FEE-4)."""
    from reportlab.lib.units import mm
    from reportlab.platypus import Spacer

    house = letter.house
    community = letter.community
    policy = CollectionPolicy.objects.filter(community=community).first()
    creditor = (policy.creditor_name if policy else "") or community.company.name
    with _lang():
        s = _styles()
        buffer = io.BytesIO()
        title = _("Dunning letter")
        doc = _doc(buffer, f"{title} {letter.number}")
        contract = policy.service_contract_ref if policy and policy.service_contract_ref else ""
        body = _(
            "According to the property service contract %(contract)s, the fees of house %(house)s "
            "have been due since %(since)s and remain unpaid. As of %(date)s you owe "
            "%(amount)s yuan (%(words)s). We have reminded you by phone or SMS without "
            "result. Please pay the full amount at the management office or online within "
            "15 days of receiving this letter. If it is not paid, we will seek payment "
            "through legal proceedings, and the costs of collection will be yours."
        ) % {
            "contract": contract,
            "house": house.label,
            "since": letter.oldest_due.isoformat() if letter.oldest_due else "",
            "date": letter.issued_on.isoformat(),
            "amount": f"{letter.amount_claimed:,.2f}",
            "words": amount_in_words(letter.amount_claimed),
        }
        story: list[Any] = [
            _p(title, s["title"]),
            _p(f"{_('Letter number')}: {letter.number}", s["base"]),
            Spacer(1, 6 * mm),
            _p(
                _("To %(name)s, owner of %(house)s:")
                % {"name": letter.addressee or _("the owner"), "house": house.label},
                s["base"],
            ),
            Spacer(1, 3 * mm),
            _p(body, s["body"]),
            Spacer(1, 3 * mm),
            _p(
                _(
                    "If you have paid in the meantime, please disregard this letter. Phone: %(phone)s"
                )
                % {"phone": community.phone or "-"},
                s["body"],
            ),
            Spacer(1, 14 * mm),
            _p(creditor, s["base"]),
            _p(community.name, s["base"]),
            _p(letter.issued_on.strftime("%Y-%m-%d"), s["base"]),
        ]
        doc.build(story)
    return buffer.getvalue()


# --- workbook and bundle -------------------------------------------------------------------


def evidence_xlsx(items: Sequence[Evidence]) -> bytes:
    """The same facts as the PDFs, one sheet per kind, one row per line, every house together."""
    import openpyxl
    from openpyxl.styles import Font

    with _lang():
        headers = _headers()
        house_cols = [_("Community"), _("House")]
        sheets: list[tuple[str, list[str], list[list[Any]]]] = [
            (
                pgettext("legal file", "Summary"),
                [
                    *house_cols,
                    _("Owner"),
                    _("Service contract"),
                    _("Creditor"),
                    _("Overdue since"),
                    _("Amount claimed"),
                    _("Amount in words"),
                    _("Letters sent"),
                    _("As of"),
                ],
                [
                    [
                        e.house.community.name,
                        e.house.label,
                        e.owner,
                        e.contract_ref,
                        e.creditor,
                        e.oldest_due.isoformat() if e.oldest_due else "",
                        e.claimed,
                        amount_in_words(e.claimed),
                        sum(1 for letter in e.letters if letter.sent_on),
                        e.as_of.isoformat(),
                    ]
                    for e in items
                ],
            ),
            (
                pgettext("legal file", "Bills"),
                [*house_cols, *headers["bills"]],
                _with_house(items, bill_rows),
            ),
            (
                pgettext("legal file", "Payments"),
                [*house_cols, *headers["payments"]],
                _with_house(items, payment_rows),
            ),
            (
                _("Reminders and contacts"),
                [*house_cols, *headers["contacts"]],
                _with_house(items, contact_rows),
            ),
            (
                _("Dunning letters"),
                [*house_cols, *headers["letters"]],
                _with_house(items, letter_rows),
            ),
        ]
        book = openpyxl.Workbook()
        first = True
        for title, cols, rows in sheets:
            sheet = book.active if first else book.create_sheet()
            assert sheet is not None
            first = False
            sheet.title = title[:31]
            sheet.append(cols)
            for cell in sheet[1]:
                cell.font = Font(bold=True)
            sheet.freeze_panes = "A2"
            for index in range(1, len(cols) + 1):
                sheet.column_dimensions[openpyxl.utils.get_column_letter(index)].width = 16
            for row in rows:
                sheet.append(row)
        out = io.BytesIO()
        book.save(out)
    return out.getvalue()


def _with_house(items: Sequence[Evidence], rows_of: Any) -> list[list[Any]]:
    return [[e.house.community.name, e.house.label, *row] for e in items for row in rows_of(e)]


def legal_file(user: Any, house_ids: Iterable[Any], *, as_of: dt.date | None = None) -> bytes:
    """The zip for one household or a selection: a PDF per house and one workbook (R-FEE-5)."""
    items = evidence(user, house_ids, as_of=as_of)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bundle:
        for e in items:
            bundle.writestr(f"{e.house.community.code}-{e.house.label}.pdf", evidence_pdf(e))
        bundle.writestr("legal-file.xlsx", evidence_xlsx(items))
    return out.getvalue()
