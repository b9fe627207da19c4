"""Staff console of arrears and collection: reports, the collectors' worklist, legal files,
the dunning ladder's settings and the income and expenditure statements (R-FEE-3..6).

Thin views: parse, call one service or selector, render. Every page needs
`billing.view`; the services check `billing.collect` (acting on a household)
and `billing.manage` (configuring the ladder, publishing) themselves, and a
refusal there becomes a 403 through `staff_view`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from propdesk.accounts.roles import Cap
from propdesk.accounts.selectors import current_community, require, user_can
from propdesk.billing import dunning, legal, publication, reports
from propdesk.billing.models import (
    ContactAnswer,
    DunningAction,
    DunningStep,
    LineKind,
    PlanState,
)
from propdesk.console.views import staff_view
from propdesk.core.errors import Conflict, Invalid
from propdesk.estates.models import Community
from propdesk.estates.selectors import buildings_visible_to

from . import charts

# The console's navigation (console/nav.py) shows these; named here so this catalogue has them.
NAV_LABELS = (gettext_lazy("Collection"), gettext_lazy("Arrears reports"))
MAX_ROWS = 1000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _community(request: HttpRequest) -> Community:
    require(request.user, Cap.BILLING_VIEW)
    community = current_community(request)
    if community is None:
        raise Http404
    return community


def _today(community: Community) -> dt.date:
    return timezone.localtime(timezone.now(), reports.community_tz(community)).date()


def _date(raw: str | None, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat((raw or "").strip()) if raw else default
    except ValueError:
        return default


def _act(request: HttpRequest, fn: Callable[..., Any], ok: str, **kwargs: Any) -> Any:
    """Call a service; show its refusal (field and reason) as messages, or `ok`."""
    try:
        result = fn(**kwargs)
    except Invalid as exc:
        for field, reasons in exc.errors.items():
            for reason in reasons:
                messages.error(request, f"{field}: {reason}")
        return None
    except Conflict as exc:
        messages.error(request, str(exc.message))
        return None
    messages.success(request, ok)
    return result


def _xlsx(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- reports ---------------------------------------------------------------------------


@staff_view
def arrears(request: HttpRequest) -> HttpResponse:
    """Arrears by age: the community, its buildings, a building's houses (drill-down)."""
    community = _community(request)
    as_of = _date(request.GET.get("as_of"), _today(community))
    building_id: int | None = None
    building_name = ""
    if request.GET.get("building"):
        building = (
            buildings_visible_to(request.user, community_id=community.pk)
            .filter(pk=request.GET["building"])
            .first()
        )
        if building is None:
            raise Http404
        building_id, building_name = building.pk, building.name
    level = "house" if building_id else request.GET.get("level", "building")
    if level not in reports.LEVELS:
        level = "building"
    report = reports.arrears_by_age(
        request.user,
        level=level,
        community_id=community.pk,
        building_id=building_id,
        as_of=as_of,
    )
    if request.GET.get("format") == "xlsx":
        return _xlsx(reports.arrears_xlsx(report), f"arrears-{community.code}-{as_of}.xlsx")
    legend = [str(label) for _key, label in reports.BUCKETS]
    rows = report.rows
    if len(rows) > MAX_ROWS:
        # A whole community house by house: the largest arrears on screen, every house in Excel.
        rows = sorted(rows, key=lambda r: r.total, reverse=True)[:MAX_ROWS]
    chart = charts.stacked_bars([(r.label, r.buckets()) for r in rows], legend=legend)
    return render(
        request,
        "console/collection/arrears.html",
        {
            "tab": "arrears",
            "community": community,
            "report": report,
            "rows": rows,
            "cut": len(report.rows) - len(rows),
            "chart": chart,
            "buckets": legend,
            "as_of": as_of,
            "building_id": building_id,
            "building_name": building_name,
            "level": level,
        },
    )


@staff_view
def rate(request: HttpRequest) -> HttpResponse:
    """The collection rate (收缴率) of a year, month by month, and of past years' arrears."""
    community = _community(request)
    today = _today(community)
    as_of = _date(request.GET.get("as_of"), today)
    try:
        year = int(request.GET.get("year") or as_of.year)
    except ValueError:
        year = as_of.year
    try:
        report = reports.collection_rate(
            request.user, community_id=community.pk, year=year, as_of=as_of
        )
    except Invalid as exc:
        messages.error(request, str(exc.message))
        return redirect("console:collection:rate")
    if request.GET.get("format") == "xlsx":
        return _xlsx(
            reports.collection_rate_xlsx(report), f"collection-rate-{community.code}-{year}.xlsx"
        )
    chart = charts.month_columns(
        [(f"{m.month}", m.rate, m.cum_rate) for m in report.total.months],
        legend=(_("Rate of the month's bills"), _("Rate to date")),
    )
    past_chart = charts.month_columns(
        [(f"{n}", None, pct) for n, _amount, pct in report.total.past_months()],
        legend=("", _("Rate of past arrears")),
    )
    return render(
        request,
        "console/collection/rate.html",
        {
            "tab": "rate",
            "community": community,
            "report": report,
            "chart": chart,
            "past_chart": past_chart,
            "as_of": as_of,
            "year": year,
            "years": list(range(today.year - 4, today.year + 1)),
        },
    )


# --- the collectors' worklist --------------------------------------------------------------


@staff_view
def worklist(request: HttpRequest) -> HttpResponse:
    community = _community(request)
    today = _today(community)
    rows = list(dunning.worklist(request.user, community_id=community.pk, today=today)[:500])
    legal_cases = (
        dunning.cases_visible_to(request.user, community_id=community.pk)
        .filter(state="legal")
        .select_related("house")
        .order_by("house__label")
    )
    suspended = (
        dunning.cases_visible_to(request.user, community_id=community.pk)
        .filter(state="suspended")
        .select_related("house", "step")
        .order_by("house__label")
    )
    return render(
        request,
        "console/collection/worklist.html",
        {
            "tab": "worklist",
            "community": community,
            "today": today,
            "rows": rows,
            "legal_cases": legal_cases,
            "suspended": suspended,
            "counts": dunning.case_counts(request.user, community_id=community.pk),
            "last_run": dunning.last_run(community.pk),
            "can_manage": user_can(request.user, Cap.BILLING_MANAGE),
        },
    )


@staff_view
@require_POST
def run_now(request: HttpRequest) -> HttpResponse:
    """Run today's ladder for the community at once (it is idempotent: the worker's run adds nothing)."""
    community = _community(request)
    require(request.user, Cap.BILLING_MANAGE)
    counts = dunning.dunning_run(community_id=community.pk, today=_today(community))
    messages.success(
        request,
        _("Ladder run: %(opened)d opened, %(closed)d closed, %(sms)d SMS, %(due)d due.") % counts,
    )
    return redirect("console:collection:worklist")


@staff_view
def house(request: HttpRequest, pk: int) -> HttpResponse:
    """One household's collection: what it owes, its case, every contact, plan and letter."""
    community = _community(request)
    today = _today(community)
    if request.method == "POST":
        _house_action(request, pk, today)
        return redirect("console:collection:house", pk=pk)
    data = dunning.house_collection(request.user, pk)
    case = data["open_case"]
    events = (
        list(case.events.select_related("actor", "step").order_by("-at", "-id")) if case else []
    )
    owed = reports.arrears_by_age(
        request.user,
        level="house",
        community_id=data["house"].community_id,
        building_id=data["house"].building_id,
        as_of=today,
    )
    owed_row = next((r for r in owed.rows if r.key == data["house"].pk), None)
    return render(
        request,
        "console/collection/house.html",
        {
            "tab": "worklist",
            "community": community,
            "today": today,
            "d": data,
            "case": case,
            "events": events,
            "owed": owed_row,
            "buckets": [str(label) for _key, label in reports.BUCKETS],
            "hows": [("phone", _("Phone call")), ("sms", _("SMS")), ("visit", _("Door visit"))],
            "answers": ContactAnswer.choices,
            "unsent": next((x for x in data["letters"] if x.sent_on is None), None),
            "active_plan": next((p for p in data["plans"] if p.state == PlanState.ACTIVE), None),
            "allowed": dunning.allowed_actions(case.state) if case else [],
            "can_collect": user_can(request.user, Cap.BILLING_COLLECT),
        },
    )


def _house_action(request: HttpRequest, pk: int, today: dt.date) -> None:
    action = request.POST.get("action", "")
    p = request.POST
    if action == "contact":
        _act(
            request,
            dunning.contact_log_add,
            _("Contact logged."),
            actor=request.user,
            house_id=pk,
            how=p.get("how", ""),
            answer=p.get("answer", ""),
            promise_date=p.get("promise_date") or None,
            note=p.get("note", ""),
        )
    elif action == "plan_start":
        instalments = [
            (due, amount)
            for due, amount in zip(p.getlist("due"), p.getlist("amount"), strict=False)
            if due.strip() or amount.strip()
        ]
        _act(
            request,
            dunning.payment_plan_start,
            _("Payment plan started; the ladder waits while it is kept."),
            actor=request.user,
            house_id=pk,
            instalments=instalments,
            note=p.get("note", ""),
        )
    elif action == "plan_stop":
        _act(
            request,
            dunning.payment_plan_stop,
            _("Payment plan stopped."),
            actor=request.user,
            plan_id=p.get("plan", ""),
            reason=p.get("reason", ""),
        )
    elif action == "letter_create":
        _act(
            request,
            dunning.dunning_letter_create,
            _("Dunning letter numbered: print it and send it by express mail."),
            actor=request.user,
            case_id=p.get("case", ""),
        )
    elif action == "letter_send":
        _act(
            request,
            dunning.dunning_letter_send,
            _("Letter recorded as sent."),
            actor=request.user,
            letter_id=p.get("letter", ""),
            express_company=p.get("express_company", ""),
            tracking_number=p.get("tracking_number", ""),
            sent_on=p.get("sent_on") or None,
        )
    elif action == "legal":
        _act(
            request,
            dunning.dunning_case_legal,
            _("The case goes to legal collection."),
            actor=request.user,
            case_id=p.get("case", ""),
            note=p.get("note", ""),
        )
    else:
        messages.error(request, _("Unknown action."))


@staff_view
def letter_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    _community(request)
    letter = dunning.letter_get_for_user(request.user, pk)
    response = HttpResponse(legal.letter_pdf(letter), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{letter.number}.pdf"'
    return response


# --- legal-collection files (R-FEE-5) -----------------------------------------------------------


@staff_view
def legal_files(request: HttpRequest) -> HttpResponse:
    """Choose households (legal cases first) and download their file as one zip."""
    community = _community(request)
    if request.method == "POST":
        ids = request.POST.getlist("house")
        try:
            blob = legal.legal_file(request.user, ids, as_of=_today(community))
        except Invalid as exc:
            messages.error(request, str(exc.message))
            return redirect("console:collection:legal")
        response = HttpResponse(blob, content_type="application/zip")
        name = f"legal-{community.code}-{_today(community)}.zip"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    cases = (
        dunning.cases_visible_to(request.user, community_id=community.pk)
        .exclude(state="closed")
        .select_related("house", "step")
        .order_by("-state", "house__label")
    )
    return render(
        request,
        "console/collection/legal.html",
        {
            "tab": "legal",
            "community": community,
            "cases": cases[:1000],
            "can_collect": user_can(request.user, Cap.BILLING_COLLECT),
        },
    )


# --- the ladder's settings ----------------------------------------------------------------------


@staff_view
def steps(request: HttpRequest) -> HttpResponse:
    community = _community(request)
    p = request.POST
    if request.method == "POST":
        if p.get("action") == "policy":
            _act(
                request,
                dunning.collection_policy_set,
                _("Saved."),
                actor=request.user,
                community_id=community.pk,
                service_contract_ref=p.get("service_contract_ref", ""),
                creditor_name=p.get("creditor_name", ""),
            )
        else:
            _act(
                request,
                dunning.dunning_step_set,
                _("Step saved."),
                actor=request.user,
                community_id=community.pk,
                order=p.get("order", ""),
                action=p.get("step_action", ""),
                wait_days=p.get("wait_days", ""),
                counts_from=p.get("counts_from") or None,
                min_overdue=p.get("min_overdue", ""),
                optional=p.get("optional") == "on",
                auto_sms=p.get("auto_sms") == "on",
                is_active=p.get("is_active") == "on",
            )
        return redirect("console:collection:steps")
    from propdesk.billing.models import CollectionPolicy

    return render(
        request,
        "console/collection/steps.html",
        {
            "tab": "steps",
            "community": community,
            "steps": DunningStep.objects.filter(community=community).order_by("order"),
            "policy": CollectionPolicy.objects.filter(community=community).first(),
            "actions": DunningAction.choices,
            "can_manage": user_can(request.user, Cap.BILLING_MANAGE),
        },
    )


# --- income and expenditure (R-FEE-6) -------------------------------------------------------------


def _parse_lines(text: str) -> list[tuple[str, str, str]]:
    """Lines typed as “收入, 物业服务费, 1200.00”, one per line (kind may be 收入/支出)."""
    rows = []
    for raw in text.splitlines():
        parts = [x.strip() for x in raw.replace("，", ",").split(",")]
        if not any(parts):
            continue
        parts += [""] * (3 - len(parts))
        kind = publication.KIND_WORDS.get(parts[0].lower(), parts[0])
        rows.append((kind, parts[1], parts[2].replace(" ", "")))
    return rows


@staff_view
def statements(request: HttpRequest) -> HttpResponse:
    community = _community(request)
    p = request.POST
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is not None:
            statement = _act(
                request,
                publication.income_statement_import,
                _("Figures imported."),
                actor=request.user,
                community_id=community.pk,
                period=p.get("period", ""),
                title=p.get("title", ""),
                filename=upload.name or "",
                content=upload.read(),
            )
        else:
            statement = _act(
                request,
                publication.income_statement_save,
                _("Figures saved."),
                actor=request.user,
                community_id=community.pk,
                period=p.get("period", ""),
                title=p.get("title", ""),
                note=p.get("note", ""),
                lines=_parse_lines(p.get("lines", "")),
            )
        if statement is not None:
            return redirect("console:collection:statement", pk=statement.pk)
        return redirect(reverse("console:collection:statements"))
    return render(
        request,
        "console/collection/statements.html",
        {
            "tab": "statements",
            "community": community,
            "statements": publication.statements_visible_to(
                request.user, community_id=community.pk
            ),
            "can_manage": user_can(request.user, Cap.BILLING_MANAGE),
        },
    )


@staff_view
def statement(request: HttpRequest, pk: int) -> HttpResponse:
    community = _community(request)
    item = publication.statement_get_for_user(request.user, pk)
    if request.method == "POST":
        _act(
            request,
            publication.income_statement_publish,
            _("Published to the owners."),
            actor=request.user,
            statement_id=item.pk,
        )
        return redirect("console:collection:statement", pk=item.pk)
    lines = list(item.lines.all())
    text = "\n".join(
        f"{'收入' if line.kind == LineKind.INCOME else '支出'}, {line.category}, {line.amount}"
        for line in lines
    )
    return render(
        request,
        "console/collection/statement.html",
        {
            "tab": "statements",
            "community": community,
            "s": item,
            "income": [x for x in lines if x.kind == LineKind.INCOME],
            "expenditure": [x for x in lines if x.kind == LineKind.EXPENDITURE],
            "totals": publication.statement_totals(item),
            "lines_text": text,
            "can_manage": user_can(request.user, Cap.BILLING_MANAGE),
        },
    )
