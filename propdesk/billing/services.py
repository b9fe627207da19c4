"""Billing services: the only writers of fee items, standards, runs, bills, payments and receipts.

Each service checks the actor's capability and scope, validates every field
before it writes (refusing with the field and the reason), and writes inside
one transaction with the account row locked; ledger arithmetic lives in
`ledger`, what a run bills in `runs`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from propdesk.accounts.roles import Cap
from propdesk.accounts.selectors import community_filter, require, user_can
from propdesk.core import validation as v
from propdesk.core.errors import Conflict, ErrorCollector, Forbidden, Invalid, NotFound
from propdesk.core.money import money
from propdesk.core.numbering import number_next
from propdesk.customers.models import Customer
from propdesk.estates.models import House, HouseKind, MeterKind
from propdesk.estates.selectors import community_get_for_user, house_get_for_user

from . import ledger, runs
from .models import (
    ZERO,
    Account,
    AccountKind,
    AdjustmentKind,
    AdjustmentRule,
    Bill,
    BillingRun,
    Channel,
    Cycle,
    EntryKind,
    FeeItem,
    FeeKind,
    LedgerEntry,
    Method,
    Payment,
    PaymentPurpose,
    PriceBasis,
    PriceStandard,
    Receipt,
    RunState,
    Timing,
)

MAX_AMOUNT = Decimal("9999999999.99")
# An argument left out: the value stays as it is.
KEEP: Any = object()


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()


def _amount(errors: ErrorCollector, field: str, value: Any) -> Decimal | None:
    """A positive amount of money with at most two decimals."""
    return v.decimal(
        errors, field, value, places=2, minimum=ZERO, exclusive_minimum=True, maximum=MAX_AMOUNT
    )


# --- fee items, standards, rules -------------------------------------------------


def fee_item_create(
    *,
    actor: Any,
    community_id: int | str,
    code: str,
    name: str,
    kind: str,
    meter_kind: str = "",
    sort: int = 0,
) -> FeeItem:
    require(actor, Cap.BILLING_MANAGE)
    community = community_get_for_user(actor, community_id)
    errors = ErrorCollector()
    code = v.text(errors, "code", code, max_length=32)
    name = v.text(errors, "name", name, max_length=100)
    kind = v.choice(errors, "kind", kind, FeeKind.choices)
    if meter_kind:
        meter_kind = v.choice(errors, "meter_kind", meter_kind, MeterKind.choices)
    elif kind == FeeKind.UTILITY:
        errors.add("meter_kind", _("A utility fee needs the meter it is read from."))
    if code and FeeItem.objects.filter(community=community, code=code).exists():
        errors.add("code", _("This community already has a fee item with this code."))
    errors.raise_if_any()
    return FeeItem.objects.create(
        community=community, code=code, name=name, kind=kind, meter_kind=meter_kind, sort=sort
    )


def price_standard_set(
    *,
    actor: Any,
    fee_item_id: int | str,
    basis: str,
    unit_price: Any,
    valid_from: Any,
    house_kind: str = "",
    approval_ref: str = "",
) -> PriceStandard:
    """A new price from a month on; the standard it replaces ends the day before (R-FEE-1).

    Bills already made keep the price they were made with.
    """
    require(actor, Cap.BILLING_MANAGE)
    item = _fee_item(actor, fee_item_id)
    errors = ErrorCollector()
    basis = v.choice(errors, "basis", basis, PriceBasis.choices)
    price = v.decimal(errors, "unit_price", unit_price, places=4, minimum=ZERO)
    start = v.date(errors, "valid_from", valid_from)
    if house_kind:
        house_kind = v.choice(errors, "house_kind", house_kind, HouseKind.choices)
    if start and start.day != 1:
        errors.add("valid_from", _("A price standard starts on the first day of a month."))
    if basis == PriceBasis.PER_UNIT and item.kind != FeeKind.UTILITY:
        errors.add("basis", _("Only a metered utility is priced per unit of use."))
    if (
        start
        and Bill.objects.filter(fee_item=item, period_end__gte=start, run__isnull=False).exists()
    ):
        errors.add(
            "valid_from",
            _("Bills from this month on are already made; a new price starts after them."),
        )
    errors.raise_if_any()
    assert start is not None
    assert price is not None
    with transaction.atomic():
        same = PriceStandard.objects.select_for_update().filter(
            fee_item=item, house_kind=house_kind
        )
        if same.filter(valid_from=start).exists():
            raise Invalid.field("valid_from", _("A standard already starts in this month."))
        same.filter(valid_from__lt=start, valid_to__isnull=True).update(
            valid_to=start - dt.timedelta(days=1)
        )
        later = same.filter(valid_from__gt=start).order_by("valid_from").first()
        return PriceStandard.objects.create(
            community_id=item.community_id,
            fee_item=item,
            house_kind=house_kind,
            basis=basis,
            unit_price=price,
            valid_from=start,
            valid_to=(later.valid_from - dt.timedelta(days=1)) if later else None,
            approval_ref=approval_ref[:100],
        )


def adjustment_rule_set(
    *,
    actor: Any,
    community_id: int | str,
    kind: str,
    rate: Any,
    is_active: bool = True,
    fee_item_id: int | str | None = None,
    contract_ref: str = "",
    grace_days: Any = KEEP,
    cap: Any = KEEP,
) -> AdjustmentRule:
    """Create or change a community's custody, vacancy, prompt-payment or late-fee rule.

    A late-fee rule is switched on only with its contract clause; `grace_days` and
    `cap` (a share of the bill, empty for none) are late-fee terms, left as they
    are when not given.
    """
    require(actor, Cap.BILLING_MANAGE)
    community = community_get_for_user(actor, community_id)
    errors = ErrorCollector()
    kind = v.choice(errors, "kind", kind, AdjustmentKind.choices)
    value = v.decimal(errors, "rate", rate, places=4, minimum=ZERO, maximum=Decimal(1))
    item = _fee_item(actor, fee_item_id) if fee_item_id else None
    if item and item.community_id != community.pk:
        errors.add("fee_item", _("This fee item belongs to another community."))
    contract_ref = (contract_ref or "").strip()
    if kind == AdjustmentKind.LATE_FEE:
        if is_active and not contract_ref:
            errors.add(
                "contract_ref",
                _(
                    "Contract clause: a late fee can be switched on only with the clause of "
                    "the service contract that allows it."
                ),
            )
        if item and item.kind in (FeeKind.LATE_FEE, FeeKind.DEPOSIT):
            errors.add("fee_item", _("Late fees do not accrue on late fees or deposits."))
    defaults: dict[str, Any] = {
        "rate": value,
        "is_active": is_active,
        "contract_ref": contract_ref[:100],
    }
    if grace_days is not KEEP:
        defaults["grace_days"] = v.integer(
            errors,
            "grace_days",
            grace_days if grace_days not in (None, "") else 0,
            minimum=0,
            maximum=365,
        )
    if cap is not KEEP:
        defaults["cap"] = v.decimal(
            errors, "cap", cap, places=4, minimum=ZERO, maximum=Decimal(100), required=False
        )
    errors.raise_if_any()
    rule, _created = AdjustmentRule.objects.update_or_create(
        community=community, kind=kind, fee_item=item, defaults=defaults
    )
    return rule


def _fee_item(actor: Any, fee_item_id: int | str | None) -> FeeItem:
    try:
        return FeeItem.objects.get(community_filter(actor), pk=int(str(fee_item_id)))
    except (ValueError, FeeItem.DoesNotExist):
        raise NotFound(_("No such fee item.")) from None


# --- billing runs ----------------------------------------------------------------


def _run_items(actor: Any, community_id: int, fee_item_ids: Iterable[Any] | None) -> list[FeeItem]:
    """The recurring items chosen (default: all); the late-fee item only when chosen, alone."""
    items = FeeItem.objects.filter(community_id=community_id, is_active=True).exclude(
        kind__in=runs.NOT_IN_RUNS
    )
    if not fee_item_ids:
        items = items.exclude(kind=FeeKind.LATE_FEE)
    else:
        try:
            wanted = {int(str(i)) for i in fee_item_ids}
        except ValueError:
            raise Invalid.field("fee_items", _("Choose fee items from the list.")) from None
        items = items.filter(pk__in=wanted)
        if items.count() != len(wanted):
            raise Invalid.field("fee_items", _("Choose fee items from the list."))
    chosen = list(items.order_by("sort", "pk"))
    if not chosen:
        raise Invalid.field("fee_items", _("This community has no recurring fee item to bill."))
    if runs.is_late_fee_run(chosen) and len(chosen) > 1:
        raise Invalid.field(
            "fee_items",
            _("Late fees are billed in a run of their own: choose the late-fee item alone."),
        )
    return chosen


def _late_fee_check(
    community_id: int, items: list[FeeItem], period: runs.Period, today: dt.date
) -> None:
    """A late-fee run needs the rule on with its contract clause and a month that is over."""
    if not runs.is_late_fee_run(items):
        return
    from .late_fees import LateFeeRules

    if not LateFeeRules(community_id):
        raise Invalid.field(
            "fee_items",
            _(
                "Late fees are off in this community: switch the late-fee rule on with the "
                "contract clause that allows them first."
            ),
        )
    if period.cycle != Cycle.MONTH:
        raise Invalid.field("period", _("Late fees are billed month by month: enter a month."))
    if period.end >= today:
        raise Invalid.field(
            "period",
            _("Late fees are billed for a month that is over: %(month)s ends on %(end)s.")
            % {"month": period.key, "end": period.end.isoformat()},
        )


def _today(community: Any, now: dt.datetime | None = None) -> dt.date:
    from .reports import community_tz

    return timezone.localtime(_now(now), community_tz(community)).date()


def billing_run_preview(
    *,
    actor: Any,
    community_id: int | str,
    period: str,
    fee_item_ids: Iterable[Any] | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """What a run would bill (writes nothing)."""
    require(actor, Cap.BILLING_MANAGE)
    community = community_get_for_user(actor, community_id)
    parsed = runs.period_parse(period)
    items = _run_items(actor, community.pk, fee_item_ids)
    today = _today(community, now)
    _late_fee_check(community.pk, items, parsed, today)
    return runs.preview(community.pk, parsed, items, as_of=today)


def billing_run_start(
    *,
    actor: Any,
    community_id: int | str,
    period: str,
    fee_item_ids: Iterable[Any] | None = None,
    timing: str = Timing.PREPAID,
    execute: bool = True,
    background: bool = False,
    now: dt.datetime | None = None,
) -> BillingRun:
    """Create a run and bill it now, or queue it for the worker (`background`), or neither.

    In the background the worker bills one chunk per task, so the run's progress
    commits as it goes and a web request never waits for a big community.
    """
    require(actor, Cap.BILLING_MANAGE)
    community = community_get_for_user(actor, community_id)
    errors = ErrorCollector()
    timing = v.choice(errors, "timing", timing, Timing.choices)
    errors.raise_if_any()
    parsed = runs.period_parse(period)
    items = _run_items(actor, community.pk, fee_item_ids)
    _late_fee_check(community.pk, items, parsed, _today(community, now))
    if BillingRun.objects.filter(community=community, state=RunState.RUNNING).exists():
        raise Conflict(_("A billing run of this community is still running; resume it or wait."))
    with transaction.atomic():
        run = BillingRun.objects.create(
            community=community,
            period=parsed.key,
            cycle=parsed.cycle,
            timing=timing,
            period_start=parsed.start,
            period_end=parsed.end,
            fee_item_ids=[i.pk for i in items],
            started_by=actor if getattr(actor, "pk", None) else None,
            started_at=_now(now),
            houses_total=House.objects.filter(community=community).count(),
        )
        if background:
            _run_enqueue(run)
    if execute and not background:
        billing_run_execute(run)
    return run


def _run_enqueue(run: BillingRun, *, resume: bool = False) -> None:
    """Queue the run's next chunk for the worker, in the caller's transaction."""
    from .background import run_enqueue

    run_enqueue(run, resume=resume)


def billing_run_execute(run: BillingRun, **options: Any) -> BillingRun:
    """Bill (or resume) a run; a failure leaves it resumable and records the error."""
    try:
        return runs.execute(run, **options)
    except Exception as exc:
        BillingRun.objects.filter(pk=run.pk).update(state=RunState.FAILED, error=str(exc)[:2000])
        run.state = RunState.FAILED
        raise


def billing_run_resume(*, actor: Any, run_id: int | str, background: bool = False) -> BillingRun:
    """Carry on a stopped run from its cursor: now, or queued for the worker (`background`)."""
    require(actor, Cap.BILLING_MANAGE)
    run = _run(actor, run_id)
    if run.state == RunState.DONE:
        raise Conflict(_("This billing run is finished."))
    if background:
        with transaction.atomic():
            BillingRun.objects.filter(pk=run.pk).update(state=RunState.RUNNING, error="")
            _run_enqueue(run, resume=True)
        run.refresh_from_db()
        return run
    return billing_run_execute(run)


def _run(actor: Any, run_id: int | str) -> BillingRun:
    try:
        return BillingRun.objects.get(community_filter(actor), pk=int(str(run_id)))
    except (ValueError, BillingRun.DoesNotExist):
        raise NotFound(_("No such billing run.")) from None


# --- one-off charges --------------------------------------------------------------


def charge_post(
    *,
    actor: Any,
    house_id: int | str,
    fee_item_id: int | str,
    amount: Any,
    reference: str,
    note: str = "",
    due: dt.date | None = None,
    now: dt.datetime | None = None,
) -> Bill:
    """A one-off bill (debris removal, a paid repair): unique per house, item and reference."""
    require(actor, Cap.BILLING_COLLECT)
    house = house_get_for_user(actor, house_id)
    item = _fee_item(actor, fee_item_id)
    errors = ErrorCollector()
    value = _amount(errors, "amount", amount)
    reference = v.text(errors, "reference", reference, max_length=40)
    if item.community_id != house.community_id:
        errors.add("fee_item", _("This fee item belongs to another community."))
    if item.kind == FeeKind.DEPOSIT:
        errors.add("fee_item", _("A deposit is taken as a deposit, not billed."))
    errors.raise_if_any()
    assert value is not None
    return _charge(house, item, value, reference, note, due, actor, _now(now))


def _charge(
    house: House,
    item: FeeItem,
    amount: Decimal,
    reference: str,
    note: str,
    due: dt.date | None,
    actor: Any,
    now: dt.datetime,
) -> Bill:
    today = timezone.localdate(now)
    with transaction.atomic():
        account = ledger.lock(ledger.account_for_house(house).pk)
        if Bill.objects.filter(house=house, fee_item=item, period=reference).exists():
            raise Conflict(_("This charge is already billed."))
        bill = Bill.objects.create(
            community_id=house.community_id,
            house=house,
            account=account,
            fee_item=item,
            period=reference,
            period_start=today,
            period_end=today,
            due_date=due or today,
            quantity=Decimal(1),
            unit_price=amount,
            gross=amount,
            amount=amount,
            note=note[:200],
            source=reference,
            created_at=now,
        )
        ledger.post(account, EntryKind.CHARGE, amount, at=now, actor=actor, bill=bill)
        if account.credit > ZERO:
            ledger.allocate(account, at=now, actor=actor)
    return bill


def charge_requests_post(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Bill the service desk's pending charge requests (paid repairs, paid services), once each."""
    from propdesk.servicedesk.models import ChargeRequest, ChargeState

    now = _now(now)
    posted = 0
    pending = ChargeRequest.objects.filter(state=ChargeState.PENDING, house__isnull=False)
    for request_id in pending.values_list("pk", flat=True)[:limit]:
        with transaction.atomic():
            request = (
                ChargeRequest.objects.select_for_update(of=("self",))
                .select_related("house", "case")
                .get(pk=request_id)
            )
            if request.state != ChargeState.PENDING:
                continue
            item = _service_item(request.community_id)
            assert request.house is not None
            bill = _charge(
                request.house,
                item,
                money(request.amount),
                f"{request.case.number}#{request.pk}",
                request.description,
                None,
                None,
                now,
            )
            request.state = ChargeState.POSTED
            request.posted_at = now
            request.billing_ref = f"bill:{bill.pk}"
            request.save(update_fields=["state", "posted_at", "billing_ref"])
            posted += 1
    return posted


def _service_item(community_id: int) -> FeeItem:
    item, _created = FeeItem.objects.get_or_create(
        community_id=community_id,
        code="service",
        defaults={"name": "有偿服务", "kind": FeeKind.SERVICE, "sort": 90},
    )
    return item


# --- payments and receipts ----------------------------------------------------------


def _hash(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def payment_post(
    *,
    actor: Any,
    house_id: int | str,
    amount: Any,
    method: str,
    idempotency_key: str,
    channel: str = Channel.DESK,
    external_ref: str = "",
    payer_name: str = "",
    bill_ids: Iterable[Any] | None = None,
    now: dt.datetime | None = None,
) -> tuple[Payment, bool]:
    """Take a payment for a house, allocate it and issue its receipt (R-FEE-2).

    Returns (payment, replayed): the same idempotency key with the same request
    returns the payment it already posted; with a different request it is refused.
    """
    require(actor, Cap.BILLING_COLLECT)
    errors = ErrorCollector()
    key = v.text(errors, "idempotency_key", idempotency_key, max_length=80)
    value = _amount(errors, "amount", amount)
    method = v.choice(errors, "method", method, Method.choices)
    channel = v.choice(errors, "channel", channel, Channel.choices)
    external_ref = v.text(errors, "external_ref", external_ref, max_length=64, required=False)
    if (
        method in {Method.CARD, Method.TRANSFER, Method.WECHAT, Method.ALIPAY, Method.GATEWAY}
        and not external_ref
    ):
        errors.add("external_ref", _("Record the transaction number of this payment."))
    chosen: list[int] | None = None
    if bill_ids:
        try:
            chosen = sorted({int(str(b)) for b in bill_ids})
        except ValueError:
            errors.add("bill_ids", _("Choose bills from the list."))
    errors.raise_if_any()
    assert value is not None
    house = house_get_for_user(actor, house_id)
    body = {
        "house": house.pk,
        "amount": str(value),
        "method": method,
        "channel": channel,
        "external_ref": external_ref,
        "bills": chosen,
        "purpose": PaymentPurpose.BILLS,
    }
    digest = _hash(body)
    if replay := _replay(key, digest):
        return replay, True
    now = _now(now)
    try:
        with transaction.atomic():
            account = ledger.lock(ledger.account_for_house(house).pk)
            if chosen is not None:
                open_ids = {b.pk for b in ledger.open_bills(account, chosen)}
                if open_ids != set(chosen):
                    raise Invalid.field(
                        "bill_ids",
                        _("Choose open bills of this house; one is paid or not its own."),
                    )
            payment = Payment.objects.create(
                community_id=house.community_id,
                account=account,
                house=house,
                amount=value,
                method=method,
                channel=channel,
                external_ref=external_ref,
                payer_name=payer_name[:100],
                idempotency_key=key,
                request_hash=digest,
                received_by=actor if getattr(actor, "pk", None) else None,
                received_at=now,
            )
            ledger.post(account, EntryKind.PAYMENT, value, at=now, actor=actor, payment=payment)
            ledger.allocate(
                account,
                at=now,
                actor=actor,
                payment=payment,
                bill_ids=chosen,
                paid_on=timezone.localdate(now),
            )
            if chosen is not None and account.credit > ZERO:
                # What the chosen bills did not take stays as prepayment for the oldest others.
                ledger.allocate(account, at=now, actor=actor, payment=payment)
            _receipt(payment, now)
    except IntegrityError:
        # A concurrent request with the same key committed first.
        if replay := _replay(key, digest):
            return replay, True
        raise
    return payment, False


def _replay(key: str, digest: str) -> Payment | None:
    existing = Payment.objects.filter(idempotency_key=key).first()
    if existing is None:
        return None
    if existing.request_hash != digest:
        raise Conflict(
            _("This idempotency key was used for a different payment."),
            code="idempotency_mismatch",
        )
    return existing


def _receipt(payment: Payment, now: dt.datetime) -> Receipt:
    year = timezone.localtime(now).year
    seq = number_next(scope=f"community:{payment.community_id}", series="receipt", year=year)
    return Receipt.objects.create(
        community_id=payment.community_id,
        payment=payment,
        year=year,
        seq=seq,
        number=f"SJ{year % 100:02d}-{seq:06d}",
        amount=payment.amount,
        issued_at=now,
    )


def receipt_print(*, actor: Any, receipt_id: int | str) -> tuple[Receipt, bool]:
    """Count a print; returns (receipt, is_copy): every print after the first is a copy."""
    require(actor, Cap.BILLING_VIEW)
    with transaction.atomic():
        try:
            receipt = Receipt.objects.select_for_update().get(
                community_filter(actor), pk=int(str(receipt_id))
            )
        except (ValueError, Receipt.DoesNotExist):
            raise NotFound(_("No such receipt.")) from None
        is_copy = receipt.print_count > 0
        receipt.print_count += 1
        receipt.save(update_fields=["print_count"])
    return receipt, is_copy


def _approver(actor: Any, approver: Any, community_id: int) -> Any:
    """A correction needs a second person who may approve it (four eyes)."""
    from propdesk.accounts.selectors import community_ids_for

    if approver is None:
        raise Invalid.field("approver", _("A correction needs an approver."))
    if getattr(approver, "pk", None) == getattr(actor, "pk", None):
        raise Invalid.field("approver", _("The approver must be someone other than you."))
    if not user_can(approver, Cap.BILLING_APPROVE) or community_id not in community_ids_for(
        approver
    ):
        raise Invalid.field("approver", _("The approver may not approve billing corrections here."))
    return approver


def payment_void(
    *,
    actor: Any,
    payment_id: int | str,
    reason: str,
    approver: Any,
    now: dt.datetime | None = None,
) -> Payment:
    """Undo a payment by reversing entries; its receipt is marked void, its number kept."""
    require(actor, Cap.BILLING_COLLECT)
    payment = _payment(actor, payment_id)
    errors = ErrorCollector()
    reason = v.text(errors, "reason", reason, max_length=200)
    errors.raise_if_any()
    _approver(actor, approver, payment.community_id)
    now = _now(now)
    with transaction.atomic():
        account = ledger.lock(payment.account_id)
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.voided_at:
            raise Conflict(_("This payment is already void."))
        live = LedgerEntry.objects.filter(payment=payment, reversed_by__isnull=True).exclude(
            kind=EntryKind.REVERSAL
        )
        for entry in live.filter(kind=EntryKind.ALLOCATION).select_related("bill", "account"):
            entry.account = account
            ledger.reverse(entry, at=now, actor=actor, reason=reason, approver=approver)
        money_entry = live.get(kind__in=[EntryKind.PAYMENT, EntryKind.DEPOSIT_IN])
        if account.credit < money_entry.credit_delta or account.deposit < money_entry.deposit_delta:
            raise Conflict(
                _(
                    "Part of this payment has already paid later bills or been refunded; "
                    "reverse those first."
                )
            )
        money_entry.account = account
        ledger.reverse(money_entry, at=now, actor=actor, reason=reason, approver=approver)
        payment.voided_at = now
        payment.save(update_fields=["voided_at"])
        Receipt.objects.filter(payment=payment).update(voided_at=now, void_reason=reason)
    return payment


def _payment(actor: Any, payment_id: int | str) -> Payment:
    try:
        return Payment.objects.get(community_filter(actor), pk=int(str(payment_id)))
    except (ValueError, Payment.DoesNotExist):
        raise NotFound(_("No such payment.")) from None


def _bill(actor: Any, bill_id: int | str) -> Bill:
    try:
        return Bill.objects.select_related("fee_item").get(
            community_filter(actor), pk=int(str(bill_id))
        )
    except (ValueError, Bill.DoesNotExist):
        raise NotFound(_("No such bill.")) from None


def bill_waive(
    *,
    actor: Any,
    bill_id: int | str,
    amount: Any,
    reason: str,
    approver: Any,
    kind: str = EntryKind.WAIVER,
    now: dt.datetime | None = None,
) -> LedgerEntry:
    """Waive or discount part of a bill, with a reason and an approver; never beyond what is owed."""
    require(actor, Cap.BILLING_COLLECT)
    bill = _bill(actor, bill_id)
    errors = ErrorCollector()
    value = _amount(errors, "amount", amount)
    reason = v.text(errors, "reason", reason, max_length=200)
    if kind not in {EntryKind.WAIVER, EntryKind.DISCOUNT}:
        errors.add("kind", _("Choose waiver or discount."))
    errors.raise_if_any()
    assert value is not None
    _approver(actor, approver, bill.community_id)
    with transaction.atomic():
        account = ledger.lock(bill.account_id)
        bill = Bill.objects.select_for_update().get(pk=bill.pk)
        if value > bill.outstanding:
            raise Invalid.field(
                "amount",
                _("At most %(max)s is outstanding on this bill.") % {"max": bill.outstanding},
            )
        return ledger.post(
            account,
            kind,
            value,
            at=_now(now),
            actor=actor,
            bill=bill,
            reason=reason,
            approver=approver,
        )


def bill_cancel(
    *, actor: Any, bill_id: int | str, reason: str, approver: Any, now: dt.datetime | None = None
) -> LedgerEntry:
    """Reverse a bill made in error; refused while anything has been paid on it."""
    require(actor, Cap.BILLING_MANAGE)
    bill = _bill(actor, bill_id)
    errors = ErrorCollector()
    reason = v.text(errors, "reason", reason, max_length=200)
    errors.raise_if_any()
    _approver(actor, approver, bill.community_id)
    with transaction.atomic():
        account = ledger.lock(bill.account_id)
        bill = Bill.objects.select_for_update().get(pk=bill.pk)
        if bill.cleared:
            raise Conflict(_("Something has been paid or waived on this bill; reverse that first."))
        charge = LedgerEntry.objects.select_related("bill").get(bill=bill, kind=EntryKind.CHARGE)
        if hasattr(charge, "reversed_by"):
            raise Conflict(_("This bill is already cancelled."))
        charge.account = account
        charge.bill = bill
        return ledger.reverse(charge, at=_now(now), actor=actor, reason=reason, approver=approver)


def refund_post(
    *,
    actor: Any,
    house_id: int | str,
    amount: Any,
    reason: str,
    approver: Any,
    now: dt.datetime | None = None,
) -> LedgerEntry:
    """Pay back prepayment; never more than the house has paid in advance."""
    require(actor, Cap.BILLING_COLLECT)
    house = house_get_for_user(actor, house_id)
    errors = ErrorCollector()
    value = _amount(errors, "amount", amount)
    reason = v.text(errors, "reason", reason, max_length=200)
    errors.raise_if_any()
    assert value is not None
    _approver(actor, approver, house.community_id)
    with transaction.atomic():
        account = ledger.lock(ledger.account_for_house(house).pk)
        if value > account.credit:
            raise Invalid.field(
                "amount",
                _("A refund cannot exceed the prepayment held: %(max)s.") % {"max": account.credit},
            )
        return ledger.post(
            account,
            EntryKind.REFUND,
            value,
            at=_now(now),
            actor=actor,
            reason=reason,
            approver=approver,
        )


# --- deposits (the interface renovation uses: R-REN-3, R-REN-7) ---------------------


def deposit_take(
    *,
    actor: Any,
    house_id: int | str,
    customer_id: int | str,
    amount: Any,
    method: str,
    idempotency_key: str,
    external_ref: str = "",
    reference: str = "",
    now: dt.datetime | None = None,
) -> tuple[Payment, bool]:
    """Take a deposit exactly as agreed; it is held for the customer (a liability), with a receipt."""
    require(actor, Cap.BILLING_COLLECT)
    errors = ErrorCollector()
    key = v.text(errors, "idempotency_key", idempotency_key, max_length=80)
    value = _amount(errors, "amount", amount)
    method = v.choice(errors, "method", method, Method.choices)
    errors.raise_if_any()
    assert value is not None
    house = house_get_for_user(actor, house_id)
    customer = _customer(customer_id)
    body = {
        "house": house.pk,
        "customer": customer.pk,
        "amount": str(value),
        "method": method,
        "external_ref": external_ref,
        "purpose": PaymentPurpose.DEPOSIT,
        "reference": reference,
    }
    digest = _hash(body)
    if replay := _replay(key, digest):
        return replay, True
    now = _now(now)
    try:
        with transaction.atomic():
            account = ledger.lock(ledger.account_for_customer(customer.pk, house.community_id).pk)
            payment = Payment.objects.create(
                community_id=house.community_id,
                account=account,
                house=house,
                purpose=PaymentPurpose.DEPOSIT,
                amount=value,
                method=method,
                channel=Channel.DESK,
                external_ref=external_ref[:64],
                payer_name=customer.name[:100],
                idempotency_key=key,
                request_hash=digest,
                received_by=actor if getattr(actor, "pk", None) else None,
                received_at=now,
            )
            ledger.post(
                account,
                EntryKind.DEPOSIT_IN,
                value,
                at=now,
                actor=actor,
                payment=payment,
                reason=reference,
            )
            _receipt(payment, now)
    except IntegrityError:
        if replay := _replay(key, digest):
            return replay, True
        raise
    return payment, False


def deposit_settle(
    *,
    actor: Any,
    customer_id: int | str,
    community_id: int | str,
    deductions: Iterable[tuple[Any, str]] = (),
    refund: Any = None,
    approver: Any = None,
    now: dt.datetime | None = None,
) -> list[LedgerEntry]:
    """Deduct what was recorded, then refund the rest (or `refund` of it) (R-REN-7)."""
    require(actor, Cap.BILLING_COLLECT)
    community = community_get_for_user(actor, community_id)
    customer = _customer(customer_id)
    errors = ErrorCollector()
    lines: list[tuple[Decimal, str]] = []
    for n, (amount, reason) in enumerate(deductions):
        value = _amount(errors, f"deductions.{n}.amount", amount)
        why = v.text(errors, f"deductions.{n}.reason", reason, max_length=200)
        if value is not None:
            lines.append((value, why))
    give_back = _amount(errors, "refund", refund) if refund not in (None, "") else None
    errors.raise_if_any()
    if give_back is not None or lines:
        _approver(actor, approver, community.pk)
    now = _now(now)
    with transaction.atomic():
        account = ledger.lock(ledger.account_for_customer(customer.pk, community.pk).pk)
        held = account.deposit
        deducted = sum((amount for amount, _w in lines), ZERO)
        if deducted > held:
            raise Invalid.field(
                "deductions", _("Deductions exceed the deposit held: %(max)s.") % {"max": held}
            )
        rest = held - deducted if give_back is None else give_back
        if rest > held - deducted:
            raise Invalid.field(
                "refund",
                _("A refund cannot exceed the deposit left: %(max)s.") % {"max": held - deducted},
            )
        entries = [
            ledger.post(
                account,
                EntryKind.DEPOSIT_DEDUCT,
                amount,
                at=now,
                actor=actor,
                reason=why,
                approver=approver,
            )
            for amount, why in lines
        ]
        if rest > ZERO:
            entries.append(
                ledger.post(
                    account,
                    EntryKind.DEPOSIT_OUT,
                    rest,
                    at=now,
                    actor=actor,
                    reason=_("deposit refunded"),
                    approver=approver,
                )
            )
    return entries


def _customer(customer_id: int | str) -> Customer:
    try:
        return Customer.objects.get(pk=int(str(customer_id)))
    except (ValueError, Customer.DoesNotExist):
        raise Invalid.field("customer", _("No such customer.")) from None


def ensure_not_forbidden(actor: Any, account: Account) -> None:
    """Refuse access to an account outside the actor's communities."""
    from propdesk.accounts.selectors import community_ids_for

    if account.community_id not in community_ids_for(actor):
        raise Forbidden(_("This account belongs to a community you do not serve."))


__all__ = [
    "AccountKind",
    "adjustment_rule_set",
    "bill_cancel",
    "bill_waive",
    "billing_run_execute",
    "billing_run_preview",
    "billing_run_resume",
    "billing_run_start",
    "charge_post",
    "charge_requests_post",
    "deposit_settle",
    "deposit_take",
    "fee_item_create",
    "payment_post",
    "payment_void",
    "price_standard_set",
    "receipt_print",
    "refund_post",
]
