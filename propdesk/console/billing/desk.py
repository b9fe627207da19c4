"""The cashier's screens: find the house → what it owes → take the payment → the receipt;
the day's payments, voids, waivers, refunds, one-off charges and the house statement.

Thin: each view parses the form, calls one billing service or selector and renders.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.contrib import messages
from django.db.models import Count, Q, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from propdesk.accounts.roles import Cap
from propdesk.accounts.selectors import user_can
from propdesk.billing import selectors, services
from propdesk.billing.models import ZERO, EntryKind, FeeKind, Method, PriceBasis
from propdesk.console.views import staff_view
from propdesk.core.choices import labels
from propdesk.core.money import amount_in_words
from propdesk.customers.models import OccupancyRole
from propdesk.customers.search import quick_search
from propdesk.customers.selectors import house_occupants
from propdesk.estates.models import House

from .common import Outcome, approver_checked, call, community_for, posted
from .pdf import receipt_pdf

# The desk takes money in person; online payments come through the gateway.
DESK_METHODS = [(k, label) for k, label in Method.choices if k != Method.GATEWAY]
PAY_FIELDS = ("house", "amount", "method", "external_ref", "payer_name", "idempotency_key")


def _payer(house: House) -> str:
    """The name a receipt is made out to by default: the current owner (primary contact first)."""
    today = timezone.localdate()
    current = [o for o in house_occupants(house) if o.end_date is None or o.end_date >= today]
    current.sort(key=lambda o: (o.role != OccupancyRole.OWNER, not o.is_primary_contact))
    return current[0].customer.name if current else ""


def _desk_context(
    request: HttpRequest, house_id: Any, form: dict[str, Any] | None, out: Outcome | None
) -> dict[str, Any]:
    hb = selectors.house_billing(request.user, house_id)
    total = sum((b.outstanding for b in hb.open_bills), ZERO)
    if form is None:
        form = {
            "amount": f"{total}" if total > ZERO else "",
            "method": Method.CASH,
            "external_ref": "",
            "payer_name": _payer(hb.house),
            "bills": [str(b.pk) for b in hb.open_bills],
            # A fresh key each time the form is drawn: submitting it twice posts once.
            "idempotency_key": uuid.uuid4().hex,
        }
    recent = list(
        selectors.payments_visible_to(request.user)
        .filter(house=hb.house)
        .select_related("receipt", "received_by")[:8]
    )
    return {
        "hb": hb,
        "house": hb.house,
        "total": total,
        "form": form,
        "out": out or Outcome(),
        "methods": DESK_METHODS,
        "recent": recent,
        "today": timezone.localdate(),
        "can_collect": user_can(request.user, Cap.BILLING_COLLECT),
    }


@staff_view
def desk(request: HttpRequest) -> HttpResponse:
    """收银台: one page; the house comes from the quick search (`?house=`) or a typed query."""
    community = community_for(request, Cap.BILLING_COLLECT)
    house_id = request.GET.get("house", "").strip()
    q = request.GET.get("q", "").strip()
    context: dict[str, Any] = {"tab": "desk", "q": q, "community": community, "hits": []}
    if house_id:
        context.update(_desk_context(request, house_id, None, None))
    elif q:
        hits = [h for h in quick_search(request.user, q, community_id=community.pk) if h.house_id]
        houses = {h.house_id for h in hits}
        if len(houses) == 1:
            return redirect(f"{reverse('console:billing:desk')}?house={hits[0].house_id}")
        context["hits"] = hits
    return render(request, "console/billing/desk.html", context)


@staff_view
@require_POST
def pay(request: HttpRequest) -> HttpResponse:
    """Take the payment; a second submit of the same form finds the first payment's receipt."""
    community_for(request, Cap.BILLING_COLLECT)
    form: dict[str, Any] = posted(request, *PAY_FIELDS)
    form["bills"] = request.POST.getlist("bill")
    out = call(
        services.payment_post,
        actor=request.user,
        house_id=form["house"],
        amount=form["amount"],
        method=form["method"],
        idempotency_key=form["idempotency_key"],
        external_ref=form["external_ref"],
        payer_name=form["payer_name"],
        bill_ids=form["bills"] or None,
    )
    if out.ok:
        payment, replayed = out.value
        if replayed:
            messages.info(request, _("This payment was already taken; here is its receipt."))
        return redirect("console:billing:receipt", pk=payment.receipt.pk)
    context = _desk_context(request, form["house"], form, out)
    context.update({"tab": "desk", "q": "", "hits": []})
    return render(request, "console/billing/desk.html", context, status=400)


@staff_view
def receipt(request: HttpRequest, pk: int) -> HttpResponse:
    r = selectors.receipt_get_for_user(request.user, pk)
    return render(
        request,
        "console/billing/receipt.html",
        {
            "tab": "desk",
            "r": r,
            "p": r.payment,
            "lines": selectors.receipt_lines(r),
            "words": amount_in_words(r.amount),
            "can_collect": user_can(request.user, Cap.BILLING_COLLECT),
        },
    )


@staff_view
@require_POST
def receipt_print(request: HttpRequest, pk: int) -> HttpResponse:
    """The receipt PDF; counted, so every print after the first says it is a copy."""
    r, is_copy = services.receipt_print(actor=request.user, receipt_id=pk)
    r = selectors.receipt_get_for_user(request.user, r.pk)
    response = HttpResponse(receipt_pdf(r, is_copy=is_copy), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{r.number}.pdf"'
    return response


# --- the day's payments and their corrections -----------------------------------------


def _day(raw: str) -> dt.date:
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        return timezone.localdate()


@staff_view
def payments(request: HttpRequest) -> HttpResponse:
    """今日收款: the cashier's payments of one day (everyone's with `all=1`), totals by method."""
    community = community_for(request, Cap.BILLING_VIEW)
    day = _day(request.GET.get("day", ""))
    everyone = request.GET.get("all") == "1" or not user_can(request.user, Cap.BILLING_COLLECT)
    tz = community.tzinfo
    start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    rows = selectors.payments_visible_to(request.user, community_id=community.pk).filter(
        received_at__gte=start, received_at__lt=start + dt.timedelta(days=1)
    )
    if not everyone:
        rows = rows.filter(received_by_id=request.user.pk)
    names = labels(Method)
    totals = [
        {"method": names.get(t["method"], t["method"]), "count": t["n"], "amount": t["total"]}
        for t in rows.filter(voided_at__isnull=True)
        .order_by()
        .values("method")
        .annotate(n=Count("id"), total=Sum("amount"))
        .order_by("method")
    ]
    summary = rows.order_by().aggregate(
        total=Sum("amount", filter=Q(voided_at__isnull=True)),
        voided=Count("id", filter=Q(voided_at__isnull=False)),
    )
    return render(
        request,
        "console/billing/payments.html",
        {
            "tab": "payments",
            "day": day,
            "everyone": everyone,
            "rows": list(rows.select_related("house", "receipt", "received_by")),
            "totals": totals,
            "grand": summary["total"] or ZERO,
            "voided": summary["voided"],
            "can_collect": user_can(request.user, Cap.BILLING_COLLECT),
        },
    )


def _approver_context(request: HttpRequest, community_id: int) -> dict[str, Any]:
    return {"approvers": selectors.approvers_for(request.user, community_id)}


@staff_view
def payment_void(request: HttpRequest, pk: int) -> HttpResponse:
    """Void a payment: a reason and a second person who approves it with their password."""
    community_for(request, Cap.BILLING_COLLECT)
    payment = selectors.payments_visible_to(request.user).filter(pk=pk).first()
    if payment is None:
        raise Http404
    out = Outcome()
    form = {"reason": "", "approver": ""}
    if request.method == "POST":
        form = posted(request, "reason", "approver")
        approver = approver_checked(request, payment.community_id, out)
        call(
            services.payment_void,
            out,
            actor=request.user,
            payment_id=payment.pk,
            reason=form["reason"],
            approver=approver,
        )
        if out.ok:
            messages.success(
                request,
                _("Payment voided; receipt %(number)s is marked void.")
                % {"number": payment.receipt.number},
            )
            return redirect("console:billing:receipt", pk=payment.receipt.pk)
    return render(
        request,
        "console/billing/void.html",
        {
            "tab": "payments",
            "p": payment,
            "form": form,
            "out": out,
            **_approver_context(request, payment.community_id),
        },
        status=400 if not out.ok else 200,
    )


@staff_view
def bill_waive(request: HttpRequest, pk: int) -> HttpResponse:
    """Waive or discount part of one bill, with a reason and an approver."""
    community_for(request, Cap.BILLING_COLLECT)
    bill = selectors.bill_get_for_user(request.user, pk)
    out = Outcome()
    form = {"amount": f"{bill.outstanding}", "kind": EntryKind.WAIVER, "reason": "", "approver": ""}
    if request.method == "POST":
        form = posted(request, "amount", "kind", "reason", "approver")
        approver = approver_checked(request, bill.community_id, out)
        call(
            services.bill_waive,
            out,
            actor=request.user,
            bill_id=bill.pk,
            amount=form["amount"],
            kind=form["kind"],
            reason=form["reason"],
            approver=approver,
        )
        if out.ok:
            messages.success(request, _("The bill is reduced."))
            return _back_to_desk(bill.house_id)
    return render(
        request,
        "console/billing/waive.html",
        {
            "tab": "desk",
            "bill": bill,
            "form": form,
            "out": out,
            "kinds": [(EntryKind.WAIVER, _("Waiver")), (EntryKind.DISCOUNT, _("Discount"))],
            **_approver_context(request, bill.community_id),
        },
        status=400 if not out.ok else 200,
    )


def _back_to_desk(house_id: int) -> HttpResponse:
    return redirect(f"{reverse('console:billing:desk')}?house={house_id}")


@staff_view
def refund(request: HttpRequest, house: int) -> HttpResponse:
    """Pay back prepayment held for a house, with a reason and an approver."""
    community_for(request, Cap.BILLING_COLLECT)
    hb = selectors.house_billing(request.user, house)
    out = Outcome()
    form = {"amount": f"{hb.prepaid}" if hb.prepaid else "", "reason": "", "approver": ""}
    if request.method == "POST":
        form = posted(request, "amount", "reason", "approver")
        approver = approver_checked(request, hb.house.community_id, out)
        call(
            services.refund_post,
            out,
            actor=request.user,
            house_id=hb.house.pk,
            amount=form["amount"],
            reason=form["reason"],
            approver=approver,
        )
        if out.ok:
            messages.success(request, _("Refund recorded."))
            return _back_to_desk(hb.house.pk)
    return render(
        request,
        "console/billing/refund.html",
        {
            "tab": "desk",
            "hb": hb,
            "house": hb.house,
            "form": form,
            "out": out,
            **_approver_context(request, hb.house.community_id),
        },
        status=400 if not out.ok else 200,
    )


@staff_view
def charge(request: HttpRequest, house: int) -> HttpResponse:
    """A one-off charge to a house, e.g. debris removal (建筑垃圾清运费), at its standard price."""
    community_for(request, Cap.BILLING_COLLECT)
    hb = selectors.house_billing(request.user, house)
    items = list(
        selectors.fee_items_visible_to(request.user, community_id=hb.house.community_id).filter(
            is_active=True, kind__in=[FeeKind.ONE_OFF, FeeKind.SERVICE]
        )
    )
    prices = {
        s.fee_item_id: s.unit_price
        for s in selectors.standards_visible_to(
            request.user, community_id=hb.house.community_id
        ).filter(basis=PriceBasis.ONE_OFF, valid_to__isnull=True)
    }
    choices = [(i, f"{prices[i.pk]:.2f}" if i.pk in prices else "") for i in items]
    out = Outcome()
    first = items[0] if items else None
    form = {
        "fee_item": str(first.pk) if first else "",
        "amount": f"{prices[first.pk]:.2f}" if first and first.pk in prices else "",
        "reference": timezone.localdate().strftime("%Y%m%d"),
        "note": "",
    }
    if request.method == "POST":
        form = posted(request, "fee_item", "amount", "reference", "note")
        if not form["fee_item"]:
            out.add("fee_item", _("Choose what is charged."))
        call(
            services.charge_post,
            out,
            actor=request.user,
            house_id=hb.house.pk,
            fee_item_id=form["fee_item"],
            amount=form["amount"],
            reference=form["reference"],
            note=form["note"],
        )
        if out.ok:
            messages.success(request, _("Charge added; it can be paid now."))
            return _back_to_desk(hb.house.pk)
    return render(
        request,
        "console/billing/charge.html",
        {"tab": "desk", "house": hb.house, "items": choices, "form": form, "out": out},
        status=400 if not out.ok else 200,
    )


@staff_view
def statement(request: HttpRequest, house: int) -> HttpResponse:
    """对账单: a house's entries between two dates, with opening and closing balance."""
    community_for(request, Cap.BILLING_VIEW)
    today = timezone.localdate()
    out = Outcome()
    start = _date_param(request, "start", today.replace(month=1, day=1), out)
    end = _date_param(request, "end", today, out)
    if start > end:
        out.add("end", _("The end date is before the start date."))
        end = start
    st = selectors.statement(request.user, house, start, end)
    return render(
        request,
        "console/billing/statement.html",
        {"tab": "desk", "st": st, "house": st.house, "out": out},
    )


def _date_param(request: HttpRequest, name: str, default: dt.date, out: Outcome) -> dt.date:
    raw = request.GET.get(name, "").strip()
    if not raw:
        return default
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        out.add(name, _("Enter a date as YYYY-MM-DD."))
        return default
