"""Check every cached figure against the entries it sums; report each mismatch.

- an account's owed, prepaid and deposit figures equal the sums of its entries' deltas;
- a bill's cleared amount equals what its non-charge entries took off it, and
  its charge entry equals its amount;
- the community copied onto each bill is its house's, and onto each entry its
  account's (those copies carry no database constraint: see the models);
- receipt numbers of each community and year run 1..n without a gap.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Max, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Round

from .models import ZERO, Account, Bill, EntryKind, LedgerEntry, Receipt


@dataclass(frozen=True)
class Mismatch:
    kind: str
    ref: str
    expected: str
    found: str

    def __str__(self) -> str:
        if self.kind.endswith(".community"):
            return f"{self.kind} {self.ref}: community {self.found}, should be {self.expected}"
        return f"{self.kind} {self.ref}: entries say {self.expected}, cached {self.found}"


def _sum(field: str, **match: object) -> Round:
    rows = LedgerEntry.objects.filter(**match).values(next(iter(match)).split("__")[0])
    # Rounded to cents: SQLite sums decimals as binary floats (-2.7e-15 for a zero).
    return Round(Coalesce(Subquery(rows.annotate(s=Sum(field)).values("s")), Value(ZERO)), 2)


def mismatches(community_id: int | None = None) -> Iterator[Mismatch]:
    accounts = Account.objects.all()
    bills = Bill.objects.all()
    receipts = Receipt.objects.all()
    if community_id:
        accounts = accounts.filter(community_id=community_id)
        bills = bills.filter(community_id=community_id)
        receipts = receipts.filter(community_id=community_id)
    accounts = accounts.annotate(
        e_due=_sum("due_delta", account=OuterRef("pk")),
        e_credit=_sum("credit_delta", account=OuterRef("pk")),
        e_deposit=_sum("deposit_delta", account=OuterRef("pk")),
    ).filter(~Q(e_due=F("due")) | ~Q(e_credit=F("credit")) | ~Q(e_deposit=F("deposit")))
    for a in accounts.iterator():
        for name in ("due", "credit", "deposit"):
            expected, found = Decimal(getattr(a, f"e_{name}")), getattr(a, name)
            if expected != found:
                yield Mismatch(f"account.{name}", f"#{a.pk}", str(expected), str(found))
    charge_rows = LedgerEntry.objects.filter(bill=OuterRef("pk"), kind=EntryKind.CHARGE)
    other_rows = LedgerEntry.objects.filter(bill=OuterRef("pk")).exclude(kind=EntryKind.CHARGE)
    bills = bills.annotate(
        charged=Round(
            Coalesce(
                Subquery(charge_rows.values("bill").annotate(s=Sum("amount")).values("s")),
                Value(ZERO),
            ),
            2,
        ),
        taken=Round(
            Coalesce(
                Subquery(other_rows.values("bill").annotate(s=Sum("due_delta")).values("s")),
                Value(ZERO),
            ),
            2,
        ),
    )
    for b in bills.iterator():
        if Decimal(b.charged) != b.amount:
            yield Mismatch("bill.charge", f"#{b.pk}", str(b.charged), str(b.amount))
        if -Decimal(b.taken) != b.cleared:
            yield Mismatch("bill.cleared", f"#{b.pk}", str(-Decimal(b.taken)), str(b.cleared))
    yield from _community_copies(community_id)
    for row in receipts.values("community_id", "year").annotate(n=Count("id"), top=Max("seq")):
        if row["n"] != row["top"]:
            yield Mismatch(
                "receipt.numbers",
                f"community {row['community_id']} {row['year']}",
                f"1..{row['top']}",
                f"{row['n']} numbers",
            )


def _community_copies(community_id: int | None) -> Iterator[Mismatch]:
    """Bills whose community is not their house's, entries whose is not their account's.

    Scoped by the house's or the account's community, so a copy naming the wrong
    community is found when reconciling the right one.
    """
    bills = Bill.objects.exclude(community_id=F("house__community_id"))
    entries = LedgerEntry.objects.exclude(community_id=F("account__community_id"))
    if community_id:
        bills = bills.filter(house__community_id=community_id)
        entries = entries.filter(account__community_id=community_id)
    for pk, copied, right in bills.values_list("pk", "community_id", "house__community_id"):
        yield Mismatch("bill.community", f"#{pk}", str(right), str(copied))
    for pk, copied, right in entries.values_list("pk", "community_id", "account__community_id"):
        yield Mismatch("entry.community", f"#{pk}", str(right), str(copied))
