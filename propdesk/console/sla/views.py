"""Staff screens of the deadlines: policies per community, working hours and the
calendar, the compliance report and its Excel file. Thin: parse, call one
service or selector, render."""

from __future__ import annotations

import calendar as month_calendar
import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from propdesk.accounts.roles import Cap
from propdesk.accounts.selectors import communities_visible_to, current_community, user_can
from propdesk.console.views import staff_view
from propdesk.core.errors import Conflict, Invalid
from propdesk.sla import config
from propdesk.sla.models import Policy, TargetKind
from propdesk.sla.reports import (
    BREAKDOWNS,
    clocks_about_to_breach,
    compliance,
    compliance_xlsx,
    may_see_compliance,
    return_visit_coverage,
)
from propdesk.sla.selectors import (
    calendar_days,
    calendar_settings,
    policy_get_for_config,
    policy_precedence,
)

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CALENDAR_DAYS = 60
AT_RISK_WITHIN = dt.timedelta(hours=4)


def _community_or_home(request: HttpRequest) -> Any:
    community = current_community(request)
    if community is None:
        messages.error(request, _("Choose a community first."))
    return community


# --- policies ----------------------------------------------------------------------------


@staff_view
def policies(request: HttpRequest) -> HttpResponse:
    community = _community_or_home(request)
    if community is None:
        return redirect("console:home")
    groups = policy_precedence(request.user, community_id=community.id)
    return render(request, "console/sla/policies.html", {"community": community, "groups": groups})


@staff_view
@require_POST
def policy_customise(request: HttpRequest, pk: int) -> HttpResponse:
    community = _community_or_home(request)
    if community is None:
        return redirect("console:home")
    try:
        copy = config.policy_customise(actor=request.user, community_id=community.id, policy_id=pk)
    except Conflict as exc:
        messages.error(request, str(exc.message))
        existing = exc.details.get("policy_id")
        if existing:
            return redirect("console:sla:policy-edit", pk=existing)
        return redirect("console:sla:policies")
    messages.success(
        request,
        _("%(community)s now has its own copy of %(code)s; edit it below.")
        % {"community": community.name, "code": copy.code},
    )
    return redirect("console:sla:policy-edit", pk=copy.pk)


def _target_form(policy: Policy) -> dict[str, Any]:
    """The stored minutes shown in the largest whole unit (working days: days)."""
    minutes, start = policy.target_minutes, policy.window_start_minutes
    if policy.target_kind == TargetKind.WORKING_DAYS:
        return {"target": minutes, "target_unit": "days", "window_start": ""}
    for unit in ("days", "hours", "minutes"):
        size = config.UNIT_MINUTES[unit]
        if unit == "days" and policy.target_kind == TargetKind.WORKING:
            continue
        if minutes % size == 0 and start % size == 0:
            return {
                "target": minutes // size if minutes else "",
                "target_unit": unit,
                "window_start": start // size,
            }
    return {"target": minutes, "target_unit": "minutes", "window_start": start}


@staff_view
def policy_edit(request: HttpRequest, pk: int) -> HttpResponse:
    policy = policy_get_for_config(request.user, pk)
    errors: dict[str, list[Any]] = {}
    form: dict[str, Any] = {
        "name": policy.name,
        "target_kind": policy.target_kind,
        "warn_ratio": policy.warn_ratio,
        "escalate_to": list(policy.escalate_to or []),
        "is_active": policy.is_active,
        **_target_form(policy),
    }
    status = 200
    if request.method == "POST":
        post = request.POST
        form = {
            "name": post.get("name", ""),
            "target_kind": post.get("target_kind", ""),
            "target": post.get("target", ""),
            "target_unit": post.get("target_unit", "minutes"),
            "window_start": post.get("window_start", ""),
            "warn_ratio": post.get("warn_ratio", ""),
            "escalate_to": post.getlist("escalate_to"),
            "is_active": post.get("is_active") == "on",
        }
        kind = form["target_kind"]
        try:
            config.policy_update(
                actor=request.user,
                policy_id=policy.pk,
                name=form["name"],
                target_kind=kind,
                target=form["target"] if kind not in config.NO_AMOUNT_KINDS else None,
                target_unit=form["target_unit"],
                window_start=form["window_start"] if kind == TargetKind.WINDOW else None,
                warn_ratio=form["warn_ratio"],
                escalate_to=form["escalate_to"],
                is_active=form["is_active"],
            )
        except Invalid as exc:
            errors, status = exc.errors, 400
        else:
            messages.success(
                request, _("Policy saved. It applies to deadlines started from now on.")
            )
            return redirect("console:sla:policies")
    return render(
        request,
        "console/sla/policy_edit.html",
        {
            "policy": policy,
            "form": form,
            "errors": errors,
            "kinds": TargetKind.choices,
            "units": config.TARGET_UNITS,
            "escalations": config.ESCALATE_TO,
            "levels": list(policy.levels.all()),
        },
        status=status,
    )


# --- working hours and calendar ----------------------------------------------------------


def _calendar_page(
    request: HttpRequest, community: Any, *, errors: dict[str, Any] | None = None, **extra: Any
) -> HttpResponse:
    today = timezone.localdate(timezone=community.tzinfo)
    settings = calendar_settings(request.user, community_id=community.id, today=today)
    days = calendar_days(request.user, community_id=community.id, start=today, days=CALENDAR_DAYS)
    # Whole weeks, Monday first, so the days sit under their weekday.
    lead = [None] * days[0].date.weekday()
    cells = lead + list(days)
    weeks = [cells[i : i + 7] for i in range(0, len(cells), 7)]
    context = {
        "community": community,
        "settings": settings,
        "weeks": weeks,
        "errors": errors or {},
        "may_set_all": config.may_set_every_community(request.user),
        "hours_text": "\n".join(settings.intervals),
        "weekdays": [WEEKDAYS_ABBR[i] for i in range(7)],
        **extra,
    }
    return render(request, "console/sla/calendar.html", context, status=400 if errors else 200)


@staff_view
def calendar(request: HttpRequest) -> HttpResponse:
    community = _community_or_home(request)
    if community is None:
        return redirect("console:home")
    return _calendar_page(request, community)


@staff_view
@require_POST
def hours(request: HttpRequest) -> HttpResponse:
    community = _community_or_home(request)
    if community is None:
        return redirect("console:home")
    text = request.POST.get("intervals", "")
    try:
        config.hours_set(actor=request.user, community_id=community.id, intervals=text)
    except Invalid as exc:
        return _calendar_page(request, community, errors=exc.errors, hours_posted=text)
    messages.success(request, _("Working hours saved."))
    return redirect("console:sla:calendar")


@staff_view
@require_POST
def override_add(request: HttpRequest) -> HttpResponse:
    community = _community_or_home(request)
    if community is None:
        return redirect("console:home")
    post = request.POST
    try:
        config.override_set(
            actor=request.user,
            community_id=None if post.get("scope") == "all" else community.id,
            date=post.get("date", ""),
            is_workday=post.get("is_workday", ""),
            note=post.get("note", ""),
        )
    except Invalid as exc:
        return _calendar_page(request, community, errors=exc.errors, override_posted=post)
    except Conflict as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Date saved."))
    return redirect("console:sla:calendar")


@staff_view
@require_POST
def override_delete(request: HttpRequest, pk: int) -> HttpResponse:
    config.override_delete(actor=request.user, override_id=pk)
    messages.success(request, _("Date removed; the statutory calendar decides it again."))
    return redirect("console:sla:calendar")


# --- compliance --------------------------------------------------------------------------


def _day(raw: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(raw or ""))
    except ValueError:
        return None


def _report_params(request: HttpRequest) -> dict[str, Any]:
    """Period (default: this month), breakdown and community ("all": every one served)."""
    today = timezone.localdate()
    first = today.replace(day=1)
    last = today.replace(day=month_calendar.monthrange(today.year, today.month)[1])
    date_from = _day(request.GET.get("from")) or first
    date_to = _day(request.GET.get("to")) or last
    if date_to < date_from:
        date_from, date_to = date_to, date_from
    if (date_to - date_from).days > 366:
        date_from = date_to - dt.timedelta(days=366)
    raw = request.GET.get("community", "")
    if raw == "all":
        community_id = None
    elif raw.isdigit():
        community_id = int(raw)
    else:
        current = current_community(request)
        community_id = current.id if current else None
    by = request.GET.get("by", "policy")
    return {
        "by": by if by in BREAKDOWNS else "policy",
        "date_from": date_from,
        "date_to": date_to,
        "community_id": community_id,
    }


@staff_view
def report(request: HttpRequest) -> HttpResponse:
    p = _report_params(request)
    result = compliance(request.user, **p)
    coverage = return_visit_coverage(
        request.user,
        date_from=p["date_from"],
        date_to=p["date_to"],
        community_id=p["community_id"],
    )
    query = request.GET.copy()
    query.pop("by", None)
    return render(
        request,
        "console/sla/report.html",
        {
            "r": result,
            "coverage": coverage,
            "p": p,
            "breakdowns": BREAKDOWNS,
            "by_label": BREAKDOWNS[result.by],
            "communities": communities_visible_to(request.user),
            "query": query.urlencode(),
            "can_export": user_can(request.user, Cap.DATA_EXPORT),
        },
    )


@staff_view
def report_xlsx(request: HttpRequest) -> HttpResponse:
    p = _report_params(request)
    p.pop("by")
    content = compliance_xlsx(request.user, **p)
    name = f"compliance-{p['date_from']:%Y%m%d}-{p['date_to']:%Y%m%d}.xlsx"
    response = HttpResponse(content, content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def at_risk_panel(request: HttpRequest, community: Any) -> dict[str, Any]:
    """The console home's "about to breach" panel, for those who watch deadlines."""
    if community is None or not may_see_compliance(request.user):
        return {}
    rows = clocks_about_to_breach(request.user, within=AT_RISK_WITHIN, community_id=community.id)
    return {"at_risk": rows, "at_risk_hours": int(AT_RISK_WITHIN.total_seconds() // 3600)}
