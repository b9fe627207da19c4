"""Fee items, price standards and adjustment rules of a community (收费标准), and the forms
that change them through the billing services."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from propdesk.accounts.roles import Cap
from propdesk.accounts.selectors import user_can
from propdesk.billing import selectors, services
from propdesk.billing.models import AdjustmentKind, AdjustmentRule, FeeKind, PriceBasis
from propdesk.console.views import staff_view
from propdesk.estates.models import HouseKind, MeterKind

from .common import Outcome, call, community_for, posted


@staff_view
def fees(request: HttpRequest) -> HttpResponse:
    community = community_for(request, Cap.BILLING_VIEW)
    today = timezone.localdate()
    standards = list(selectors.standards_visible_to(request.user, community_id=community.pk))
    for s in standards:
        s.current = s.valid_from <= today and (s.valid_to is None or s.valid_to >= today)  # type: ignore[attr-defined]
        s.future = s.valid_from > today  # type: ignore[attr-defined]
    rules = list(selectors.rules_visible_to(request.user, community_id=community.pk))
    for r in rules:
        r.percent = _percent(r.rate)  # type: ignore[attr-defined]
    return render(
        request,
        "console/billing/fees.html",
        {
            "tab": "fees",
            "community": community,
            "items": list(selectors.fee_items_visible_to(request.user, community_id=community.pk)),
            "standards": standards,
            "rules": rules,
            "rule_kinds": AdjustmentKind.choices,
            "can_manage": user_can(request.user, Cap.BILLING_MANAGE),
        },
    )


@staff_view
def fee_item_new(request: HttpRequest) -> HttpResponse:
    community = community_for(request, Cap.BILLING_MANAGE)
    out = Outcome()
    form = {"code": "", "name": "", "kind": FeeKind.ONE_OFF, "meter_kind": "", "sort": "50"}
    if request.method == "POST":
        form = posted(request, "code", "name", "kind", "meter_kind", "sort")
        sort = int(form["sort"]) if form["sort"].isdigit() and int(form["sort"]) < 1000 else None
        if sort is None:
            out.add("sort", _("Enter a whole number from 0 to 999."))
        call(
            services.fee_item_create,
            out,
            actor=request.user,
            community_id=community.pk,
            code=form["code"],
            name=form["name"],
            kind=form["kind"],
            meter_kind=form["meter_kind"],
            sort=sort or 0,
        )
        if out.ok:
            messages.success(request, _("Fee item %(name)s added.") % {"name": out.value.name})
            return redirect("console:billing:fees")
    return render(
        request,
        "console/billing/fee_item_form.html",
        {
            "tab": "fees",
            "form": form,
            "out": out,
            "kinds": FeeKind.choices,
            "meters": MeterKind.choices,
        },
        status=400 if not out.ok else 200,
    )


def _month_start(raw: str) -> str:
    """`2027-01` (a month input) → `2027-01-01`; anything else goes to the service as typed."""
    return f"{raw}-01" if re.fullmatch(r"\d{4}-\d{2}", raw) else raw


@staff_view
def standard_new(request: HttpRequest) -> HttpResponse:
    """A new price from a month on; the standard it replaces ends the month before (R-FEE-1)."""
    community = community_for(request, Cap.BILLING_MANAGE)
    items = list(
        selectors.fee_items_visible_to(request.user, community_id=community.pk)
        .filter(is_active=True)
        .exclude(kind=FeeKind.DEPOSIT)
    )
    out = Outcome()
    today = timezone.localdate()
    next_month = f"{today.year + today.month // 12}-{today.month % 12 + 1:02d}"
    form = {
        "fee_item": request.GET.get("item", str(items[0].pk) if items else ""),
        "house_kind": request.GET.get("house_kind", ""),
        "basis": PriceBasis.PER_AREA_MONTH,
        "unit_price": "",
        "valid_from": next_month,
        "approval_ref": "",
    }
    if request.method == "POST":
        form = posted(
            request, "fee_item", "house_kind", "basis", "unit_price", "valid_from", "approval_ref"
        )
        if not form["fee_item"]:
            out.add("fee_item", _("Choose a fee item."))
        call(
            services.price_standard_set,
            out,
            actor=request.user,
            fee_item_id=form["fee_item"],
            basis=form["basis"],
            unit_price=form["unit_price"],
            valid_from=_month_start(form["valid_from"]),
            house_kind=form["house_kind"],
            approval_ref=form["approval_ref"],
        )
        if out.ok:
            messages.success(request, _("The new price standard is saved."))
            return redirect("console:billing:fees")
    return render(
        request,
        "console/billing/standard_form.html",
        {
            "tab": "fees",
            "form": form,
            "out": out,
            "items": items,
            "bases": PriceBasis.choices,
            "house_kinds": HouseKind.choices,
        },
        status=400 if not out.ok else 200,
    )


def _percent(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f}"


def _fraction(raw: str, out: Outcome, *, field: str = "rate") -> Any:
    """A percentage typed by staff (70 for 70%) as the rule's fraction (0.70)."""
    try:
        percent = Decimal(raw)
    except InvalidOperation:
        return raw  # the service names the field and the reason
    if not percent.is_finite() or not 0 <= percent <= 100:
        out.add(field, _("Enter a percentage from 0 to 100."))
        return raw
    return (percent / 100).normalize()


@staff_view
def rule_edit(request: HttpRequest) -> HttpResponse:
    """Change a custody, vacancy, prompt-payment or late-fee rule (late fees need a contract clause)."""
    community = community_for(request, Cap.BILLING_MANAGE)
    rules = {
        r.kind: r
        for r in selectors.rules_visible_to(request.user, community_id=community.pk).filter(
            fee_item__isnull=True
        )
    }
    kind = request.GET.get("kind", AdjustmentKind.CUSTODY)
    current = rules.get(kind)
    out = Outcome()
    form: dict[str, Any] = {
        "kind": kind,
        "rate": _percent(current.rate) if current else "",
        "is_active": current.is_active if current else True,
        "contract_ref": current.contract_ref if current else "",
        "grace_days": str(current.grace_days) if current else "0",
        "cap": _percent(current.cap) if current and current.cap is not None else "",
    }
    late = {}
    if request.method == "POST":
        form = {**posted(request, "kind", "rate", "contract_ref", "grace_days", "cap")}
        form["is_active"] = request.POST.get("is_active") == "on"
        if form["kind"] == AdjustmentKind.LATE_FEE:
            # Grace days and the cap are late-fee terms; the other rules keep theirs.
            late = {
                "grace_days": form["grace_days"],
                "cap": _fraction(form["cap"], out, field="cap") if form["cap"] else None,
            }
        call(
            services.adjustment_rule_set,
            out,
            actor=request.user,
            community_id=community.pk,
            kind=form["kind"],
            rate=_fraction(form["rate"], out),
            is_active=form["is_active"],
            contract_ref=form["contract_ref"],
            **late,
        )
        if out.ok:
            messages.success(request, _("The rule is saved."))
            return redirect("console:billing:fees")
    fields: dict[str, Any] = {f: AdjustmentRule._meta.get_field(f) for f in ("grace_days", "cap")}
    return render(
        request,
        "console/billing/rule_form.html",
        {
            "tab": "fees",
            "form": form,
            "out": out,
            "kinds": AdjustmentKind.choices,
            "late_fee": AdjustmentKind.LATE_FEE.value,
            # The late-fee terms' labels and help come from the model (billing's catalogue).
            "late_fields": {
                name: {"label": capfirst(f.verbose_name), "help": f.help_text}
                for name, f in fields.items()
            },
        },
        status=400 if not out.ok else 200,
    )
