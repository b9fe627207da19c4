"""Demo data of billing: fee standards, fourteen months of bills, payments, deposits.

Everything goes through the billing services, month by month with `now=` in the
past, so bills, ledger entries, allocations, receipts (gapless per community and
year) and balances are what the cashiers would have produced by hand:

- every demo community gets the starting fee items, standards and rules
  (`seeds.seed_community`; custody houses pay 70%, R-CST-4);
- a monthly billing run for each of the last 14 months (prepaid: due on the 1st);
- households pay in different ways: most every few months (what they owe at the
  time), some a year in advance (their prepayment pays the following runs' bills),
  some stopped paying 1 to 13 months ago and some never paid, so every arrears
  bucket (1–3, 4–6, 7–12, > 12 months) has houses, custody houses among them;
- a few payments came online through the (fake) payment gateway's signed notices;
- renovation deposits taken, two settled with deductions (R-REN-3/7);
- the service desk's paid repairs and services billed (`charge_requests_post`).

The dunning ladder's daily run is left to the worker that `propdesk serve` starts
(its first pass runs the sweep), so the collectors' worklist fills as soon as the
demo is served; running it here would add a quarter to the demo's load time.

A billing run stamps its charges with the time it runs; the demo moves the entries
each run wrote to the day the run stands for, so statements read as history.
"""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal
from typing import Any

from django.db.models import Max

from propdesk.core.money import money
from propdesk.customers.models import Occupancy
from propdesk.estates.models import House, HouseStatus

from . import gateway, services
from .models import Account, AccountKind, Bill, BillingRun, LedgerEntry, Method
from .seeds import seed_community

MONTHS = 14
# (profile, weight): how a household pays.
PROFILES = (
    ("regular", 52),  # every six months or once a year, what it owes then
    ("prepay", 6),  # a year (or half a year) in advance, then again
    ("stopped", 30),  # paid until 1–13 months ago
    ("never", 12),  # never paid (owes all 14 months)
)
METHODS = (
    (Method.WECHAT, 38),
    (Method.CASH, 25),
    (Method.ALIPAY, 20),
    (Method.CARD, 10),
    (Method.TRANSFER, 7),
)


def _months(today: dt.date) -> list[dt.date]:
    """First days of the last MONTHS months, oldest first, this month last."""
    out = []
    year, month = today.year, today.month
    for _ in range(MONTHS):
        out.append(dt.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]


def _at(ctx: Any, day: dt.date, hour: int = 9, minute: int = 0) -> dt.datetime:
    moment = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=ctx.main.tzinfo)
    latest: dt.datetime = ctx.now - dt.timedelta(minutes=5)
    return min(moment, latest)


def _pick(rng: Any, weighted: tuple[tuple[str, int], ...]) -> str:
    return str(rng.choices([v for v, _w in weighted], [w for _v, w in weighted])[0])


def _ref(rng: Any, method: str, day: dt.date) -> str:
    if method == Method.CASH:
        return ""
    prefix: dict[str, str] = {
        Method.WECHAT: "4200",
        Method.ALIPAY: f"{day:%Y%m%d}",
        Method.CARD: "6222",
    }
    digits = "".join(str(rng.randrange(10)) for _ in range(20))
    return prefix.get(method, "ZZ") + digits


class _Cashier:
    """Takes the demo's payments through `services.payment_post`, counting them."""

    def __init__(self, ctx: Any, community: Any, actor: Any) -> None:
        self.ctx = ctx
        self.community = community
        self.actor = actor
        self.count = 0
        self.payers = dict(
            Occupancy.objects.filter(
                community=community, is_primary_contact=True, end_date__isnull=True
            ).values_list("house_id", "customer__name")
        )

    def owed(self, house_id: int) -> Decimal:
        account = Account.objects.filter(kind=AccountKind.HOUSE, house_id=house_id).first()
        return account.balance if account else Decimal(0)

    def pay(self, house_id: int, amount: Decimal, day: dt.date) -> None:
        amount = money(amount)
        if amount <= 0:
            return
        rng = self.ctx.rng
        method = _pick(rng, METHODS)
        self.count += 1
        services.payment_post(
            actor=self.actor,
            house_id=house_id,
            amount=amount,
            method=method,
            external_ref=_ref(rng, method, day),
            payer_name=self.payers.get(house_id, ""),
            idempotency_key=f"demo:{self.community.code}:{self.count}",
            now=_at(self.ctx, day, rng.randint(9, 17), rng.randint(0, 59)),
        )


def _run(ctx: Any, community: Any, actor: Any, month: dt.date) -> None:
    """Bill one month; its entries are moved to the morning of the month's first day."""
    first_entry = LedgerEntry.objects.aggregate(m=Max("id"))["m"] or 0
    at = _at(ctx, month, 8)
    run = services.billing_run_start(
        actor=actor, community_id=community.pk, period=f"{month:%Y-%m}", now=at
    )
    LedgerEntry.objects.filter(id__gt=first_entry).update(at=at)
    Bill.objects.filter(run=run).update(created_at=at)
    BillingRun.objects.filter(pk=run.pk).update(finished_at=at + dt.timedelta(minutes=3))


def _bill_community(ctx: Any, community: Any, actor: Any, cashier_user: Any, share: float) -> int:
    """Fourteen months of runs and payments of one community; returns the payments taken."""
    rng = ctx.rng
    months = _months(ctx.today)
    houses = list(
        House.objects.filter(community=community)
        .exclude(status=HouseStatus.UNSOLD)
        .order_by("id")
        .values_list("id", "status")
    )
    plans: dict[int, tuple[str, int]] = {}
    for house_id, _status in houses:
        if rng.random() > share:
            continue
        profile = _pick(rng, PROFILES)
        if profile == "regular":
            # Half-yearly or yearly, as many households pay their property fees.
            plans[house_id] = (profile, rng.choice([6, 12, 12]))
        elif profile == "stopped":
            # Last paid k months ago: k = 1..13 so every arrears bucket has houses.
            plans[house_id] = (profile, rng.choice([1, 1, 2, 2, 3, 4, 5, 6, 7, 8, 10, 12, 13]))
        else:
            plans[house_id] = (profile, 0)
    cashier = _Cashier(ctx, community, cashier_user)
    for index, month in enumerate(months):
        _run(ctx, community, actor, month)
        months_left = len(months) - index  # this month included
        for house_id, (profile, every) in plans.items():
            day = month + dt.timedelta(days=rng.randint(2, 24))
            if day >= ctx.today:
                day = ctx.today
            # A third of the regular payers have paid this month already.
            up_to_date = months_left == 1 and house_id % 3 == 0
            if profile == "regular" and ((index + house_id) % every == 0 or up_to_date):
                cashier.pay(house_id, cashier.owed(house_id), day)
            elif profile == "stopped" and months_left == every + 1:
                cashier.pay(house_id, cashier.owed(house_id), day)  # the last time it paid
            elif profile == "prepay" and index in (0, 12 if house_id % 2 else 6):
                # A year (or half a year) ahead: what is owed plus the months to come.
                monthly = (
                    Bill.objects.filter(house_id=house_id, period=f"{month:%Y-%m}").aggregate(
                        m=Max("amount")
                    )["m"]
                    or Decimal(0)
                ) + Decimal("10.00")
                ahead = 12 if index == 0 else 6
                cashier.pay(house_id, cashier.owed(house_id) + monthly * ahead, day)
    return cashier.count


def _online_payments(ctx: Any, community: Any, cashier: Any, n: int) -> int:
    """Payments that came in through the payment gateway's signed notices (fake gateway)."""
    fake = gateway.adapter("fake")
    if not isinstance(fake, gateway.FakeGateway):
        return 0
    owing: list[int] = [
        a.house_id
        for a in Account.objects.filter(community=community, kind=AccountKind.HOUSE, due__gt=0)
        .order_by("-due")
        .only("house_id")[: n * 3]
        if a.house_id is not None
    ][::3]
    posted = 0
    for house_id in owing[:n]:
        amount = Account.objects.get(house_id=house_id).balance
        if amount <= 0:
            continue
        no = gateway.trade_no_make(house_id, cashier.pk)
        headers, body = fake.notice_for(no, amount)
        result = gateway.notice_post(provider="fake", headers=headers, body=body, now=ctx.now)
        posted += result.payment is not None
    return posted


def _deposits(ctx: Any, community: Any, cashier: Any, director: Any) -> int:
    homes = list(
        Occupancy.objects.filter(
            community=community,
            is_primary_contact=True,
            end_date__isnull=True,
            house__status=HouseStatus.RENOVATING,
        )
        .order_by("house_id")
        .values_list("house_id", "customer_id")[:6]
    )
    for n, (house_id, customer_id) in enumerate(homes):
        services.deposit_take(
            actor=cashier,
            house_id=house_id,
            customer_id=customer_id,
            amount=Decimal("3000.00") if n % 3 else Decimal("5000.00"),
            method=Method.TRANSFER if n % 2 else Method.CASH,
            external_ref=f"ZZ{20260000 + n}" if n % 2 else "",
            idempotency_key=f"demo:deposit:{house_id}",
            reference=f"装修保证金 ZX{ctx.today:%y}-{n + 1:03d}",
            now=ctx.now - dt.timedelta(days=90 - 10 * n),
        )
    for n, (_house_id, customer_id) in enumerate(homes[:2]):
        services.deposit_settle(
            actor=cashier,
            customer_id=customer_id,
            community_id=community.pk,
            deductions=[("200.00", "损坏电梯轿厢保护板")] if n == 0 else [],
            approver=director,
            now=ctx.now - dt.timedelta(days=5),
        )
    return len(homes)


def build(ctx: Any) -> None:
    started = time.monotonic()
    staff = ctx.staff
    director, cashier, admin = staff["director"], staff["cashier"], staff["admin"]
    for community in ctx.communities:
        seed_community(community.pk)
    paid = _bill_community(ctx, ctx.main, director, cashier, share=1.0)
    for community in ctx.communities[1:]:
        paid += _bill_community(ctx, community, admin, admin, share=1.0)
    online = _online_payments(ctx, ctx.main, cashier, max(3, int(12 * ctx.scale)))
    deposits = _deposits(ctx, ctx.main, cashier, director)
    charges = services.charge_requests_post(now=ctx.now)
    bills = Bill.objects.filter(community__in=ctx.communities).count()
    ctx.say(
        f"billing: {MONTHS} monthly runs, {bills} bills, {paid} payments at the desk, "
        f"{online} online, {deposits} deposits, {charges} paid services billed "
        f"({time.monotonic() - started:.0f} s)"
    )
