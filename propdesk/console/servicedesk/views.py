"""Staff screens of the service desk: intake, queues, the case page, the technician's
phone view, return visits and the printable work order. Thin: parse, call one
service or selector, render."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBase, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from propdesk.accounts.models import Department, User, UserKind
from propdesk.accounts.roles import Cap, Role
from propdesk.accounts.selectors import capabilities_of, current_community, require, user_can
from propdesk.console.views import staff_view
from propdesk.core.choices import labels
from propdesk.core.errors import Conflict, DomainError, Invalid
from propdesk.customers.selectors import customers_list_rows, customers_visible_to
from propdesk.estates.selectors import building_choices, buildings_visible_to, houses_visible_to
from propdesk.servicedesk import services
from propdesk.servicedesk.actions import ACTIONS, run_action
from propdesk.servicedesk.models import (
    OPEN_STATUSES,
    CaseKind,
    CaseStatus,
    Channel,
    Priority,
    Severity,
)
from propdesk.servicedesk.selectors import (
    QUEUES,
    QueueFilters,
    allowed_transitions,
    case_events,
    case_get_for_user,
    case_queue,
    case_return_visits,
    categories_for,
    house_open_cases,
    house_recent_visits,
    reply_templates_for,
    return_visit_summary,
    return_visits_due,
    routing_for,
    service_items_for,
)
from propdesk.servicedesk.workflow import WORKFLOWS
from propdesk.sla.selectors import case_clocks

from .fields import FIELDS, FieldMeta

PAGE = 50


def _int(raw: Any) -> int | None:
    raw = str(raw or "").strip()
    return int(raw) if raw.isdigit() else None


def _staff_of(community_id: int) -> list[User]:
    return list(
        User.objects.filter(kind=UserKind.STAFF, is_active=True, scopes__community_id=community_id)
        .select_related("department")
        .order_by("department_id", "display_name")
    )


def _departments(community: Any) -> list[Department]:
    return list(
        Department.objects.filter(company_id=community.company_id)
        .filter(community__isnull=True)
        .union(Department.objects.filter(company_id=community.company_id, community=community))
        .order_by("name")
    )


@staff_view
def queue(request: HttpRequest) -> HttpResponse:
    require(request.user, Cap.CASES_VIEW)
    community = current_community(request)
    name = request.GET.get("queue", "open")
    name = name if name in QUEUES else "open"
    filters = QueueFilters.from_params(request.GET)
    offset = _int(request.GET.get("offset")) or 0
    qs = case_queue(
        request.user, queue=name, community_id=community.id if community else None, filters=filters
    )
    now = timezone.now()
    rows = _queue_rows(qs, offset, now=now)
    params = request.GET.copy()
    params.pop("offset", None)
    return render(
        request,
        "console/servicedesk/queue.html",
        {
            "queues": QUEUES,
            "queue": name,
            "rows": rows[:PAGE],
            "has_next": len(rows) > PAGE,
            "next_offset": offset + PAGE,
            "prev_offset": max(offset - PAGE, 0) if offset else None,
            "params": params.urlencode(),
            "f": filters,
            "kinds": CaseKind.choices,
            "statuses": CaseStatus.choices,
            # The process's copy of the company's active categories (routing_memo), in
            # the order `categories_for` gives; no query per page.
            "categories": list(routing_for(community.company_id).categories.values())
            if community
            else categories_for(None),
            "buildings": building_choices(request.user, community_id=community.id)
            if community
            else [],
            "staff": _staff_of(community.id) if community else [],
            "can_dispatch": user_can(request.user, Cap.CASES_DISPATCH),
        },
    )


# What a queue row shows: the page loads these columns and nothing else.
QUEUE_ROW_FIELDS = (
    "id",
    "community_id",
    "number",
    "kind",
    "severity",
    "status",
    "title",
    "location",
    "received_at",
    "due_at",
    "house__label",
    "building__name",
    "assignee__username",
    "assignee__display_name",
)


def _queue_rows(qs: Any, offset: int, *, now: dt.datetime) -> list[Any]:
    """One page (+1 to know there is a next) with what each row shows prepared once
    per page: labels looked up, times formatted by `strftime` and the case's link
    filled in, not resolved by the template 50 times each (`{% url %}` and `|date`
    were a fifth of the page's time)."""
    rows = list(
        qs.select_related(None)
        .select_related("house", "building", "assignee")
        .only(*QUEUE_ROW_FIELDS)[offset : offset + PAGE + 1]
    )
    kinds, statuses, severities = labels(CaseKind), labels(CaseStatus), labels(Severity)
    link = reverse("console:servicedesk:case", args=[_LINK_PK])
    tz = timezone.get_current_timezone()
    for row in rows:
        row.kind_label = kinds.get(row.kind, row.kind)
        row.status_label = statuses.get(row.status, row.status)
        row.severity_label = severities.get(row.severity, row.severity)
        row.url = link.replace(str(_LINK_PK), str(row.pk))
        row.received_text = row.received_at.astimezone(tz).strftime("%m-%d %H:%M")
        row.due_text = row.due_at.astimezone(tz).strftime("%m-%d %H:%M") if row.due_at else ""
        row.overdue = row.due_at is not None and row.due_at < now
    return rows


_LINK_PK = 987654321  # reversed once per page, then each row's id put in its place


@staff_view
@require_POST
def bulk_assign(request: HttpRequest) -> HttpResponse:
    """Assign many cases to one technician: dispatch the received, reassign the dispatched."""
    require(request.user, Cap.CASES_DISPATCH)
    assignee = request.POST.get("assignee_id", "")
    done, failed = 0, []
    for case_id in request.POST.getlist("case"):
        try:
            services.case_assign(actor=request.user, case_id=case_id, assignee_id=assignee)
            done += 1
        except DomainError as exc:
            failed.append(f"{case_id}: {_message(exc)}")
    if done:
        messages.success(request, _("%(n)d cases assigned.") % {"n": done})
    for line in failed:
        messages.error(request, line)
    return redirect(request.POST.get("next") or "console:servicedesk:queue")


def _message(exc: DomainError) -> str:
    if isinstance(exc, Invalid):
        return "; ".join(
            f"{FIELDS[f].label if f in FIELDS else f}: {m}"
            for f, ms in exc.errors.items()
            for m in ms
        )
    return str(exc.message)


INTAKE_FIELDS = (
    "kind",
    "channel",
    "customer_id",
    "house_id",
    "building_id",
    "location",
    "reporter_name",
    "reporter_phone",
    "category_id",
    "severity",
    "priority",
    "title",
    "description",
    "appointment_start",
    "appointment_end",
    "requested_by",
    "complained_party",
    "service_item_id",
    "quantity",
    "immediate_action",
)


@staff_view
def intake(request: HttpRequest) -> HttpResponse:
    """One screen for the phone: caller → kind and category → description → save."""
    require(request.user, Cap.CASES_INTAKE)
    community = current_community(request)
    if community is None:
        messages.error(request, _("Choose a community first."))
        return redirect("console:home")
    errors: dict[str, list[Any]] = {}
    data: dict[str, Any] = {"kind": request.GET.get("kind", "repair"), "channel": "phone"}
    if request.GET.get("customer"):
        data["customer_id"] = request.GET["customer"]
    if request.GET.get("house"):
        data["house_id"] = request.GET["house"]
    if request.method == "POST":
        data = {k: request.POST.get(k, "") for k in INTAKE_FIELDS}
        try:
            case = services.case_create(
                actor=request.user,
                community_id=community.id,
                **{
                    k: v
                    for k, v in data.items()
                    if v not in ("", None) or k in ("kind", "channel", "description")
                },
            )
        except Invalid as exc:
            errors = exc.errors
        else:
            messages.success(request, _("Case %(number)s saved.") % {"number": case.number})
            return redirect("console:servicedesk:case", pk=case.pk)
    customer = None
    customer_pk, house_pk = _int(data.get("customer_id")), _int(data.get("house_id"))
    if customer_pk is not None:
        customer = customers_list_rows(
            customers_visible_to(request.user).filter(pk=customer_pk)
        ).first()
    houses = []
    if customer is not None:
        houses = [o.house for o in customer.current_occupancies]  # type: ignore[attr-defined]
    elif house_pk is not None:
        houses = list(houses_visible_to(request.user).filter(pk=house_pk))
    if houses and not data.get("house_id"):
        data["house_id"] = houses[0].pk
    return render(
        request,
        "console/servicedesk/intake.html",
        {
            "data": data,
            "errors": errors,
            "customer": customer,
            "houses": houses,
            "kinds": CaseKind.choices,
            "channels": Channel.choices,
            "severities": Severity.choices,
            "priorities": Priority.choices,
            "categories": categories_for(community.company_id),
            "items": service_items_for(community),
            "buildings": buildings_visible_to(request.user, community_id=community.id),
            "templates": reply_templates_for(community.company_id),
        },
    )


@staff_view
def pick_customer(request: HttpRequest) -> HttpResponse:
    """htmx: customers matching what the caller says, with their houses."""
    require(request.user, Cap.CASES_INTAKE)
    community = current_community(request)
    q = request.GET.get("q", "").strip()[:40]
    rows: list[Any] = []
    hits = _quick_search(request.user, q, community.id if community else None)
    if hits is not None:
        return render(request, "console/servicedesk/_pick_hits.html", {"hits": hits, "q": q})
    if q:
        rows = list(
            customers_list_rows(
                customers_visible_to(
                    request.user, community_id=community.id if community else None, query=q
                )
            )[:10]
        )
    return render(request, "console/servicedesk/_pick_customer.html", {"rows": rows, "q": q})


def _quick_search(user: Any, q: str, community_id: int | None) -> list[Any] | None:
    """The front desk's one-box search (issue 3) when it is installed; None otherwise."""
    if not q:
        return None
    try:
        from propdesk.customers.search import quick_search
    except ImportError:
        return None
    return list(quick_search(user, q, community_id=community_id, limit=10))


@staff_view
def house_panel(request: HttpRequest) -> HttpResponse:
    """htmx: the house's open cases and last return visits, so duplicates are noticed."""
    require(request.user, Cap.CASES_VIEW)
    house_id = _int(request.GET.get("house_id"))
    return render(
        request,
        "console/servicedesk/_house_panel.html",
        {
            "open_cases": house_open_cases(request.user, house_id) if house_id else [],
            "visits": house_recent_visits(request.user, house_id) if house_id else [],
        },
    )


@staff_view
def technicians(request: HttpRequest) -> HttpResponse:
    """htmx: the technicians of one department, for the dispatch dialog."""
    require(request.user, Cap.CASES_DISPATCH)
    community = current_community(request)
    dept = _int(request.GET.get("department_id"))
    staff = [
        u
        for u in (_staff_of(community.id) if community else [])
        if (dept is None or u.department_id == dept)
        and u.role in {Role.TECHNICIAN, Role.DEPARTMENT_HEAD}
    ]
    # Technicians first: the first option is what a quick dispatch picks.
    staff.sort(key=lambda u: u.role != Role.TECHNICIAN)
    return render(request, "console/servicedesk/_technicians.html", {"staff": staff})


def _action_forms(
    request: HttpRequest, case: Any, errors: dict[str, list[Any]] | None, failed: str
) -> list[dict[str, Any]]:
    forms = []
    for t in allowed_transitions(request.user, case):
        spec = ACTIONS.get(t.action)
        if spec is None:
            continue
        fields = []
        for name in spec.fields:
            meta: FieldMeta = FIELDS[name]
            if t.action == "return_visit" and name == "result":
                meta = FIELDS["visit_result"]
            fields.append(
                {
                    "name": name,
                    "meta": meta,
                    "errors": (errors or {}).get(name, []) if failed == t.action else [],
                    "value": request.POST.get(name, "") if failed == t.action else "",
                }
            )
        forms.append({"t": t, "fields": fields, "open": failed == t.action})
    return forms


_EVENT_LABELS: dict[str, Any] = {
    "create": _lazy("Received"),
    "note": _lazy("Internal note"),
    "reply": _lazy("Reply"),
    "attach": _lazy("File attached"),
    "leak_test": _lazy("Leak test recorded"),
    "director_notified": _lazy("Director notified"),
    "immediate_action": _lazy("Immediate action"),
    "reclassify": _lazy("Reclassified"),
}


def _timeline(case: Any) -> list[Any]:
    actions = {name: t.label for name, t in WORKFLOWS.get(case.kind, {}).items()}
    events = case_events(case)
    statuses = labels(CaseStatus)
    for e in events:
        setattr(e, "action_label", actions.get(e.action) or _EVENT_LABELS.get(e.action, e.action))  # noqa: B010
        setattr(e, "status_label", statuses.get(e.to_status, e.to_status))  # noqa: B010
    return events


def _case_page(
    request: HttpRequest,
    pk: int,
    *,
    errors: dict[str, list[Any]] | None = None,
    failed: str = "",
    status: int = 200,
) -> HttpResponse:
    case = case_get_for_user(request.user, pk)
    community = case.community
    return render(
        request,
        "console/servicedesk/case.html",
        {
            "case": case,
            "events": _timeline(case),
            "visits": case_return_visits(case),
            "clocks": case_clocks(case),
            "materials": list(case.materials.all()),
            "attachments": list(case.attachments.all()),
            "charges": list(case.charges.all()),
            "forms": _action_forms(request, case, errors, failed),
            "errors": errors or {},
            "failed": failed,
            "departments": _departments(community),
            "staff": [
                u
                for u in _staff_of(community.pk)
                if u.role in {Role.TECHNICIAN, Role.DEPARTMENT_HEAD}
            ],
            "templates": reply_templates_for(
                community.company_id, kind=case.kind, category_id=case.category_id
            ),
            "can_note": bool(services.NOTE_CAPABILITIES & capabilities_of(request.user)),
            "can_reclassify": bool(
                {Cap.CASES_DISPATCH, Cap.CASES_HANDLE} & capabilities_of(request.user)
            ),
            "categories": categories_for(community.company_id, kind=case.kind),
            "severities": Severity.choices,
            "is_open": case.status in OPEN_STATUSES,
            "now": timezone.now(),
        },
        status=status,
    )


@staff_view
def case_page(request: HttpRequest, pk: int) -> HttpResponse:
    return _case_page(request, pk)


def _materials_from(post: QueryDict) -> list[dict[str, str]]:
    rows = zip(
        post.getlist("material_name"),
        post.getlist("material_quantity"),
        post.getlist("material_unit"),
        post.getlist("material_unit_price"),
        strict=False,
    )
    return [
        {"name": n, "quantity": q, "unit": u, "unit_price": p}
        for n, q, u, p in rows
        if n.strip() or q.strip()
    ]


@staff_view
@require_POST
def case_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Run one action of the state table from its form; errors re-render the page."""
    if action not in ACTIONS:
        return _case_page(
            request, pk, errors={"action": [_("Unknown action.")]}, failed=action, status=400
        )
    try:
        run_action(
            action,
            actor=request.user,
            case_id=pk,
            data=request.POST,
            list_getter=lambda name: (
                _materials_from(request.POST) if name == "materials" else request.POST.getlist(name)
            ),
        )
    except Invalid as exc:
        return _case_page(request, pk, errors=exc.errors, failed=action, status=400)
    except Conflict as exc:
        messages.error(request, str(exc.message))
        return _case_page(request, pk, status=409)
    next_url = request.POST.get("next")
    if next_url and next_url.startswith("/cases/"):
        return redirect(next_url)
    return redirect("console:servicedesk:case", pk=pk)


@staff_view
@require_POST
def case_note(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        services.case_note_add(
            actor=request.user,
            case_id=pk,
            text=request.POST.get("text", ""),
            public=request.POST.get("public") == "1",
        )
    except Invalid as exc:
        return _case_page(
            request, pk, errors={"text": exc.errors.get("text", [])}, failed="note", status=400
        )
    return redirect("console:servicedesk:case", pk=pk)


@staff_view
@require_POST
def case_attach(request: HttpRequest, pk: int) -> HttpResponse:
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise Invalid.field("file", _("Attach a file."))
        services.case_attachment_add(
            actor=request.user,
            case_id=pk,
            upload=upload,
            filename=upload.name or "file",
            kind=request.POST.get("kind", "photo"),
        )
    except Invalid as exc:
        return _case_page(request, pk, errors=exc.errors, failed="attach", status=400)
    next_url = request.POST.get("next")
    if next_url and next_url.startswith("/cases/"):
        return redirect(next_url)
    return redirect("console:servicedesk:case", pk=pk)


@staff_view
def attachment_file(request: HttpRequest, pk: int, attachment_id: int) -> HttpResponseBase:
    from django.http import FileResponse, Http404

    case = case_get_for_user(request.user, pk)
    attachment = case.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404
    return FileResponse(attachment.file.open("rb"), content_type=attachment.content_type)


@staff_view
def signature_file(request: HttpRequest, pk: int) -> HttpResponseBase:
    from django.http import FileResponse, Http404

    case = case_get_for_user(request.user, pk)
    if not case.signoff_image:
        raise Http404
    return FileResponse(case.signoff_image.open("rb"), content_type="image/png")


@staff_view
def jobs(request: HttpRequest) -> HttpResponse:
    """The technician's phone: today's jobs and everything open assigned to them."""
    require(request.user, Cap.CASES_VIEW)
    rows = list(
        case_queue(request.user, queue="mine").order_by("appointment_start", "received_at")[:100]
    )
    return render(request, "console/servicedesk/jobs.html", {"rows": rows, "now": timezone.now()})


@staff_view
def job(request: HttpRequest, pk: int) -> HttpResponse:
    case = case_get_for_user(request.user, pk)
    return render(
        request,
        "console/servicedesk/job.html",
        {
            "case": case,
            "actions": [t.action for t in allowed_transitions(request.user, case)],
            "attachments": list(case.attachments.all()),
        },
    )


@staff_view
def visits(request: HttpRequest) -> HttpResponse:
    require(request.user, Cap.CASES_VIEW)
    community = current_community(request)
    rows = list(
        return_visits_due(request.user, community_id=community.id if community else None)[:200]
    )
    return render(request, "console/servicedesk/visits.html", {"rows": rows, "now": timezone.now()})


@staff_view
def visit_summary(request: HttpRequest) -> HttpResponse:
    """R-REP-8: the month's return visits."""
    community = current_community(request)
    if community is None:
        return redirect("console:home")
    today = timezone.localdate()
    try:
        year, month = (int(x) for x in request.GET.get("month", "").split("-"))
        dt.date(year, month, 1)
    except ValueError:
        year, month = today.year, today.month
    summary = return_visit_summary(
        request.user, community_id=community.id, year=year, month=month, tz=community.tzinfo
    )
    return render(
        request, "console/servicedesk/visit_summary.html", {"s": summary, "community": community}
    )


@staff_view
def work_order_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    from .pdf import work_order_pdf as render_pdf

    case = case_get_for_user(request.user, pk)
    body = render_pdf(case, materials=list(case.materials.all()))
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{case.number}.pdf"'
    return response
