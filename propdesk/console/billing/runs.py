"""Billing runs in the console: the list, a new run → its preview → confirm, which queues
the run for the worker, and the run's page with a polled progress bar and resume."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from propdesk.accounts.roles import Cap
from propdesk.accounts.selectors import user_can
from propdesk.billing import runs, selectors, services
from propdesk.billing.models import BillingRun, FeeItem, FeeKind, RunState, Timing
from propdesk.console.views import staff_view
from propdesk.estates.models import Community

from .common import Outcome, call, community_for, posted

# What a run bills is the service's rule (billing.runs.NOT_IN_RUNS). The late-fee item
# is offered unticked: a month's late fees are a run of their own once it is over.


def _run_items(request: HttpRequest, community: Community) -> list[FeeItem]:
    return list(
        selectors.fee_items_visible_to(request.user, community_id=community.pk)
        .filter(is_active=True)
        .exclude(kind__in=runs.NOT_IN_RUNS)
    )


def _recurring_items(request: HttpRequest, community: Community) -> list[FeeItem]:
    return [i for i in _run_items(request, community) if i.kind != FeeKind.LATE_FEE]


def _next_month() -> str:
    today = timezone.localdate()
    first = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return f"{first:%Y-%m}"


@staff_view
def run_list(request: HttpRequest) -> HttpResponse:
    community = community_for(request, Cap.BILLING_VIEW)
    rows = list(
        selectors.runs_visible_to(request.user, community_id=community.pk).select_related(
            "started_by"
        )[:100]
    )
    return render(
        request,
        "console/billing/run_list.html",
        {"tab": "runs", "runs": rows, "can_manage": user_can(request.user, Cap.BILLING_MANAGE)},
    )


def _form_context(
    request: HttpRequest, community: Community, form: dict[str, Any], out: Outcome
) -> dict[str, Any]:
    return {
        "tab": "runs",
        "community": community,
        "items": _run_items(request, community),
        "timings": Timing.choices,
        "form": form,
        "out": out,
    }


def _run_form(request: HttpRequest, out: Outcome) -> dict[str, Any]:
    """The posted run form; the choices the services leave open are checked here."""
    form: dict[str, Any] = {**posted(request, "period", "timing")}
    form["fee_items"] = request.POST.getlist("fee_items")
    if form["timing"] not in Timing.values:
        out.add("timing", _("Choose prepaid or postpaid."))
    if not form["fee_items"]:
        # The service would bill every recurring item; the form asks for a choice.
        out.add("fee_items", _("Choose at least one fee item."))
    return form


@staff_view
def run_new(request: HttpRequest) -> HttpResponse:
    """The new-run form; posting it shows the preview (nothing is written until confirmed)."""
    community = community_for(request, Cap.BILLING_MANAGE)
    out = Outcome()
    form: dict[str, Any] = {
        "period": _next_month(),
        "timing": Timing.PREPAID,
        "fee_items": [str(i.pk) for i in _recurring_items(request, community)],
    }
    if request.method == "POST":
        form = _run_form(request, out)
        call(
            services.billing_run_preview,
            out,
            actor=request.user,
            community_id=community.pk,
            period=form["period"],
            fee_item_ids=form["fee_items"],
        )
        if out.ok:
            preview = out.value
            names = {i.pk: i.name for i in _run_items(request, community)}
            return render(
                request,
                "console/billing/run_preview.html",
                {
                    "tab": "runs",
                    "community": community,
                    "form": form,
                    "timing_label": Timing(form["timing"]).label,
                    "preview": preview,
                    "sample": [
                        (line, names.get(line.fee_item_id, "")) for line in preview["sample"]
                    ],
                },
            )
    return render(
        request,
        "console/billing/run_new.html",
        _form_context(request, community, form, out),
        status=400 if not out.ok else 200,
    )


@staff_view
@require_POST
def run_start(request: HttpRequest) -> HttpResponse:
    """Confirm the previewed run: it is queued for the worker and billed chunk by chunk."""
    community = community_for(request, Cap.BILLING_MANAGE)
    out = Outcome()
    form = _run_form(request, out)
    call(
        services.billing_run_start,
        out,
        actor=request.user,
        community_id=community.pk,
        period=form["period"],
        fee_item_ids=form["fee_items"],
        timing=form["timing"],
        background=True,
    )
    if out.ok:
        messages.success(request, _("The billing run has started."))
        return redirect("console:billing:run-detail", pk=out.value.pk)
    return render(
        request,
        "console/billing/run_new.html",
        _form_context(request, community, form, out),
        status=400,
    )


def _run_context(request: HttpRequest, run: BillingRun) -> dict[str, Any]:
    queued = run.state != RunState.DONE and selectors.run_is_queued(run)
    percent = round(100 * run.houses_done / run.houses_total) if run.houses_total else 0
    return {
        "run": run,
        "percent": min(percent, 100),
        "queued": queued,
        "polling": run.state == RunState.RUNNING and queued,
        "can_resume": user_can(request.user, Cap.BILLING_MANAGE)
        and (run.state == RunState.FAILED or (run.state == RunState.RUNNING and not queued)),
    }


@staff_view
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    community_for(request, Cap.BILLING_VIEW)
    run = selectors.run_get_for_user(request.user, pk)
    items = list(FeeItem.objects.filter(pk__in=run.fee_item_ids).order_by("sort", "pk"))
    return render(
        request,
        "console/billing/run_detail.html",
        {"tab": "runs", "items": items, **_run_context(request, run)},
    )


@staff_view
def run_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress bar htmx polls while the worker bills."""
    community_for(request, Cap.BILLING_VIEW)
    run = selectors.run_get_for_user(request.user, pk)
    return render(request, "console/billing/_run_progress.html", _run_context(request, run))


@staff_view
@require_POST
def run_resume(request: HttpRequest, pk: int) -> HttpResponse:
    community_for(request, Cap.BILLING_MANAGE)
    out = call(services.billing_run_resume, actor=request.user, run_id=pk, background=True)
    if out.ok:
        messages.success(request, _("The billing run carries on from where it stopped."))
    else:
        reasons = [m for ms in out.errors.values() for m in ms]
        messages.error(request, out.message or "; ".join(reasons))
    return redirect("console:billing:run-detail", pk=pk)
