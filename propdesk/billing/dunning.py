"""The dunning ladder (催缴, R-FEE-3/4/5): cases, steps, contacts, payment plans, letters.

The daily run (`dunning_run`) is the only place cases are opened, closed,
suspended and resumed on their own; collectors act through the services below
(log a contact, start or stop a payment plan, issue and send a letter, mark a
case for legal collection). A case's next step and its due date are stored,
set when the previous step is done, so the worklist is one indexed query.

The case's states and the actions allowed from each are one table
(`TRANSITIONS`); every transition appends a `DunningEvent`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, Exists, F, Min, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from propdesk.accounts.roles import Cap
from propdesk.accounts.selectors import community_filter, require
from propdesk.core import validation as v
from propdesk.core.errors import Conflict, ErrorCollector, Invalid, NotFound
from propdesk.core.numbering import number_next
from propdesk.estates.models import Community, House
from propdesk.estates.selectors import community_get_for_user, house_get_for_user

from . import ledger
from .models import (
    ZERO,
    Account,
    Bill,
    CaseState,
    CollectionPolicy,
    ContactAnswer,
    ContactHow,
    ContactLog,
    DunningAction,
    DunningCase,
    DunningEvent,
    DunningLetter,
    DunningRunLog,
    DunningStep,
    Payment,
    PaymentPlan,
    PaymentPurpose,
    PlanState,
    SuspendReason,
)

MAX_AMOUNT = Decimal("9999999999.99")
# What a reminder asks: pay within this many days.
PAY_WITHIN_DAYS = 15

# (state, action) -> the state it leads to. The console shows only the actions allowed here.
TRANSITIONS: dict[tuple[str, str], str] = {
    ("", "open"): CaseState.ACTIVE,
    (CaseState.ACTIVE, "step_done"): CaseState.ACTIVE,
    (CaseState.ACTIVE, "step_skipped"): CaseState.ACTIVE,
    (CaseState.ACTIVE, "suspend"): CaseState.SUSPENDED,
    (CaseState.SUSPENDED, "resume"): CaseState.ACTIVE,
    (CaseState.ACTIVE, "legal"): CaseState.LEGAL,
    (CaseState.ACTIVE, "close"): CaseState.CLOSED,
    (CaseState.SUSPENDED, "close"): CaseState.CLOSED,
    (CaseState.LEGAL, "close"): CaseState.CLOSED,
}

# What a collector's contact completes: a phone call or an SMS is the reminder, a visit the visit.
COMPLETES: dict[str, str] = {
    ContactHow.PHONE: DunningAction.REMINDER,
    ContactHow.SMS: DunningAction.REMINDER,
    ContactHow.VISIT: DunningAction.VISIT,
}

# The ladder every community starts with (R-FEE-3/4/5): order, action, wait, counted from,
# minimum overdue, optional, automatic SMS.
DEFAULT_LADDER: list[tuple[int, str, int, int | None, str, bool, bool]] = [
    (1, DunningAction.REMINDER, 15, None, "0.01", False, True),
    (2, DunningAction.VISIT, 30, None, "0.01", True, False),
    # R-FEE-4: the letter goes to those still unpaid 3 months after the phone reminder.
    (3, DunningAction.LETTER, 90, 1, "0.01", False, False),
    (4, DunningAction.LEGAL, 90, None, "1000.00", False, False),
]


def allowed_actions(state: str) -> list[str]:
    return [action for (from_state, action) in TRANSITIONS if from_state == state]


def _transition(case: DunningCase, action: str) -> str:
    to = TRANSITIONS.get((case.state, action))
    if to is None:
        raise Conflict(
            _("A dunning case that is “%(state)s” cannot do this.")
            % {"state": case.get_state_display()},
            details={"allowed": allowed_actions(case.state)},
        )
    return to


def _event(
    case: DunningCase,
    action: str,
    from_state: str,
    *,
    on: dt.date,
    at: dt.datetime,
    actor: Any = None,
    step: DunningStep | None = None,
    note: str = "",
) -> DunningEvent:
    return DunningEvent(
        case=case,
        action=action,
        from_state=from_state,
        to_state=case.state,
        step=step,
        note=note[:300],
        actor=actor if getattr(actor, "pk", None) else None,
        on=on,
        at=at,
    )


# --- the ladder as data ------------------------------------------------------------


def seed_ladder(community_id: int) -> None:
    """Give a community the default ladder and a collection policy (idempotent)."""
    for order, action, wait, counts_from, minimum, optional, auto_sms in DEFAULT_LADDER:
        DunningStep.objects.get_or_create(
            community_id=community_id,
            order=order,
            defaults={
                "action": action,
                "wait_days": wait,
                "counts_from": counts_from,
                "min_overdue": Decimal(minimum),
                "optional": optional,
                "auto_sms": auto_sms,
            },
        )
    CollectionPolicy.objects.get_or_create(community_id=community_id)


def ladder(community_id: int) -> list[DunningStep]:
    return list(
        DunningStep.objects.filter(community_id=community_id, is_active=True).order_by("order")
    )


def _next_after(steps: Sequence[DunningStep], order: int | None) -> DunningStep | None:
    for step in steps:
        if order is None or step.order > order:
            return step
    return None


def _anchor(
    step: DunningStep, steps: Sequence[DunningStep], done: dict[str, str]
) -> dt.date | None:
    """The date a step's wait counts from: its named step, else the last step done before it."""
    if step.counts_from is not None and str(step.counts_from) in done:
        return dt.date.fromisoformat(done[str(step.counts_from)])
    earlier = [s for s in steps if s.order < step.order and str(s.order) in done]
    if earlier:
        return dt.date.fromisoformat(done[str(earlier[-1].order)])
    return None


def _due(
    step: DunningStep, steps: Sequence[DunningStep], done: dict[str, str], oldest: dt.date | None
) -> dt.date | None:
    anchor = _anchor(step, steps, done) or oldest
    return anchor + dt.timedelta(days=step.wait_days) if anchor else None


def _set_next(case: DunningCase, steps: Sequence[DunningStep], after: int | None) -> None:
    case.step = _next_after(steps, after)
    case.step_due = _due(case.step, steps, case.done, case.oldest_due) if case.step else None


def _skip_optional(case: DunningCase, steps: Sequence[DunningStep], today: dt.date) -> list[int]:
    """Pass over optional steps while the step after one is already due; return their orders."""
    skipped: list[int] = []
    while case.step is not None and case.step.optional:
        following = _next_after(steps, case.step.order)
        if following is None:
            break
        due = _due(following, steps, case.done, case.oldest_due)
        if due is None or due > today:
            break
        skipped.append(case.step.order)
        case.step, case.step_due = following, due
    return skipped


def dunning_step_set(
    *,
    actor: Any,
    community_id: int | str,
    order: Any,
    action: str,
    wait_days: Any,
    counts_from: Any = None,
    min_overdue: Any = "0.01",
    optional: bool = False,
    auto_sms: bool = False,
    is_active: bool = True,
) -> DunningStep:
    """Create or change one step of a community's ladder."""
    require(actor, Cap.BILLING_MANAGE)
    community = community_get_for_user(actor, community_id)
    errors = ErrorCollector()
    number = v.integer(errors, "order", order, minimum=1, maximum=99)
    action = v.choice(errors, "action", action, DunningAction.choices)
    wait = v.integer(errors, "wait_days", wait_days, minimum=0, maximum=3650)
    anchor = v.integer(errors, "counts_from", counts_from, minimum=1, maximum=99, required=False)
    minimum = v.decimal(
        errors, "min_overdue", min_overdue, places=2, minimum=ZERO, maximum=MAX_AMOUNT
    )
    if anchor is not None and number is not None:
        if anchor >= number:
            errors.add("counts_from", _("A step counts from an earlier step."))
        elif not DunningStep.objects.filter(community=community, order=anchor).exists():
            errors.add("counts_from", _("No step of this ladder has that order."))
    if auto_sms and action != DunningAction.REMINDER:
        errors.add("auto_sms", _("Only a reminder is sent by SMS automatically."))
    errors.raise_if_any()
    step, _created = DunningStep.objects.update_or_create(
        community=community,
        order=number,
        defaults={
            "action": action,
            "wait_days": wait,
            "counts_from": anchor,
            "min_overdue": minimum,
            "optional": bool(optional),
            "auto_sms": bool(auto_sms),
            "is_active": bool(is_active),
        },
    )
    return step


def collection_policy_set(
    *, actor: Any, community_id: int | str, service_contract_ref: str, creditor_name: str = ""
) -> CollectionPolicy:
    """Record the service contract (and who signs) that collection paperwork cites."""
    require(actor, Cap.BILLING_MANAGE)
    community = community_get_for_user(actor, community_id)
    errors = ErrorCollector()
    ref = v.text(errors, "service_contract_ref", service_contract_ref, max_length=100)
    creditor = v.text(errors, "creditor_name", creditor_name, max_length=200, required=False)
    errors.raise_if_any()
    policy, _created = CollectionPolicy.objects.update_or_create(
        community=community, defaults={"service_contract_ref": ref, "creditor_name": creditor}
    )
    return policy


# --- what a house owes now ---------------------------------------------------------


def overdue_by_account(
    community_id: int, today: dt.date
) -> dict[int, tuple[int, Decimal, dt.date]]:
    """{account: (house, overdue, oldest due date)} for every account with an overdue bill."""
    rows = (
        Bill.objects.filter(community_id=community_id, cleared__lt=F("amount"), due_date__lt=today)
        .values("account_id", "house_id")
        .annotate(total=Sum(F("amount") - F("cleared")), oldest=Min("due_date"))
    )
    return {r["account_id"]: (r["house_id"], r["total"], r["oldest"]) for r in rows}


def _account_overdue(account_id: int, today: dt.date) -> tuple[Decimal, dt.date | None]:
    row = Bill.objects.filter(
        account_id=account_id, cleared__lt=F("amount"), due_date__lt=today
    ).aggregate(total=Sum(F("amount") - F("cleared")), oldest=Min("due_date"))
    return row["total"] or ZERO, row["oldest"]


def _primary_contacts(house_ids: Iterable[int], today: dt.date) -> dict[int, Any]:
    """The primary contact (a customer with a phone) of each house, for reminders."""
    from propdesk.customers.models import Occupancy

    found: dict[int, Any] = {}
    rows = (
        Occupancy.objects.filter(house_id__in=list(house_ids), start_date__lte=today)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .exclude(customer__phone_cipher="")
        .select_related("customer")
        .order_by("house_id", "-is_primary_contact", "role", "id")
    )
    for occ in rows:
        found.setdefault(occ.house_id, occ.customer)
    return found


# --- the daily run -------------------------------------------------------------------


def _disputed_houses(community_id: int) -> set[int]:
    from propdesk.servicedesk.models import OPEN_STATUSES, Case, CaseKind

    return set(
        Case.objects.filter(
            community_id=community_id,
            kind=CaseKind.COMPLAINT,
            status__in=list(OPEN_STATUSES),
            house_id__isnull=False,
        ).values_list("house_id", flat=True)
    )


def suspended_spans(
    house_ids: Iterable[int], *, until: dt.date, tz: Any
) -> dict[int, list[tuple[dt.date, dt.date]]]:
    """Per house, the day spans (first, last) on or before `until` on which its ladder waits.

    The reasons the daily run suspends a case, as spans of days: a payment plan from
    its start to the day before it ended (still running: to `until`), and a complaint
    about the house from the day it was received to the day before it was closed
    (still open: to `until`; a cancelled complaint was no dispute). Late fees do not
    accrue on these days either.
    """
    from propdesk.servicedesk.models import OPEN_STATUSES, Case, CaseKind, CaseStatus

    ids = list(house_ids)
    spans: dict[int, list[tuple[dt.date, dt.date]]] = {}
    if not ids:
        return spans
    plans = (
        PaymentPlan.objects.filter(account__house_id__in=ids, start__lte=until)
        .values_list("account__house_id", "start", "ended_on")
        .order_by()
    )
    for house_id, start, ended_on in plans:
        last = ended_on - dt.timedelta(days=1) if ended_on else until
        if last >= start:
            spans.setdefault(house_id, []).append((start, min(last, until)))
    end_at = dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    complaints = (
        Case.objects.filter(kind=CaseKind.COMPLAINT, house_id__in=ids, received_at__lt=end_at)
        .filter(
            Q(status__in=list(OPEN_STATUSES)) | Q(status=CaseStatus.CLOSED, closed_at__isnull=False)
        )
        .values_list("house_id", "status", "received_at", "closed_at")
        .order_by()
    )
    for house_id, status, received_at, closed_at in complaints:
        first = timezone.localtime(received_at, tz).date()
        if status in OPEN_STATUSES or closed_at is None:
            last = until
        else:
            last = timezone.localtime(closed_at, tz).date() - dt.timedelta(days=1)
        if last >= first:
            spans.setdefault(house_id, []).append((first, min(last, until)))
    return spans


def _plan_paid(plans: Sequence[PaymentPlan], tz: Any) -> dict[int, Decimal]:
    """What each plan's account has paid since the plan started (void payments excluded)."""
    if not plans:
        return {}
    first = min(p.start for p in plans)
    since = dt.datetime.combine(first, dt.time.min, tzinfo=tz)
    rows = Payment.objects.filter(
        account_id__in=[p.account_id for p in plans],
        purpose=PaymentPurpose.BILLS,
        voided_at__isnull=True,
        received_at__gte=since,
    ).values_list("account_id", "received_at", "amount")
    paid = {p.pk: ZERO for p in plans}
    by_account = {p.account_id: p for p in plans}
    for account_id, at, amount in rows:
        plan = by_account[account_id]
        if timezone.localtime(at, tz).date() >= plan.start:
            paid[plan.pk] += amount
    return paid


def plan_due_by(plan: PaymentPlan, day: dt.date) -> Decimal:
    """The sum of the plan's instalments due on or before `day`."""
    return sum(
        (Decimal(i["amount"]) for i in plan.instalments if dt.date.fromisoformat(i["due"]) <= day),
        ZERO,
    )


def _review_plans(community_id: int, today: dt.date, tz: Any) -> tuple[set[int], list[PaymentPlan]]:
    """Plans still kept (their accounts) and the plans that ended today (completed or broken)."""
    plans = list(
        PaymentPlan.objects.select_for_update().filter(
            community_id=community_id, state=PlanState.ACTIVE
        )
    )
    paid = _plan_paid(plans, tz)
    kept: set[int] = set()
    ended: list[PaymentPlan] = []
    for plan in plans:
        if paid[plan.pk] >= plan.total:
            plan.state = PlanState.COMPLETED
        elif paid[plan.pk] < plan_due_by(plan, today - dt.timedelta(days=1)):
            # An instalment's day has passed without the money: the plan is broken.
            plan.state = PlanState.BROKEN
        else:
            kept.add(plan.account_id)
            continue
        plan.ended_on = today
        ended.append(plan)
    if ended:
        PaymentPlan.objects.bulk_update(ended, ["state", "ended_on"])
    return kept, ended


def dunning_run(
    *, community_id: int, today: dt.date | None = None, now: dt.datetime | None = None
) -> dict[str, int]:
    """Open, close, suspend, resume and advance a community's dunning cases for `today`.

    Idempotent: a second run on the same day finds nothing to change. Overdue
    accounts are found with one aggregate query; cases are written in bulk.
    """
    now = now or timezone.now()
    community = Community.objects.get(pk=community_id)
    tz = _tz(community)
    today = today or timezone.localtime(now, tz).date()
    steps = ladder(community_id)
    counts = dict.fromkeys(("opened", "closed", "suspended", "resumed", "skipped", "sms", "due"), 0)
    events: list[DunningEvent] = []
    CollectionPolicy.objects.get_or_create(community_id=community_id)
    with transaction.atomic():
        # One run of a community at a time: a second worker (or a manager's "run now")
        # waits here, then finds the day's work done.
        CollectionPolicy.objects.select_for_update().get(community_id=community_id)
        overdue = overdue_by_account(community_id, today)
        cases = {
            c.account_id: c
            for c in DunningCase.objects.select_for_update(of=("self",))
            .filter(community_id=community_id)
            .exclude(state=CaseState.CLOSED)
            .select_related("step")
        }
        changed: dict[int, DunningCase] = {}

        # Paid in full: the case closes.
        for account_id, case in cases.items():
            if account_id not in overdue:
                before = case.state
                case.state = _transition(case, "close")
                case.closed_on = today
                case.overdue = ZERO
                case.step_due = None
                changed[case.pk] = case
                events.append(
                    _event(case, "close", before, on=today, at=now, note=_("Paid in full"))
                )
                counts["closed"] += 1
        live = {a: c for a, c in cases.items() if a in overdue}

        # Newly overdue: a case opens on the first step of the ladder.
        opened: list[DunningCase] = []
        for account_id, (house_id, total, oldest) in overdue.items():
            if account_id in live:
                case = live[account_id]
                if case.overdue != total or case.oldest_due != oldest:
                    case.overdue, case.oldest_due = total, oldest
                    if case.step is not None and not case.done:
                        case.step_due = _due(case.step, steps, case.done, oldest)
                    changed[case.pk] = case
                continue
            case = DunningCase(
                community_id=community_id,
                account_id=account_id,
                house_id=house_id,
                state=CaseState.ACTIVE,
                overdue=total,
                oldest_due=oldest,
                opened_on=today,
                done={},
            )
            _set_next(case, steps, None)
            opened.append(case)
        if opened:
            DunningCase.objects.bulk_create(opened)
            for case in opened:
                live[case.account_id] = case
                events.append(_event(case, "open", "", on=today, at=now, step=case.step))
            counts["opened"] = len(opened)

        # A kept payment plan or an open complaint suspends the ladder; when neither holds, it resumes.
        kept, ended = _review_plans(community_id, today, tz)
        disputed = _disputed_houses(community_id)
        for case in live.values():
            reason = (
                SuspendReason.PAYMENT_PLAN
                if case.account_id in kept
                else SuspendReason.DISPUTE
                if case.house_id in disputed
                else ""
            )
            if reason and case.state == CaseState.ACTIVE:
                case.state = _transition(case, "suspend")
                case.suspend_reason = reason
                events.append(
                    _event(case, "suspend", CaseState.ACTIVE, on=today, at=now, note=reason)
                )
                counts["suspended"] += 1
                changed[case.pk] = case
            elif case.state == CaseState.SUSPENDED and reason != case.suspend_reason:
                if reason:
                    case.suspend_reason = reason
                else:
                    case.state = _transition(case, "resume")
                    case.suspend_reason = ""
                    events.append(_event(case, "resume", CaseState.SUSPENDED, on=today, at=now))
                    counts["resumed"] += 1
                changed[case.pk] = case

        # Steps: pass over optional steps a later step has overtaken, send automatic reminders.
        sms_cases: list[DunningCase] = []
        for case in live.values():
            if case.state != CaseState.ACTIVE or case.step is None:
                continue
            before_step = case.step
            for order in _skip_optional(case, steps, today):
                skipped = next(s for s in steps if s.order == order)
                events.append(
                    _event(case, "step_skipped", case.state, on=today, at=now, step=skipped)
                )
                counts["skipped"] += 1
            if case.step is not before_step:
                changed[case.pk] = case
            step = case.step
            if (
                step is not None
                and case.step_due is not None
                and case.step_due <= today
                and case.overdue >= step.min_overdue
            ):
                if step.action == DunningAction.REMINDER and step.auto_sms:
                    sms_cases.append(case)
                else:
                    counts["due"] += 1
        if sms_cases:
            from propdesk.notify.services import outbox_enqueue_event

            contacts = _primary_contacts([c.house_id for c in sms_cases], today)
            labels = dict(
                House.objects.filter(pk__in=[c.house_id for c in sms_cases]).values_list(
                    "pk", "label"
                )
            )
            logs: list[ContactLog] = []
            for case in sms_cases:
                customer = contacts.get(case.house_id)
                sms_step = case.step
                assert sms_step is not None
                if customer is None:
                    counts["due"] += 1  # no phone on file: a collector calls or visits
                    continue
                # The notify event `billing.reminder`: the community's editable text, in the
                # customer's language; SMS only, since R-FEE-3 reminds by phone or SMS.
                sent = outbox_enqueue_event(
                    event="billing.reminder",
                    context={
                        "house": labels.get(case.house_id, ""),
                        "period": f"{case.oldest_due:%Y-%m}–{today:%Y-%m}"
                        if case.oldest_due
                        else f"{today:%Y-%m}",
                        "amount": f"{case.overdue:,.2f}",
                        "due_date": (today + dt.timedelta(days=PAY_WITHIN_DAYS)).isoformat(),
                    },
                    community_id=community_id,
                    customer_id=customer.pk,
                    channels=["sms"],
                    ref_type="billing.dunningcase",
                    ref_id=str(case.pk),
                    dedupe_key=f"dunning:{case.pk}:{sms_step.order}:{today.isoformat()}",
                    now=now,
                )
                if not sent:
                    counts["due"] += 1  # the customer takes no SMS: a collector calls
                    continue
                body = sent[0].body
                logs.append(
                    ContactLog(
                        community_id=community_id,
                        account_id=case.account_id,
                        house_id=case.house_id,
                        case=case,
                        how=ContactHow.SMS,
                        answer=ContactAnswer.SENT,
                        amount_due=case.overdue,
                        note=body,
                        at=now,
                    )
                )
                case.done = {**case.done, str(sms_step.order): today.isoformat()}
                events.append(
                    _event(
                        case,
                        "step_done",
                        case.state,
                        on=today,
                        at=now,
                        step=sms_step,
                        note=_("SMS sent"),
                    )
                )
                _set_next(case, steps, sms_step.order)
                changed[case.pk] = case
                counts["sms"] += 1
            ContactLog.objects.bulk_create(logs)

        by_pk = {c.pk: c for c in live.values()}
        for plan in ended:
            if plan.case_id in by_pk:
                case = by_pk[plan.case_id]
                events.append(_event(case, f"plan_{plan.state}", case.state, on=today, at=now))
        if changed:
            DunningCase.objects.bulk_update(
                list(changed.values()),
                [
                    "state",
                    "suspend_reason",
                    "step",
                    "step_due",
                    "done",
                    "overdue",
                    "oldest_due",
                    "closed_on",
                ],
                batch_size=1000,
            )
        DunningEvent.objects.bulk_create(events, batch_size=1000)
        if any(counts.values()):
            DunningRunLog.objects.update_or_create(
                community_id=community_id, day=today, defaults={"counts": counts, "at": now}
            )
        else:
            DunningRunLog.objects.get_or_create(
                community_id=community_id, day=today, defaults={"counts": counts, "at": now}
            )
    return counts


def _tz(community: Community) -> Any:
    from .reports import community_tz

    return community_tz(community)


def dunning_sweep(*, now: dt.datetime | None = None) -> int:
    """The worker's daily pass: run each community's ladder once per local day."""
    now = now or timezone.now()
    done = 0
    for community in Community.objects.filter(is_active=True).only("pk", "time_zone"):
        today = timezone.localtime(now, _tz(community)).date()
        if DunningRunLog.objects.filter(community_id=community.pk, day=today).exists():
            continue
        if not DunningStep.objects.filter(community_id=community.pk, is_active=True).exists():
            continue
        dunning_run(community_id=community.pk, today=today, now=now)
        done += 1
    return done


# --- collectors' actions ---------------------------------------------------------------


def _case_for_update(actor: Any, case_id: int | str) -> DunningCase:
    try:
        return (
            DunningCase.objects.select_for_update(of=("self",))
            .select_related("step", "house")
            .get(community_filter(actor), pk=int(str(case_id)))
        )
    except (ValueError, DunningCase.DoesNotExist):
        raise NotFound(_("No such dunning case.")) from None


def _complete(
    case: DunningCase, action: str, *, on: dt.date, at: dt.datetime, actor: Any, note: str = ""
) -> list[DunningEvent]:
    """Mark the pending step done when it is of `action`; move the case to the next step."""
    if case.state != CaseState.ACTIVE or case.step is None or case.step.action != action:
        return []
    steps = ladder(case.community_id)
    step = case.step
    case.done = {**case.done, str(step.order): on.isoformat()}
    _set_next(case, steps, step.order)
    case.save(update_fields=["done", "step", "step_due"])
    return [_event(case, "step_done", case.state, on=on, at=at, actor=actor, step=step, note=note)]


def contact_log_add(
    *,
    actor: Any,
    house_id: int | str,
    how: str,
    answer: str,
    promise_date: Any = None,
    note: str = "",
    now: dt.datetime | None = None,
) -> ContactLog:
    """Log a call, SMS or visit about what a house owes; it completes the matching step."""
    require(actor, Cap.BILLING_COLLECT)
    house = house_get_for_user(actor, house_id)
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    errors = ErrorCollector()
    how = v.choice(errors, "how", how, [(k, k) for k in COMPLETES])
    answer = v.choice(errors, "answer", answer, ContactAnswer.choices)
    promise = v.date(errors, "promise_date", promise_date, required=False)
    note = v.text(errors, "note", note, max_length=2000, required=False)
    if promise is not None and promise < today:
        errors.add("promise_date", _("A promise to pay is for today or a later day."))
    if answer == ContactAnswer.WILL_PAY and promise is None:
        errors.add("promise_date", _("Record the day the household promised to pay by."))
    errors.raise_if_any()
    with transaction.atomic():
        account = ledger.lock(ledger.account_for_house(house).pk)
        owed, _oldest = _account_overdue(account.pk, today)
        case = (
            DunningCase.objects.select_for_update(of=("self",))
            .select_related("step")
            .filter(account=account)
            .exclude(state=CaseState.CLOSED)
            .first()
        )
        log = ContactLog.objects.create(
            community_id=house.community_id,
            account=account,
            house=house,
            case=case,
            how=how,
            answer=answer,
            promise_date=promise,
            amount_due=owed,
            note=note,
            actor=actor,
            at=now,
        )
        if case is not None:
            DunningEvent.objects.bulk_create(
                _complete(case, COMPLETES[how], on=today, at=now, actor=actor, note=note[:100])
            )
    return log


def _instalments(errors: ErrorCollector, raw: Any, today: dt.date) -> list[dict[str, str]]:
    lines: list[dict[str, str]] = []
    rows = list(raw or [])
    if not rows:
        errors.add("instalments", _("Give at least one instalment."))
        return lines
    previous: dt.date | None = None
    for n, row in enumerate(rows):
        due_raw, amount_raw = (row.get("due"), row.get("amount")) if isinstance(row, dict) else row
        due = v.date(errors, f"instalments.{n}.due", due_raw)
        amount = v.decimal(
            errors,
            f"instalments.{n}.amount",
            amount_raw,
            places=2,
            minimum=ZERO,
            exclusive_minimum=True,
            maximum=MAX_AMOUNT,
        )
        if due is not None:
            if due < today:
                errors.add(f"instalments.{n}.due", _("An instalment falls due today or later."))
            elif previous is not None and due <= previous:
                errors.add(f"instalments.{n}.due", _("Instalments follow each other in time."))
            previous = due
        if due is not None and amount is not None:
            lines.append({"due": due.isoformat(), "amount": str(amount)})
    return lines


def payment_plan_start(
    *,
    actor: Any,
    house_id: int | str,
    instalments: Sequence[Any],
    note: str = "",
    now: dt.datetime | None = None,
) -> PaymentPlan:
    """Agree instalments with a household; the ladder waits while they are kept."""
    require(actor, Cap.BILLING_COLLECT)
    house = house_get_for_user(actor, house_id)
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    errors = ErrorCollector()
    lines = _instalments(errors, instalments, today)
    note = v.text(errors, "note", note, max_length=300, required=False)
    errors.raise_if_any()
    total = sum((Decimal(i["amount"]) for i in lines), ZERO)
    with transaction.atomic():
        account = ledger.lock(ledger.account_for_house(house).pk)
        owed = account.due - account.credit
        if owed <= ZERO:
            raise Invalid.field("instalments", _("This house owes nothing."))
        if total > owed:
            raise Invalid.field(
                "instalments",
                _("The instalments come to %(total)s, more than the %(owed)s owed.")
                % {"total": total, "owed": owed},
            )
        if PaymentPlan.objects.filter(account=account, state=PlanState.ACTIVE).exists():
            raise Conflict(_("This house already has a payment plan being kept."))
        case = (
            DunningCase.objects.select_for_update(of=("self",))
            .filter(account=account)
            .exclude(state=CaseState.CLOSED)
            .first()
        )
        plan = PaymentPlan.objects.create(
            community_id=house.community_id,
            account=account,
            case=case,
            start=today,
            instalments=lines,
            total=total,
            note=note,
            created_by=actor,
            created_at=now,
        )
        if case is not None and case.state == CaseState.ACTIVE:
            case.state = _transition(case, "suspend")
            case.suspend_reason = SuspendReason.PAYMENT_PLAN
            case.save(update_fields=["state", "suspend_reason"])
            _event(
                case,
                "suspend",
                CaseState.ACTIVE,
                on=today,
                at=now,
                actor=actor,
                note="payment_plan",
            ).save()
    return plan


def payment_plan_stop(
    *, actor: Any, plan_id: int | str, reason: str, now: dt.datetime | None = None
) -> PaymentPlan:
    """End a payment plan early; the ladder resumes unless a complaint is still open."""
    require(actor, Cap.BILLING_COLLECT)
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    errors = ErrorCollector()
    reason = v.text(errors, "reason", reason, max_length=300)
    errors.raise_if_any()
    with transaction.atomic():
        try:
            plan = PaymentPlan.objects.select_for_update().get(
                community_filter(actor), pk=int(str(plan_id))
            )
        except (ValueError, PaymentPlan.DoesNotExist):
            raise NotFound(_("No such payment plan.")) from None
        if plan.state != PlanState.ACTIVE:
            raise Conflict(_("This payment plan has already ended."))
        plan.state = PlanState.STOPPED
        plan.ended_on = today
        plan.note = f"{plan.note} / {reason}".strip(" /")[:300]
        plan.save(update_fields=["state", "ended_on", "note"])
        case = (
            DunningCase.objects.select_for_update(of=("self",))
            .filter(account_id=plan.account_id, state=CaseState.SUSPENDED)
            .first()
        )
        if case is not None:
            if case.house_id in _disputed_houses(case.community_id):
                case.suspend_reason = SuspendReason.DISPUTE
                case.save(update_fields=["suspend_reason"])
            else:
                case.state = _transition(case, "resume")
                case.suspend_reason = ""
                case.save(update_fields=["state", "suspend_reason"])
                _event(
                    case, "resume", CaseState.SUSPENDED, on=today, at=now, actor=actor, note=reason
                ).save()
    return plan


def dunning_letter_create(
    *, actor: Any, case_id: int | str, now: dt.datetime | None = None
) -> DunningLetter:
    """Number and date a dunning letter for what the case's house owes now (R-FEE-4)."""
    require(actor, Cap.BILLING_COLLECT)
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    with transaction.atomic():
        case = _case_for_update(actor, case_id)
        if case.state == CaseState.CLOSED:
            raise Conflict(_("This dunning case is closed: the house has paid."))
        owed, oldest = _account_overdue(case.account_id, today)
        if owed <= ZERO:
            raise Conflict(_("Nothing is overdue on this house."))
        if DunningLetter.objects.filter(case=case, sent_on__isnull=True).exists():
            raise Conflict(_("A letter of this case is waiting to be sent; send it first."))
        year = today.year
        seq = number_next(
            scope=f"community:{case.community_id}", series="dunning_letter", year=year
        )
        customer = _primary_contacts([case.house_id], today).get(case.house_id)
        return DunningLetter.objects.create(
            community_id=case.community_id,
            case=case,
            account_id=case.account_id,
            house_id=case.house_id,
            year=year,
            seq=seq,
            number=f"CJ{year % 100:02d}-{seq:06d}",
            issued_on=today,
            amount_claimed=owed,
            oldest_due=oldest,
            addressee=customer.name if customer else "",
            created_by=actor,
            created_at=now,
        )


def dunning_letter_send(
    *,
    actor: Any,
    letter_id: int | str,
    express_company: str,
    tracking_number: str,
    sent_on: Any = None,
    now: dt.datetime | None = None,
) -> DunningLetter:
    """Record the express company and tracking number of a sent letter (R-FEE-4)."""
    require(actor, Cap.BILLING_COLLECT)
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    errors = ErrorCollector()
    company = v.text(errors, "express_company", express_company, max_length=60)
    tracking = v.text(errors, "tracking_number", tracking_number, max_length=60)
    day = v.date(errors, "sent_on", sent_on, required=False) or today
    if day > today:
        errors.add("sent_on", _("A letter cannot be sent in the future."))
    errors.raise_if_any()
    with transaction.atomic():
        try:
            letter = DunningLetter.objects.select_for_update().get(
                community_filter(actor), pk=int(str(letter_id))
            )
        except (ValueError, DunningLetter.DoesNotExist):
            raise NotFound(_("No such dunning letter.")) from None
        if letter.sent_on is not None:
            raise Conflict(_("This letter is already recorded as sent."))
        if day < letter.issued_on:
            raise Invalid.field("sent_on", _("A letter is sent on or after its date."))
        case = _case_for_update(actor, letter.case_id)
        letter.express_company = company
        letter.tracking_number = tracking
        letter.sent_on = day
        letter.save(update_fields=["express_company", "tracking_number", "sent_on"])
        ContactLog.objects.create(
            community_id=letter.community_id,
            account_id=letter.account_id,
            house_id=letter.house_id,
            case=case,
            how=ContactHow.LETTER,
            answer=ContactAnswer.SENT,
            amount_due=letter.amount_claimed,
            note=f"{letter.number} {company} {tracking}",
            actor=actor,
            at=now,
        )
        DunningEvent.objects.bulk_create(
            _complete(case, DunningAction.LETTER, on=day, at=now, actor=actor, note=letter.number)
        )
    return letter


def dunning_case_legal(
    *, actor: Any, case_id: int | str, note: str, now: dt.datetime | None = None
) -> DunningCase:
    """Hand a case to legal collection (R-FEE-5): it leaves the ladder until paid."""
    require(actor, Cap.BILLING_COLLECT)
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    errors = ErrorCollector()
    note = v.text(errors, "note", note, max_length=300)
    errors.raise_if_any()
    with transaction.atomic():
        case = _case_for_update(actor, case_id)
        before = case.state
        to = _transition(case, "legal")
        if not DunningLetter.objects.filter(
            case__account_id=case.account_id, sent_on__isnull=False
        ).exists():
            raise Conflict(_("Send a dunning letter before legal collection: it is the evidence."))
        owed, _oldest = _account_overdue(case.account_id, today)
        step = case.step
        case.state = to
        if step is not None and step.action == DunningAction.LEGAL:
            case.done = {**case.done, str(step.order): today.isoformat()}
        case.step = None
        case.step_due = None
        case.save(update_fields=["state", "done", "step", "step_due"])
        _event(case, "legal", before, on=today, at=now, actor=actor, step=step, note=note).save()
        ContactLog.objects.create(
            community_id=case.community_id,
            account_id=case.account_id,
            house_id=case.house_id,
            case=case,
            how=ContactHow.LEGAL,
            answer=ContactAnswer.OTHER,
            amount_due=owed,
            note=note,
            actor=actor,
            at=now,
        )
    return case


# --- reads -------------------------------------------------------------------------------


def cases_visible_to(user: Any, *, community_id: int | None = None) -> QuerySet[DunningCase]:
    require(user, Cap.BILLING_VIEW)
    # 0 has always meant "every community", like None.
    return DunningCase.objects.filter(community_filter(user, community_id=community_id or None))


def worklist(
    user: Any, *, community_id: int, today: dt.date | None = None
) -> QuerySet[DunningCase]:
    """The collectors' worklist: active cases whose next step is due today or earlier."""
    today = today or timezone.localdate()
    last_contact = ContactLog.objects.filter(account_id=OuterRef("account_id")).order_by(
        "-at", "-id"
    )
    return (
        cases_visible_to(user, community_id=community_id)
        .filter(
            state=CaseState.ACTIVE,
            step__isnull=False,
            step_due__lte=today,
            overdue__gte=F("step__min_overdue"),
        )
        # A house that paid since the last run leaves the list at once (the run closes its case).
        .filter(
            Exists(
                Bill.objects.filter(
                    account_id=OuterRef("account_id"), cleared__lt=F("amount"), due_date__lt=today
                )
            )
        )
        .select_related("house__building", "step")
        .annotate(
            last_contact_at=Subquery(last_contact.values("at")[:1]),
            last_answer=Subquery(last_contact.values("answer")[:1]),
            promise_date=Subquery(last_contact.values("promise_date")[:1]),
            has_open_letter=Exists(
                DunningLetter.objects.filter(case_id=OuterRef("pk"), sent_on__isnull=True)
            ),
        )
        .order_by("step_due", "-overdue", "id")
    )


def case_get_for_user(user: Any, case_id: int | str) -> DunningCase:
    try:
        return (
            cases_visible_to(user)
            .select_related("house__building", "step", "community")
            .get(pk=int(str(case_id)))
        )
    except (ValueError, DunningCase.DoesNotExist):
        raise NotFound(_("No such dunning case.")) from None


def letter_get_for_user(user: Any, letter_id: int | str) -> DunningLetter:
    require(user, Cap.BILLING_VIEW)
    try:
        return DunningLetter.objects.select_related("house__building", "community", "case").get(
            community_filter(user), pk=int(str(letter_id))
        )
    except (ValueError, DunningLetter.DoesNotExist):
        raise NotFound(_("No such dunning letter.")) from None


def house_collection(user: Any, house_id: int | str) -> dict[str, Any]:
    """A house's whole collection history: cases, contacts, plans and letters (every period)."""
    require(user, Cap.BILLING_VIEW)
    house = house_get_for_user(user, house_id)
    account = Account.objects.filter(kind="house", house=house).first()
    if account is None:
        return {
            "house": house,
            "account": None,
            "cases": [],
            "contacts": [],
            "plans": [],
            "letters": [],
        }
    return {
        "house": house,
        "account": account,
        "cases": list(
            DunningCase.objects.filter(account=account)
            .select_related("step")
            .order_by("-opened_on", "-id")
        ),
        "contacts": list(
            ContactLog.objects.filter(account=account)
            .select_related("actor")
            .order_by("-at", "-id")
        ),
        "plans": list(PaymentPlan.objects.filter(account=account).order_by("-created_at")),
        "letters": list(
            DunningLetter.objects.filter(account=account).order_by("-issued_on", "-seq")
        ),
        "open_case": DunningCase.objects.filter(account=account)
        .exclude(state=CaseState.CLOSED)
        .select_related("step")
        .first(),
    }


def last_run(community_id: int) -> DunningRunLog | None:
    return DunningRunLog.objects.filter(community_id=community_id).order_by("-day").first()


def case_counts(user: Any, *, community_id: int) -> dict[str, int]:
    """Open cases by state, for the worklist's header."""
    rows = (
        cases_visible_to(user, community_id=community_id)
        .exclude(state=CaseState.CLOSED)
        .values("state")
        .annotate(n=Count("id"))
    )
    return {r["state"]: r["n"] for r in rows}
