"""The one way entries are written: append the entry, move the cached balances with it.

Every service that touches money goes through `post()` (one entry) or
`allocate()` (credit to bills, oldest first), inside the caller's transaction
and with the account row locked, so a balance always equals the sum of its
entries and a bill is never cleared beyond its amount.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Round

from propdesk.core.money import money

from .models import ZERO, Account, AccountKind, AdjustmentKind, AdjustmentRule, Bill, EntryKind
from .models import LedgerEntry as Entry

# How each kind of entry moves (due, credit, deposit), for a positive amount.
EFFECTS: dict[str, tuple[int, int, int]] = {
    EntryKind.CHARGE: (1, 0, 0),
    EntryKind.PAYMENT: (0, 1, 0),
    EntryKind.ALLOCATION: (-1, -1, 0),
    EntryKind.DISCOUNT: (-1, 0, 0),
    EntryKind.WAIVER: (-1, 0, 0),
    EntryKind.REFUND: (0, -1, 0),
    EntryKind.DEPOSIT_IN: (0, 0, 1),
    EntryKind.DEPOSIT_DEDUCT: (0, 0, -1),
    EntryKind.DEPOSIT_OUT: (0, 0, -1),
}


def account_for_house(house: Any) -> Account:
    account, _created = Account.objects.get_or_create(
        kind=AccountKind.HOUSE, house_id=house.pk, defaults={"community_id": house.community_id}
    )
    return account


def account_for_customer(customer_id: int, community_id: int) -> Account:
    account, _created = Account.objects.get_or_create(
        kind=AccountKind.CUSTOMER, customer_id=customer_id, community_id=community_id
    )
    return account


def lock(account_id: int) -> Account:
    """Lock the account row for the rest of the transaction: writers of one account queue."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("ledger writes must run inside a transaction")
    return Account.objects.select_for_update().get(pk=account_id)


def post(
    account: Account,
    kind: str,
    amount: Decimal,
    *,
    at: dt.datetime,
    actor: Any = None,
    bill: Bill | None = None,
    payment: Any = None,
    reason: str = "",
    approver: Any = None,
) -> Entry:
    """Append one entry and move the account's (and the bill's) cached sums with it."""
    amount = money(amount)
    if amount < 0:
        raise ValueError("entry amounts are positive; the kind gives the direction")
    due, credit, deposit = (sign * amount for sign in EFFECTS[kind])
    entry = Entry.objects.create(
        community_id=account.community_id,
        account=account,
        kind=kind,
        amount=amount,
        due_delta=due,
        credit_delta=credit,
        deposit_delta=deposit,
        bill=bill,
        payment=payment,
        reason=reason[:200],
        actor=_user(actor),
        approver=_user(approver),
        at=at,
    )
    _move(account, due, credit, deposit)
    if bill is not None and kind != EntryKind.CHARGE and due:
        _clear(bill, -due)
    return entry


def reverse(entry: Entry, *, at: dt.datetime, actor: Any, reason: str, approver: Any) -> Entry:
    """Append the entry that undoes `entry`; the original stays as it was."""
    account = entry.account
    reversal = Entry.objects.create(
        community_id=entry.community_id,
        account=account,
        kind=EntryKind.REVERSAL,
        amount=entry.amount,
        due_delta=-entry.due_delta,
        credit_delta=-entry.credit_delta,
        deposit_delta=-entry.deposit_delta,
        bill=entry.bill,
        payment=entry.payment,
        reverses=entry,
        reason=reason[:200],
        actor=_user(actor),
        approver=_user(approver),
        at=at,
    )
    _move(account, reversal.due_delta, reversal.credit_delta, reversal.deposit_delta)
    if entry.bill is not None and reversal.due_delta:
        # A reversed charge clears its bill (the bill is cancelled); a reversed
        # allocation, discount or waiver opens it again.
        _clear(entry.bill, -reversal.due_delta)
    return reversal


def plus(field: str, delta: Any) -> Round:
    """`field + delta` rounded to cents in SQL: SQLite adds decimals as binary floats, so
    0.10 + 0.20 would store 0.30000000000000004 (beyond a 0.30 bill); PostgreSQL is exact."""
    return Round(F(field) + delta, 2)


def _move(account: Account, due: Decimal, credit: Decimal, deposit: Decimal) -> None:
    changes = {
        name: plus(name, delta)
        for name, delta in (("due", due), ("credit", credit), ("deposit", deposit))
        if delta
    }
    if changes:
        Account.objects.filter(pk=account.pk).update(**changes)
    account.due += due
    account.credit += credit
    account.deposit += deposit


def _clear(bill: Bill, amount: Decimal) -> None:
    Bill.objects.filter(pk=bill.pk).update(cleared=plus("cleared", amount))
    bill.cleared += amount


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def open_bills(account: Account, bill_ids: Iterable[int] | None = None) -> list[Bill]:
    """The account's bills with something outstanding, oldest first (or the chosen ones)."""
    bills = Bill.objects.select_for_update().filter(account=account, cleared__lt=F("amount"))
    if bill_ids is not None:
        bills = bills.filter(pk__in=list(bill_ids))
    return list(bills.select_related("fee_item").order_by("due_date", "period_start", "id"))


def prompt_rates(community_id: int) -> dict[int | None, Decimal]:
    """Prompt-payment reward rates by fee item (None: every management fee)."""
    return {
        rule.fee_item_id: rule.rate
        for rule in AdjustmentRule.objects.filter(
            community_id=community_id, kind=AdjustmentKind.PROMPT_PAYMENT, is_active=True
        )
    }


def allocate(
    account: Account,
    *,
    at: dt.datetime,
    actor: Any = None,
    payment: Any = None,
    bill_ids: Iterable[int] | None = None,
    paid_on: dt.date | None = None,
) -> list[Entry]:
    """Use the account's prepayment on its open bills, oldest first; never beyond a bill.

    A bill paid in full by its due date earns the prompt-payment reward where the
    community has one: the reward is a discount entry, the rest an allocation.
    The entries are written together (one insert, one update of the account, one
    update of the bills per distinct new value): the bills are locked and were read
    in this transaction, and a payment spread over a year of bills stays a handful
    of queries.
    """
    planned: list[Entry] = []
    touched: list[Bill] = []
    rates = prompt_rates(account.community_id) if paid_on else {}
    available = account.credit
    for bill in open_bills(account, bill_ids):
        if available <= ZERO:
            break
        outstanding = bill.outstanding
        rate = rates.get(bill.fee_item_id)
        if rate is None and bill.fee_item.kind == "management":
            rate = rates.get(None)
        taken = ZERO
        if rate and paid_on and paid_on <= bill.due_date and bill.cleared == ZERO:
            reward = money(outstanding * rate)
            if reward and available >= outstanding - reward:
                planned.append(
                    _entry(
                        account, EntryKind.DISCOUNT, reward, at, actor, bill, None, "prompt payment"
                    )
                )
                outstanding -= reward
                taken += reward
        share = min(available, outstanding)
        if share > ZERO:
            planned.append(
                _entry(account, EntryKind.ALLOCATION, share, at, actor, bill, payment, "")
            )
            available -= share
            taken += share
        if taken:
            bill.cleared += taken
            touched.append(bill)
    if not planned:
        return []
    entries = Entry.objects.bulk_create(planned)
    _move(
        account,
        sum((e.due_delta for e in entries), ZERO),
        sum((e.credit_delta for e in entries), ZERO),
        ZERO,
    )
    # One UPDATE per distinct new value (bills of one item and month share it), cheaper
    # than bulk_update's CASE; the bills are locked and were read in this transaction.
    by_value: dict[Decimal, list[int]] = {}
    for bill in touched:
        by_value.setdefault(bill.cleared, []).append(bill.pk)
    for value, ids in by_value.items():
        Bill.objects.filter(pk__in=ids).update(cleared=value)
    return entries


def _entry(
    account: Account,
    kind: str,
    amount: Decimal,
    at: dt.datetime,
    actor: Any,
    bill: Bill | None,
    payment: Any,
    reason: str,
) -> Entry:
    """An unsaved entry with the deltas its kind gives (for writing several at once)."""
    amount = money(amount)
    due, credit, deposit = (sign * amount for sign in EFFECTS[kind])
    return Entry(
        community_id=account.community_id,
        account=account,
        kind=kind,
        amount=amount,
        due_delta=due,
        credit_delta=credit,
        deposit_delta=deposit,
        bill=bill,
        payment=payment,
        reason=reason[:200],
        actor=_user(actor),
        at=at,
    )
