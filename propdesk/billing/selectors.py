"""Reads of billing shared by console, API and portal; every one scoped to the user."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import F, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from propdesk.accounts.roles import Cap
from propdesk.accounts.selectors import community_filter, community_ids_for, require
from propdesk.core.errors import NotFound
from propdesk.estates.models import House
from propdesk.estates.selectors import house_get_for_user

from .models import (
    ZERO,
    Account,
    AccountKind,
    AdjustmentRule,
    Bill,
    BillingRun,
    FeeItem,
    LedgerEntry,
    Payment,
    PriceStandard,
    Receipt,
)


def fee_items_visible_to(user: Any, *, community_id: int | None = None) -> QuerySet[FeeItem]:
    require(user, Cap.BILLING_VIEW)
    # 0 has always meant "every community", like None.
    items = FeeItem.objects.filter(community_filter(user, community_id=community_id or None))
    return items.order_by("community_id", "sort", "code")


def standards_visible_to(user: Any, *, community_id: int | None = None) -> QuerySet[PriceStandard]:
    require(user, Cap.BILLING_VIEW)
    # 0 has always meant "every community", like None.
    rows = PriceStandard.objects.filter(community_filter(user, community_id=community_id or None))
    return rows.select_related("fee_item").order_by("fee_item__sort", "house_kind", "-valid_from")


def runs_visible_to(user: Any, *, community_id: int | None = None) -> QuerySet[BillingRun]:
    require(user, Cap.BILLING_VIEW)
    # 0 has always meant "every community", like None.
    rows = BillingRun.objects.filter(community_filter(user, community_id=community_id or None))
    return rows.order_by("-started_at", "-id")


def run_get_for_user(user: Any, run_id: int | str) -> BillingRun:
    try:
        return runs_visible_to(user).get(pk=int(str(run_id)))
    except (ValueError, BillingRun.DoesNotExist):
        raise NotFound(_("No such billing run.")) from None


def rules_visible_to(user: Any, *, community_id: int | None = None) -> QuerySet[AdjustmentRule]:
    require(user, Cap.BILLING_VIEW)
    # 0 has always meant "every community", like None.
    rows = AdjustmentRule.objects.filter(community_filter(user, community_id=community_id or None))
    return rows.select_related("fee_item").order_by("kind", "fee_item__sort")


def bill_get_for_user(user: Any, bill_id: int | str) -> Bill:
    require(user, Cap.BILLING_VIEW)
    try:
        return Bill.objects.select_related("fee_item", "house").get(
            community_filter(user), pk=int(str(bill_id))
        )
    except (ValueError, Bill.DoesNotExist):
        raise NotFound(_("No such bill.")) from None


def run_is_queued(run: BillingRun) -> bool:
    """Whether a worker task will carry the run on (waiting, being run or to be retried)."""
    from propdesk.jobs.models import Task, TaskState

    from .background import RUN_TASK

    return Task.objects.filter(
        name=RUN_TASK,
        payload__run_id=run.pk,
        state__in=[TaskState.PENDING, TaskState.RUNNING, TaskState.FAILED],
    ).exists()


def approvers_for(user: Any, community_id: int) -> list[Any]:
    """Who may approve a billing correction of `user` in a community (four eyes: not `user`)."""
    from propdesk.accounts.models import User, UserKind
    from propdesk.accounts.roles import ROLE_CAPABILITIES
    from propdesk.estates.models import Community

    if community_id not in community_ids_for(user):
        return []
    roles = [role for role, caps in ROLE_CAPABILITIES.items() if Cap.BILLING_APPROVE in caps]
    company_id = Community.objects.filter(pk=community_id).values("company_id")
    rows = (
        User.objects.filter(kind=UserKind.STAFF, is_active=True, role__in=roles)
        .filter(
            Q(scopes__community_id=community_id)
            | Q(all_communities=True, company_id__in=company_id)
        )
        .exclude(pk=user.pk)
        .distinct()
        .order_by("display_name", "username")
    )
    return list(rows)


@dataclass
class HouseBilling:
    """What the cashier sees for a house: open bills, balance, arrears, prepayment."""

    house: House
    account: Account | None
    open_bills: list[Bill] = field(default_factory=list)
    owed: Decimal = ZERO
    overdue: Decimal = ZERO
    prepaid: Decimal = ZERO
    oldest_due: dt.date | None = None

    @property
    def balance(self) -> Decimal:
        return self.owed - self.prepaid


def house_billing(user: Any, house_id: int | str, *, today: dt.date | None = None) -> HouseBilling:
    """The house's open bills (oldest first) and its balance; nothing is written."""
    require(user, Cap.BILLING_VIEW)
    house = house_get_for_user(user, house_id)
    today = today or timezone.localdate()
    account = Account.objects.filter(kind=AccountKind.HOUSE, house=house).first()
    result = HouseBilling(house=house, account=account)
    if account is None:
        return result
    bills = list(
        Bill.objects.filter(account=account, cleared__lt=F("amount"))
        .select_related("fee_item")
        .order_by("due_date", "period_start", "fee_item__sort", "id")
    )
    result.open_bills = bills
    result.owed = account.due
    result.prepaid = account.credit
    result.overdue = sum((b.outstanding for b in bills if b.due_date < today), ZERO)
    result.oldest_due = bills[0].due_date if bills else None
    return result


def house_overdue(house_id: int, *, today: dt.date | None = None) -> Decimal:
    """What a house owes past its due dates; for callers that already checked the house's scope."""
    today = today or timezone.localdate()
    total = Bill.objects.filter(
        house_id=house_id, cleared__lt=F("amount"), due_date__lt=today
    ).aggregate(total=Sum(F("amount") - F("cleared")))["total"]
    return total or ZERO


def house_arrears(
    user: Any, house_ids: list[int], *, today: dt.date | None = None
) -> dict[int, Decimal]:
    """Overdue amount per house, for lists (one query)."""
    require(user, Cap.BILLING_VIEW)
    today = today or timezone.localdate()
    rows = (
        Bill.objects.filter(
            community_filter(user),
            house_id__in=house_ids,
            cleared__lt=F("amount"),
            due_date__lt=today,
        )
        .values("house_id")
        .annotate(total=Sum(F("amount") - F("cleared")))
    )
    return {row["house_id"]: row["total"] for row in rows}


@dataclass
class Statement:
    """A house's statement for a date range: opening balance, every entry, closing balance."""

    house: House
    start: dt.date
    end: dt.date
    opening: Decimal
    lines: list[dict[str, Any]]
    closing: Decimal
    charged: Decimal
    paid: Decimal


def statement(user: Any, house_id: int | str, start: dt.date, end: dt.date) -> Statement:
    """Balance = owed less prepaid, from the entries alone (no cached figure is used)."""
    require(user, Cap.BILLING_VIEW)
    house = house_get_for_user(user, house_id)
    tz = timezone.get_current_timezone()
    lo = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    entries = LedgerEntry.objects.filter(account__kind=AccountKind.HOUSE, account__house=house)
    before = entries.filter(at__lt=lo).aggregate(d=Sum("due_delta"), c=Sum("credit_delta"))
    opening = (before["d"] or ZERO) - (before["c"] or ZERO)
    running = opening
    lines: list[dict[str, Any]] = []
    charged = paid = ZERO
    for e in (
        entries.filter(at__gte=lo, at__lt=hi)
        .select_related("bill__fee_item", "payment__receipt")
        .order_by("at", "id")
    ):
        change = e.due_delta - e.credit_delta
        running += change
        if e.kind == "charge":
            charged += e.amount
        elif e.kind == "payment":
            paid += e.amount
        receipt = getattr(e.payment, "receipt", None) if e.payment_id else None
        lines.append(
            {
                "entry": e,
                "at": e.at,
                "kind": e.get_kind_display(),
                "item": str(e.bill.fee_item) if e.bill else "",
                "period": e.bill.period if e.bill else "",
                "receipt": receipt.number if receipt else "",
                "amount": e.amount,
                "change": change,
                "balance": running,
                "reason": e.reason,
            }
        )
    return Statement(house, start, end, opening, lines, running, charged, paid)


def payments_visible_to(user: Any, *, community_id: int | None = None) -> QuerySet[Payment]:
    require(user, Cap.BILLING_VIEW)
    # 0 has always meant "every community", like None.
    rows = Payment.objects.filter(community_filter(user, community_id=community_id or None))
    return rows.select_related("house", "receipt", "received_by").order_by("-received_at", "-id")


def receipt_get_for_user(user: Any, receipt_id: int | str) -> Receipt:
    require(user, Cap.BILLING_VIEW)
    try:
        return Receipt.objects.select_related("payment__house__building", "community").get(
            community_filter(user), pk=int(str(receipt_id))
        )
    except (ValueError, Receipt.DoesNotExist):
        raise NotFound(_("No such receipt.")) from None


def receipt_lines(receipt: Receipt) -> list[dict[str, Any]]:
    """What a receipt paid: each bill with its item and period, then any prepayment left."""
    lines = []
    allocated = ZERO
    for e in (
        LedgerEntry.objects.filter(payment=receipt.payment, kind__in=["allocation", "deposit_in"])
        .select_related("bill__fee_item")
        .order_by("id")
    ):
        if e.bill:
            lines.append(
                {"item": e.bill.fee_item.name, "period": e.bill.period, "amount": e.amount}
            )
            allocated += e.amount
        else:
            lines.append({"item": _("Deposit"), "period": e.reason, "amount": e.amount})
            allocated += e.amount
    rest = receipt.amount - allocated
    if rest > ZERO:
        lines.append({"item": _("Prepayment"), "period": "", "amount": rest})
    return lines


def bills_visible_to(
    user: Any,
    *,
    community_id: int | None = None,
    house_id: int | None = None,
    period: str | None = None,
    open_only: bool = False,
) -> QuerySet[Bill]:
    """Bills of the user's communities, newest period first; `open_only`: something outstanding."""
    require(user, Cap.BILLING_VIEW)
    # 0 has always meant "every community", like None.
    rows = Bill.objects.filter(community_filter(user, community_id=community_id or None))
    if house_id:
        rows = rows.filter(house_id=house_id)
    if period:
        rows = rows.filter(period=period)
    if open_only:
        rows = rows.filter(cleared__lt=F("amount"))
    return rows.select_related("fee_item", "house").order_by("-period_start", "house_id", "id")


def payment_get_for_user(user: Any, payment_id: int | str) -> Payment:
    try:
        return payments_visible_to(user).get(pk=int(str(payment_id)))
    except (ValueError, Payment.DoesNotExist):
        raise NotFound(_("No such payment.")) from None
