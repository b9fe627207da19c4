"""Every state change of a case: intake, the transitions of the state tables,
work records, sign-off, return visits, notes and attachments.

Each public function checks scope and permission, validates, locks the case,
refuses a transition the table does not allow with a `Conflict` that names the
allowed actions, writes, appends one immutable `CaseEvent` and a line on the
customer's / house's timeline — all in one transaction, so a refusal changes
nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import IO, Any

from django.core.files.base import ContentFile, File
from django.db import transaction
from django.db.models import Model, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from propdesk.accounts.models import Department, User, UserKind
from propdesk.accounts.roles import Cap, Role
from propdesk.accounts.selectors import capabilities_of, require
from propdesk.core import validation as v
from propdesk.core.crypto import encrypt
from propdesk.core.errors import Conflict, ErrorCollector, Forbidden, Invalid
from propdesk.core.identity import mask_phone, normalise_phone
from propdesk.core.money import money
from propdesk.core.numbering import number_next
from propdesk.core.queries import one_or_none
from propdesk.core.rows import PARENT_ID_TEXT, insert_family
from propdesk.core.uploads import DOCUMENT_TYPES, IMAGE_TYPES, check_upload
from propdesk.customers.models import Customer, Occupancy
from propdesk.customers.services import timeline_entry
from propdesk.estates.models import Building, House
from propdesk.estates.selectors import community_get_for_user

from . import rules
from .models import (
    AttachmentKind,
    BillingBasis,
    Case,
    CaseAttachment,
    CaseEvent,
    CaseKind,
    CaseMaterial,
    CaseStatus,
    Category,
    CauseFactor,
    Channel,
    ChargeRequest,
    ChargeState,
    Judgement,
    Priority,
    Responsibility,
    ReturnVisit,
    ServiceItem,
    Severity,
    SignoffKind,
    VisitMethod,
    VisitResult,
)
from .selectors import case_get_for_user, routing_for, service_items_for
from .workflow import REWORK_TARGET, WORKFLOWS, Transition, transitions_from

# Who may write on a case outside its transitions: notes, replies, photos, immediate actions.
NOTE_CAPABILITIES = frozenset(
    {Cap.CASES_INTAKE, Cap.CASES_WORK, Cap.CASES_HANDLE, Cap.CASES_DISPATCH}
)
ANSWER_WAYS = (
    ("phone", "phone"),
    ("visit", "visit"),
    ("sms", "sms"),
    ("portal", "portal"),
    ("letter", "letter"),
)


# --- helpers ------------------------------------------------------------------


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()


def _allowed_names(case: Case) -> str:
    names = [str(t.label) for t in transitions_from(case.kind, case.status)]
    return "、".join(names) if names else _("none")


def _transition_for(case: Case, action: str) -> Transition:
    table = WORKFLOWS.get(case.kind, {})
    t = table.get(action)
    if t is None:
        raise Conflict(
            _("A %(kind)s case has no action “%(action)s”. Allowed now: %(allowed)s.")
            % {"kind": case.get_kind_display(), "action": action, "allowed": _allowed_names(case)},
            code="invalid_transition",
            details={"allowed": [t.action for t in transitions_from(case.kind, case.status)]},
        )
    if case.status not in t.sources:
        raise Conflict(
            _(
                "The case is %(status)s; “%(action)s” is not possible from there. "
                "Allowed now: %(allowed)s."
            )
            % {
                "status": case.get_status_display(),
                "action": t.label,
                "allowed": _allowed_names(case),
            },
            code="invalid_transition",
            details={"allowed": [t.action for t in transitions_from(case.kind, case.status)]},
        )
    return t


def _check_capability(actor: Any, case: Case, t: Transition) -> None:
    caps = capabilities_of(actor)
    if not (t.capabilities & caps):
        raise Forbidden(_("You do not have the permission for this action."))
    if (
        t.assignee_only_for_workers
        and Cap.CASES_DISPATCH not in caps
        and case.assignee_id != getattr(actor, "pk", None)
    ):
        raise Forbidden(_("Only the assigned technician or a dispatcher may do this."))


def _lock(actor: Any, case_id: int | str) -> Case:
    """Scope check (NotFound for other communities), then the row lock."""
    visible = case_get_for_user(actor, case_id)
    locked = Case.objects.select_for_update().get(pk=visible.pk)
    # Keep the related objects loaded by the scoped read (labels, category flags).
    for name in (
        "community",
        "house",
        "building",
        "customer",
        "category",
        "department",
        "assignee",
    ):
        if getattr(locked, f"{name}_id") == getattr(visible, f"{name}_id"):
            setattr(locked, name, getattr(visible, name))
    return locked


def _event(case: Case, *, action: str, at: dt.datetime, **fields: Any) -> CaseEvent:
    """Write the event `_event_rows` builds from the same arguments (with its timeline
    entry), then move the case's deadline clocks for it."""
    rows = _event_rows(case, action=action, at=at, **fields)
    for row in rows:
        row.save(force_insert=True)
    # Deadlines (sla): start, stop, pause or resume the case's clocks for this event,
    # and keep `due_at` on the worst running clock so queues sort on one column.
    # (A new case's clocks are planned and written with it by case_create.)
    from propdesk.sla.services import clocks_on_event

    nearest = clocks_on_event(case, action, at=at)
    if nearest != case.due_at:
        case.due_at = nearest
        Case.objects.filter(pk=case.pk).update(due_at=nearest)
    return rows[0]  # type: ignore[return-value]


def _event_rows(
    case: Case,
    *,
    actor: Any,
    action: str,
    at: dt.datetime,
    from_status: str = "",
    to_status: str = "",
    note: str = "",
    public: bool = False,
    data: Mapping[str, Any] | None = None,
    title: str = "",
) -> list[Model]:
    """The event row and, when the case has a customer or house, their timeline entry
    (not yet saved; a case not yet saved is referred to for `core.rows.insert_family`)."""
    rows: list[Model] = [
        CaseEvent(
            case=case,
            community_id=case.community_id,
            at=at,
            actor=actor if getattr(actor, "pk", None) else None,
            action=action,
            from_status=from_status,
            to_status=to_status,
            note=note,
            is_public=public,
            data=dict(data or {}),
        )
    ]
    if case.customer_id or case.house_id:
        rows.append(
            timeline_entry(
                community_id=case.community_id,
                kind=f"case.{action}",
                title=title or f"{case.get_kind_display()} {case.number} · {action}",
                customer_id=case.customer_id,
                house_id=case.house_id,
                body=note if public or not note else "",
                actor=actor,
                ref_type="servicedesk.case",
                ref_id=str(case.pk) if case.pk is not None else PARENT_ID_TEXT,
                at=at,
            )
        )
    return rows


def _notify(
    *,
    community_id: int,
    channel: str,
    body: str,
    subject: str = "",
    staff_user_id: int | None = None,
    customer_id: int | None = None,
    to: str = "",
    case: Case,
    dedupe_key: str = "",
    now: dt.datetime,
) -> bool:
    """Queue a message in the outbox (delivered by the worker after commit)."""
    try:
        from propdesk.notify.services import outbox_enqueue
    except ImportError:  # pragma: no cover - the outbox ships with PropDesk
        return False
    kwargs: dict[str, Any] = {
        "community_id": community_id,
        "channel": channel,
        "to": to,
        "customer_id": customer_id,
        "subject": subject,
        "body": body,
        "ref_type": "servicedesk.case",
        "ref_id": str(case.pk),
        "dedupe_key": dedupe_key,
        "now": now,
    }
    if staff_user_id is not None:
        kwargs["staff_user_id"] = staff_user_id
    outbox_enqueue(**kwargs)
    return True


def _apply(
    *,
    actor: Any,
    case_id: int | str,
    action: str,
    now: dt.datetime | None,
    note: str = "",
    public: bool = False,
    data: Mapping[str, Any] | None = None,
    change: Callable[[Case, dt.datetime], Iterable[str]] | None = None,
    target: str | None = None,
    after: Callable[[Case, dt.datetime], None] | None = None,
) -> Case:
    """The one path of every transition: lock, check the table, change, event."""
    now = _now(now)
    with transaction.atomic():
        case = _lock(actor, case_id)
        t = _transition_for(case, action)
        _check_capability(actor, case, t)
        fields = set(change(case, now) if change else ())
        from_status = case.status
        case.status = target or t.target
        if case.status in {CaseStatus.CLOSED, CaseStatus.CANCELLED}:
            case.closed_at = now
            fields.add("closed_at")
        if after is not None:
            after(case, now)
        case.save(update_fields=sorted(fields | {"status", "updated_at"}))
        _event(
            case,
            actor=actor,
            action=action,
            at=now,
            from_status=from_status,
            to_status=case.status,
            note=note,
            public=public,
            data=data,
            title=f"{case.get_kind_display()} {case.number} · {t.label}",
        )
    return case


def _department(
    community_id: int,
    company_id: int,
    department_id: Any,
    errors: ErrorCollector,
    field: str = "department_id",
) -> Department | None:
    if department_id in (None, ""):
        return None
    try:
        pk = int(department_id)
    except (TypeError, ValueError):
        errors.add(field, _("Choose a department."))
        return None
    dept = Department.objects.filter(pk=pk, company_id=company_id).first()
    if dept is None or (dept.community_id not in (None, community_id)):
        errors.add(field, _("This department does not serve the case's community."))
        return None
    return dept


def _staff_member(
    case: Case, assignee_id: Any, errors: ErrorCollector, *, department: Department | None
) -> User | None:
    if assignee_id in (None, ""):
        return None
    try:
        pk = int(assignee_id)
    except (TypeError, ValueError):
        errors.add("assignee_id", _("Choose a staff member."))
        return None
    user = User.objects.filter(pk=pk, kind=UserKind.STAFF, is_active=True).first()
    if user is None or (
        not user.all_communities and not user.scopes.filter(community_id=case.community_id).exists()
    ):
        errors.add("assignee_id", _("This staff member does not serve the case's community."))
        return None
    if user.all_communities and user.company_id != case.community.company_id:
        errors.add("assignee_id", _("This staff member does not serve the case's community."))
        return None
    if department is not None and user.department_id != department.pk:
        errors.add("assignee_id", _("This staff member is not in the chosen department."))
        return None
    return user


def _appointment(
    errors: ErrorCollector,
    start: Any,
    end: Any,
    *,
    tz: dt.tzinfo,
    now: dt.datetime,
    required: bool = False,
) -> tuple[dt.datetime | None, dt.datetime | None]:
    a = v.moment(errors, "appointment_start", start, tz=tz, required=required)
    b = v.moment(errors, "appointment_end", end, tz=tz, required=required)
    if a and not b:
        b = a + dt.timedelta(hours=2)
    if a and b:
        if b <= a:
            errors.add("appointment_end", _("The appointment must end after it starts."))
        elif b < now - dt.timedelta(minutes=5):
            errors.add("appointment_end", _("The appointment window is already over."))
        elif b - a > dt.timedelta(days=14):
            errors.add("appointment_end", _("An appointment window can span at most 14 days."))
    return a, b


# --- intake ---------------------------------------------------------------------


def case_create(
    *,
    actor: Any,
    community_id: int | str,
    kind: str,
    channel: str,
    description: str,
    title: str = "",
    house_id: int | str | None = None,
    building_id: int | str | None = None,
    location: str = "",
    customer_id: int | str | None = None,
    reporter_name: str = "",
    reporter_phone: str = "",
    category_id: int | str | None = None,
    severity: str = "",
    priority: str = Priority.NORMAL,
    requested_by: Any = None,
    appointment_start: Any = None,
    appointment_end: Any = None,
    complained_party: str = "",
    service_item_id: int | str | None = None,
    quantity: Any = 1,
    immediate_action: str = "",
    now: dt.datetime | None = None,
) -> Case:
    """Take a request (R-REP-1, R-CMP-3): number it, decide free/paid (R-REP-2), route it."""
    require(actor, Cap.CASES_INTAKE)
    now = _now(now)
    community = community_get_for_user(actor, community_id, recent=True)
    tz = community.tzinfo
    errors = ErrorCollector()
    kind = v.choice(errors, "kind", kind, CaseKind.choices)
    channel = v.choice(errors, "channel", channel, Channel.choices)
    priority = v.choice(errors, "priority", priority or Priority.NORMAL, Priority.choices)
    description = v.text(errors, "description", description, max_length=4000)
    title = v.text(errors, "title", title, max_length=120, required=False)
    location = v.text(errors, "location", location, max_length=200, required=False)
    complained_party = v.text(
        errors, "complained_party", complained_party, max_length=200, required=False
    )
    immediate_action = v.text(
        errors, "immediate_action", immediate_action, max_length=2000, required=False
    )
    reporter_name = v.text(errors, "reporter_name", reporter_name, max_length=100, required=False)

    # The community is already scope-checked, so each object only has to belong to
    # it: a primary-key read instead of a scan over every community the user serves.
    def in_community(field: str, model: Any, raw: Any, also: Any = None) -> Any:
        """The row `raw` names if it is of this community (or `also(row)` says it
        belongs), else None with the field's error."""
        if raw in (None, ""):
            return None
        try:
            pk = int(raw)
        except (TypeError, ValueError):
            errors.add(field, _("Not found in your communities."))
            return None
        qs = model if isinstance(model, QuerySet) else model.objects.all()
        obj = one_or_none(qs.filter(pk=pk))
        if obj is not None and obj.community_id != community.pk and not (also and also(obj)):
            obj = None
        if obj is None:
            errors.add(field, _("Not found in this community."))
        return obj

    def lives_here(customer: Customer) -> bool:
        # A customer registered in another community who owns or rents a home here.
        return Occupancy.objects.filter(customer=customer, community_id=community.pk).exists()

    house = in_community("house_id", House.objects.select_related("building"), house_id)
    building = in_community("building_id", Building, building_id)
    customer = in_community("customer_id", Customer, customer_id, lives_here)
    if house is not None and building is None:
        building = house.building
    if house is None and not location and building is None:
        errors.add("house_id", _("Give the house, or the public place (building or location)."))
    phone_e164 = ""
    if reporter_phone:
        try:
            phone_e164 = normalise_phone(reporter_phone, field="reporter_phone")
        except Invalid as exc:
            for reason in exc.errors.get("reporter_phone", []):
                errors.add("reporter_phone", reason)
    if (
        customer is None
        and not (reporter_name and phone_e164)
        and "reporter_phone" not in errors.errors
    ):
        errors.add("customer_id", _("Choose the customer, or give the caller's name and phone."))
    # The company's categories and departments, kept per process (selectors.routing_for).
    routing = routing_for(community.company_id)
    category: Category | None = None
    if category_id not in (None, ""):
        category = routing.category(category_id, kind=kind or None)
        if category is None:
            errors.add("category_id", _("Choose a category of this kind of case."))
    elif kind in {CaseKind.REPAIR, CaseKind.COMPLAINT}:
        errors.add("category_id", _("This field is required."))
    if kind == CaseKind.COMPLAINT:
        severity = v.choice(errors, "severity", severity or Severity.ORDINARY, Severity.choices)
    elif severity:
        errors.add("severity", _("Only complaints have a severity."))
    requested = v.moment(errors, "requested_by", requested_by, tz=tz, required=False)
    if requested is not None and requested < now:
        errors.add("requested_by", _("The requested time is in the past."))
    start, end = _appointment(errors, appointment_start, appointment_end, tz=tz, now=now)
    item: ServiceItem | None = None
    qty: Decimal | None = Decimal(1)
    if kind == CaseKind.PAID_SERVICE:
        if service_item_id in (None, ""):
            errors.add("service_item_id", _("Choose an item of the price list."))
        else:
            try:
                item = service_items_for(community).filter(pk=int(service_item_id)).first()  # type: ignore[arg-type]
            except (TypeError, ValueError):
                item = None
            if item is None:
                errors.add("service_item_id", _("Choose an item of the price list."))
        qty = v.decimal(
            errors, "quantity", quantity, minimum=Decimal("0.01"), maximum=Decimal(1000)
        )
        if house is None and customer is None:
            errors.add("house_id", _("A paid service needs the customer's house."))
    errors.raise_if_any()

    basis = ""
    department: Department | None = None
    if kind == CaseKind.REPAIR:
        basis = rules.billing_basis(
            category=category,
            house=house,
            public_area=house is None,
            on=timezone.localtime(now, tz).date(),
        )
    if category is not None and category.department_kind:
        department = routing.department(community.pk, category.department_kind)
    if (
        kind == CaseKind.REPAIR
        and (department is None or basis == BillingBasis.DEVELOPER)
        and not (category is not None and category.department_kind == "maintenance")
    ):
        # R-REP-2: developer rectification also goes through the maintenance department.
        department = routing.department(community.pk, "maintenance") or department
    if kind == CaseKind.PAID_SERVICE and item is not None and item.department_kind:
        department = routing.department(community.pk, item.department_kind)
    if not title:
        title = (category.name + "：" if category else "") + description.splitlines()[0][:60]
        title = title[:120]

    with transaction.atomic():
        year = timezone.localtime(now, tz).year
        seq = number_next(scope=f"community:{community.pk}", series="case", year=year)
        case = Case(
            community=community,
            number=rules.case_number(kind, year, seq),
            kind=kind,
            channel=channel,
            status=CaseStatus.RECEIVED,
            house=house,
            building=building,
            location=location,
            customer=customer,
            reporter_name=reporter_name or (customer.name if customer else ""),
            reporter_phone_cipher=encrypt(phone_e164) if phone_e164 else "",
            reporter_phone_masked=mask_phone(phone_e164) if phone_e164 else "",
            category=category,
            severity=severity if kind == CaseKind.COMPLAINT else "",
            priority=priority,
            title=title,
            description=description,
            complained_party=complained_party,
            requested_by=requested,
            appointment_start=start,
            appointment_end=end,
            department=department,
            service_item=item,
            agreed_price=money(item.price * (qty or 1)) if item is not None else None,
            billing_basis=basis,
            immediate_action=immediate_action,
            received_at=now,
            created_by=actor,
        )
        # The deadline clocks are planned first, so the case row is written with its
        # due time in one INSERT (no UPDATE after the clocks).
        from propdesk.sla.services import clocks_plan_new_case

        clocks = clocks_plan_new_case(case, at=now)
        case.due_at = min((c.due_at for c in clocks), default=None)
        rows: list[Model] = [*clocks]
        rows += _event_rows(
            case,
            actor=actor,
            action="create",
            at=now,
            to_status=case.status,
            note=description,
            data={"channel": channel, "billing_basis": basis, "quantity": str(qty)},
            title=f"{case.get_kind_display()} {case.number} · {_('Received')}",
        )
        if immediate_action:
            rows += _event_rows(
                case, actor=actor, action="immediate_action", at=now, note=immediate_action
            )
        # The case, its clocks, events and timeline entries: one statement on PostgreSQL.
        insert_family(case, rows)
        if kind == CaseKind.COMPLAINT and severity == Severity.MAJOR:
            _notify_director(case, actor=actor, now=now)
    return case


def _notify_director(case: Case, *, actor: Any, now: dt.datetime) -> None:
    """R-CMP-6: a major complaint is reported to the management-office director the same day."""
    directors = User.objects.filter(
        kind=UserKind.STAFF,
        role=Role.DIRECTOR,
        is_active=True,
        scopes__community_id=case.community_id,
    ).distinct()
    sent = []
    for director in directors:
        _notify(
            community_id=case.community_id,
            channel="staff",
            staff_user_id=director.pk,
            subject=_("Major complaint %(number)s") % {"number": case.number},
            body=f"{case.title}\n{case.place_label}\n{case.description[:500]}",
            case=case,
            dedupe_key=f"case:{case.pk}:major:{director.pk}",
            now=now,
        )
        sent.append(director.pk)
    _event(
        case,
        actor=actor,
        action="director_notified",
        at=now,
        note=_("Major complaint reported to the director (R-CMP-6)."),
        data={"directors": sent},
    )


def case_reclassify(
    *,
    actor: Any,
    case_id: int | str,
    reason: str,
    category_id: int | str | None = None,
    severity: str | None = None,
    requested_by: Any = None,
    now: dt.datetime | None = None,
) -> Case:
    """Change what drives the deadlines (category, severity, the resident's requested time).

    The case's clocks are recomputed by each policy's written rule: clocks of
    policies that no longer apply stop as cancelled, a recorded breach stays,
    policies that now apply start from the reception. Raising a complaint to
    major reports it to the director the same day (R-CMP-6).
    """
    case_get_for_user(actor, case_id)  # scope first: another community's case is a 404
    caps = capabilities_of(actor)
    if not ({Cap.CASES_DISPATCH, Cap.CASES_HANDLE} & caps):
        raise Forbidden(_("You do not have the permission for this action."))
    now = _now(now)
    with transaction.atomic():
        case = _lock(actor, case_id)
        if not case.is_open:
            raise Conflict(_("A closed case cannot be reclassified."))
        errors = ErrorCollector()
        reason = v.text(errors, "reason", reason, max_length=500)
        changes: dict[str, list[str]] = {}
        fields: set[str] = set()
        if category_id not in (None, ""):
            category = routing_for(case.community.company_id).category(category_id, kind=case.kind)
            if category is None:
                errors.add("category_id", _("Choose a category of this kind of case."))
            elif category.pk != case.category_id:
                changes["category"] = [str(case.category or ""), str(category)]
                case.category = category
                fields.add("category")
        if severity not in (None, ""):
            if case.kind != CaseKind.COMPLAINT:
                errors.add("severity", _("Only complaints have a severity."))
            else:
                value = v.choice(errors, "severity", severity, Severity.choices)
                if value and value != case.severity:
                    changes["severity"] = [case.severity, value]
                    case.severity = value
                    fields.add("severity")
        if requested_by not in (None, ""):
            requested = v.moment(
                errors, "requested_by", requested_by, tz=case.community.tzinfo, required=False
            )
            if requested and requested != case.requested_by:
                changes["requested_by"] = [
                    case.requested_by.isoformat() if case.requested_by else "",
                    requested.isoformat(),
                ]
                case.requested_by = requested
                fields.add("requested_by")
        if not errors.errors and not changes:
            errors.add("category_id", _("Nothing changed."))
        errors.raise_if_any()
        case.save(update_fields=sorted(fields | {"updated_at"}))
        _event(case, actor=actor, action="reclassify", at=now, note=reason, data=changes)
        from propdesk.sla.services import clocks_recompute

        nearest = clocks_recompute(case, at=now)
        if nearest != case.due_at:
            case.due_at = nearest
            Case.objects.filter(pk=case.pk).update(due_at=nearest)
        if "severity" in changes and case.severity == Severity.MAJOR:
            _notify_director(case, actor=actor, now=now)
    return case


def case_escalate(
    *,
    case_id: int,
    level: int,
    policy: Any,
    assignee_id: int | None = None,
    urgent: bool = False,
    now: dt.datetime | None = None,
) -> Case:
    """An escalation level fired (the SLA sweep, no user): reassign and/or make the case urgent."""
    now = _now(now)
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case_id)
        fields: set[str] = set()
        data: dict[str, Any] = {"policy": policy.code, "level": level}
        if urgent and case.priority != Priority.URGENT:
            case.priority = Priority.URGENT
            fields.add("priority")
            data["priority"] = Priority.URGENT
        if assignee_id and assignee_id != case.assignee_id:
            data["assignee"] = [case.assignee_id, assignee_id]
            case.assignee_id = assignee_id
            fields.add("assignee")
        if fields:
            case.save(update_fields=sorted(fields | {"updated_at"}))
        _event(
            case,
            actor=None,
            action="escalate",
            at=now,
            note=_("%(rule)s escalation level %(level)s") % {"rule": policy.code, "level": level},
            data=data,
        )
    return case


# --- dispatch and work -------------------------------------------------------------


def case_dispatch(
    *,
    actor: Any,
    case_id: int | str,
    department_id: int | str | None = None,
    assignee_id: int | str | None = None,
    appointment_start: Any = None,
    appointment_end: Any = None,
    note: str = "",
    now: dt.datetime | None = None,
    action: str = "dispatch",
) -> Case:
    """Send a repair or paid service to a department and technician with an appointment (R-REP-3)."""
    now = _now(now)
    case_pre = case_get_for_user(actor, case_id)
    errors = ErrorCollector()
    note = v.text(errors, "note", note, max_length=2000, required=False)
    company_id = case_pre.community.company_id
    department = _department(case_pre.community_id, company_id, department_id, errors)
    if department is None and department_id in (None, ""):
        department = case_pre.department
    if department is None and "department_id" not in errors.errors:
        errors.add("department_id", _("Choose the responsible department."))
    assignee = _staff_member(case_pre, assignee_id, errors, department=department)
    if assignee is None and "assignee_id" not in errors.errors:
        errors.add("assignee_id", _("Choose the technician."))
    start, end = _appointment(
        errors,
        appointment_start if appointment_start not in (None, "") else case_pre.appointment_start,
        appointment_end if appointment_end not in (None, "") else case_pre.appointment_end,
        tz=case_pre.community.tzinfo,
        now=now,
    )
    # State is checked under the lock in _apply; validate input first only if the
    # action exists at all, so a wrong state is reported as the conflict it is.
    _transition_for(case_pre, action)
    errors.raise_if_any()

    def change(case: Case, at: dt.datetime) -> list[str]:
        case.department = department
        case.assignee = assignee
        case.appointment_start, case.appointment_end = start, end
        if case.dispatched_at is None or action == "dispatch":
            case.dispatched_at = at
        return ["department", "assignee", "appointment_start", "appointment_end", "dispatched_at"]

    def after(case: Case, at: dt.datetime) -> None:
        when = (
            timezone.localtime(start, case.community.tzinfo).strftime("%m-%d %H:%M")
            if start
            else ""
        )
        _notify(
            community_id=case.community_id,
            channel="staff",
            staff_user_id=assignee.pk if assignee else None,
            subject=_("New job %(number)s") % {"number": case.number},
            body=f"{case.place_label} {case.title} {when}",
            case=case,
            dedupe_key=f"case:{case.pk}:{action}:{at.timestamp():.0f}",
            now=at,
        )

    return _apply(
        actor=actor,
        case_id=case_id,
        action=action,
        now=now,
        note=note,
        data={
            "department": department.name if department else "",
            "assignee": str(assignee) if assignee else "",
            "appointment_start": start.isoformat() if start else "",
            "appointment_end": end.isoformat() if end else "",
        },
        change=change,
        after=after,
    )


def case_reassign(**kwargs: Any) -> Case:
    """Give a dispatched case to another department or technician."""
    return case_dispatch(**kwargs, action="reassign")


def case_assign(
    *, actor: Any, case_id: int | str, assignee_id: int | str, now: dt.datetime | None = None
) -> Case:
    """Give a case to a technician: dispatch it if it was only received, else reassign it."""
    case = case_get_for_user(actor, case_id)
    action = "dispatch" if case.status == CaseStatus.RECEIVED else "reassign"
    return case_dispatch(
        actor=actor, case_id=case_id, assignee_id=assignee_id, now=now, action=action
    )


def case_accept(
    *, actor: Any, case_id: int | str, note: str = "", now: dt.datetime | None = None
) -> Case:
    """The technician accepts the job."""
    return _apply(actor=actor, case_id=case_id, action="accept", now=now, note=note)


def case_start(
    *, actor: Any, case_id: int | str, note: str = "", now: dt.datetime | None = None
) -> Case:
    """Work starts on site."""

    def change(case: Case, at: dt.datetime) -> list[str]:
        if case.started_at is None:
            case.started_at = at
        return ["started_at"]

    return _apply(actor=actor, case_id=case_id, action="start", now=now, note=note, change=change)


def case_hold(
    *, actor: Any, case_id: int | str, reason: str, now: dt.datetime | None = None
) -> Case:
    """Put the work on hold (waiting for parts or the customer); deadlines pause."""
    case_get_for_user(actor, case_id)  # scope first: another community's case is a 404
    errors = ErrorCollector()
    reason = v.text(errors, "reason", reason, max_length=500)
    errors.raise_if_any()

    def change(case: Case, at: dt.datetime) -> list[str]:
        case.held_since = at
        return ["held_since"]

    return _apply(actor=actor, case_id=case_id, action="hold", now=now, note=reason, change=change)


def case_resume(
    *, actor: Any, case_id: int | str, note: str = "", now: dt.datetime | None = None
) -> Case:
    """Work resumes after a hold."""

    def change(case: Case, at: dt.datetime) -> list[str]:
        held = case.held_since
        case.held_since = None
        return ["held_since"] if held is not None else []

    return _apply(actor=actor, case_id=case_id, action="resume", now=now, note=note, change=change)


def _materials(
    errors: ErrorCollector, raw: Iterable[Mapping[str, Any]] | None
) -> list[CaseMaterial]:
    out: list[CaseMaterial] = []
    if raw is not None and not isinstance(raw, list | tuple):
        errors.add("materials", _("Give the materials as a list of lines."))
        return out
    for i, row in enumerate(raw or []):
        if not isinstance(row, Mapping):
            errors.add(f"materials[{i}]", _("Give the material's name and quantity."))
            continue
        prefix = f"materials[{i}]"
        name = v.text(errors, f"{prefix}.name", row.get("name"), max_length=100)
        qty = v.decimal(
            errors,
            f"{prefix}.quantity",
            row.get("quantity"),
            minimum=Decimal(0),
            exclusive_minimum=True,
            maximum=Decimal(100000),
        )
        unit = v.text(errors, f"{prefix}.unit", row.get("unit", ""), max_length=16, required=False)
        price = v.decimal(
            errors,
            f"{prefix}.unit_price",
            row.get("unit_price") or "0",
            minimum=Decimal(0),
            maximum=Decimal(1000000),
        )
        if name and qty is not None and price is not None:
            out.append(CaseMaterial(name=name, quantity=qty, unit=unit, unit_price=price))
    if len(out) > 50:
        errors.add("materials", _("At most 50 material lines."))
    return out


def case_complete(
    *,
    actor: Any,
    case_id: int | str,
    work_done: str,
    materials: Iterable[Mapping[str, Any]] | None = None,
    labour_minutes: Any = None,
    leak_test_at: Any = None,
    signoff_kind: str = "",
    signoff_form_number: str = "",
    signature: bytes | None = None,
    agreed_price: Any = None,
    note: str = "",
    now: dt.datetime | None = None,
) -> Case:
    """Finish the work: work record, materials, the customer's sign-off (R-REP-4); a repair
    gets its return-visit task (R-REP-5) and a paid repair its charge request."""
    now = _now(now)
    case_pre = case_get_for_user(actor, case_id)
    _transition_for(case_pre, "complete")
    errors = ErrorCollector()
    work_done = v.text(errors, "work_done", work_done, max_length=4000)
    note = v.text(errors, "note", note, max_length=2000, required=False)
    rows = _materials(errors, materials)
    minutes = v.integer(
        errors, "labour_minutes", labour_minutes, minimum=0, maximum=100000, required=False
    )
    signoff_kind = v.choice(
        errors,
        "signoff_kind",
        signoff_kind,
        [c for c in SignoffKind.choices if c[0]],
    )
    form_number = v.text(
        errors, "signoff_form_number", signoff_form_number, max_length=40, required=False
    )
    if signoff_kind == SignoffKind.PAPER and not form_number:
        errors.add("signoff_form_number", _("Give the number of the signed paper form."))
    if signoff_kind == SignoffKind.DRAWN and not signature:
        errors.add("signature", _("The customer's signature is missing."))
    leak_at = v.moment(
        errors, "leak_test_at", leak_test_at, tz=case_pre.community.tzinfo, required=False
    )
    is_leak = case_pre.kind == CaseKind.REPAIR and rules.flag(case_pre.category, "is_leak")
    if is_leak and leak_at is None and not case_pre.leak_test_at:
        errors.add("leak_test_at", _("A leak repair needs the date of the leak test (R-REP-5)."))
    if leak_at is not None and leak_at > now + dt.timedelta(days=30):
        errors.add("leak_test_at", _("The leak test can be planned at most 30 days ahead."))
    price = v.decimal(
        errors,
        "agreed_price",
        agreed_price,
        minimum=Decimal(0),
        maximum=Decimal(1000000),
        required=False,
    )
    # A rework of a paid repair is not charged a second time.
    paid_repair = (
        case_pre.kind == CaseKind.REPAIR
        and case_pre.billing_basis == BillingBasis.PAID
        and not case_pre.charges.exclude(state=ChargeState.CANCELLED).exists()
    )
    amount = Decimal(0)
    if paid_repair:
        amount = (
            price
            if price is not None
            else sum((m.quantity * m.unit_price for m in rows), Decimal(0))
            + (case_pre.service_item.price if case_pre.service_item else Decimal(0))
        )
        if amount <= 0:
            errors.add("agreed_price", _("A paid repair needs the agreed amount (R-REP-4)."))
    errors.raise_if_any()

    def change(case: Case, at: dt.datetime) -> list[str]:
        case.work_done = work_done
        case.labour_minutes = minutes
        case.signoff_kind = signoff_kind
        case.signoff_form_number = form_number
        case.signed_at = at if signoff_kind in {SignoffKind.DRAWN, SignoffKind.PAPER} else None
        case.completed_at = at
        if leak_at is not None:
            case.leak_test_at = leak_at
        if price is not None:
            case.agreed_price = price
        if signature:
            case.signoff_image.save(f"{case.number}.png", ContentFile(signature), save=False)
        CaseMaterial.objects.filter(case=case).delete()
        for m in rows:
            m.case = case
        CaseMaterial.objects.bulk_create(rows)
        return [
            "work_done",
            "labour_minutes",
            "signoff_kind",
            "signoff_form_number",
            "signed_at",
            "completed_at",
            "leak_test_at",
            "agreed_price",
            "signoff_image",
        ]

    def after(case: Case, at: dt.datetime) -> None:
        if case.kind == CaseKind.REPAIR:
            _open_return_visit(case, now=at)
        if paid_repair:
            _charge(case, amount=money(amount), description=case.title, now=at)

    return _apply(
        actor=actor,
        case_id=case_id,
        action="complete",
        now=now,
        note=note,
        data={"materials": len(rows), "amount": str(money(amount)) if paid_repair else ""},
        change=change,
        after=after,
    )


def _open_return_visit(case: Case, *, now: dt.datetime) -> ReturnVisit:
    window = rules.return_visit_window(case, now=now)
    return ReturnVisit.objects.create(
        case=case,
        community_id=case.community_id,
        created_at=now,
        not_before=window.not_before,
        due_at=window.due_at,
        rule=window.rule,
    )


def _charge(case: Case, *, amount: Decimal, description: str, now: dt.datetime) -> ChargeRequest:
    return ChargeRequest.objects.create(
        case=case,
        community_id=case.community_id,
        house=case.house,
        customer=case.customer,
        item=case.service_item,
        description=description[:200],
        amount=amount,
        state=ChargeState.PENDING,
        created_at=now,
    )


def case_leak_test_record(
    *, actor: Any, case_id: int | str, at: Any, now: dt.datetime | None = None
) -> Case:
    """Record the leak test (试漏); the open return visit is then due 3 days after it (R-REP-5)."""
    now = _now(now)
    case_pre = case_get_for_user(actor, case_id)
    if not (
        Cap.CASES_WORK in capabilities_of(actor) or Cap.CASES_DISPATCH in capabilities_of(actor)
    ):
        raise Forbidden(_("You do not have the permission for this action."))
    errors = ErrorCollector()
    when = v.moment(errors, "leak_test_at", at, tz=case_pre.community.tzinfo)
    if case_pre.kind != CaseKind.REPAIR or not rules.flag(case_pre.category, "is_leak"):
        errors.add("leak_test_at", _("Only leak repairs have a leak test."))
    if when is not None and when > now + dt.timedelta(days=30):
        errors.add("leak_test_at", _("The leak test can be planned at most 30 days ahead."))
    errors.raise_if_any()
    assert when is not None
    with transaction.atomic():
        case = _lock(actor, case_id)
        if case.status in {CaseStatus.CLOSED, CaseStatus.CANCELLED, CaseStatus.VISITED}:
            raise Conflict(
                _("The case is %(status)s; the leak test can no longer change.")
                % {"status": case.get_status_display()}
            )
        case.leak_test_at = when
        visit = case.return_visits.filter(visited_at__isnull=True).first()
        if visit is not None:
            window = rules.return_visit_window(case, now=now)
            visit.not_before, visit.due_at, visit.rule = (
                window.not_before,
                window.due_at,
                window.rule,
            )
            visit.save(update_fields=["not_before", "due_at", "rule"])
        case.save(update_fields=["leak_test_at", "updated_at"])
        _event(
            case,
            actor=actor,
            action="leak_test",
            at=now,
            note=when.isoformat(),
            data={"leak_test_at": when.isoformat()},
        )
    return case


# --- complaints and inquiries -----------------------------------------------------------


def case_forward(
    *,
    actor: Any,
    case_id: int | str,
    department_id: int | str | None = None,
    note: str = "",
    now: dt.datetime | None = None,
) -> Case:
    """Forward a complaint to the head of the responsible department (R-CMP-4) or an inquiry."""
    now = _now(now)
    case_pre = case_get_for_user(actor, case_id)
    _transition_for(case_pre, "forward")
    errors = ErrorCollector()
    note = v.text(errors, "note", note, max_length=2000, required=False)
    department = _department(
        case_pre.community_id, case_pre.community.company_id, department_id, errors
    )
    if department is None and department_id in (None, ""):
        department = case_pre.department
    if department is None and "department_id" not in errors.errors:
        errors.add("department_id", _("Choose the responsible department."))
    errors.raise_if_any()
    heads = list(
        User.objects.filter(
            kind=UserKind.STAFF, is_active=True, role=Role.DEPARTMENT_HEAD, department=department
        ).values_list("pk", flat=True)
    )

    def change(case: Case, at: dt.datetime) -> list[str]:
        case.department = department
        case.forwarded_at = at
        if heads and case.assignee_id is None:
            case.assignee_id = heads[0]
        return ["department", "forwarded_at", "assignee"]

    def after(case: Case, at: dt.datetime) -> None:
        for head in heads:
            _notify(
                community_id=case.community_id,
                channel="staff",
                staff_user_id=head,
                subject=_("Complaint %(number)s forwarded to you") % {"number": case.number}
                if case.kind == CaseKind.COMPLAINT
                else _("Case %(number)s forwarded to you") % {"number": case.number},
                body=f"{case.place_label} {case.title}",
                case=case,
                dedupe_key=f"case:{case.pk}:forward:{head}:{at.timestamp():.0f}",
                now=at,
            )

    return _apply(
        actor=actor,
        case_id=case_id,
        action="forward",
        now=now,
        note=note,
        data={"department": department.name if department else "", "heads": heads},
        change=change,
        after=after,
    )


def case_handle(
    *, actor: Any, case_id: int | str, note: str = "", now: dt.datetime | None = None
) -> Case:
    """The department head starts handling a forwarded complaint (R-CMP-4)."""

    def change(case: Case, at: dt.datetime) -> list[str]:
        if case.started_at is None:
            case.started_at = at
        return ["started_at"]

    return _apply(actor=actor, case_id=case_id, action="handle", now=now, note=note, change=change)


def complaint_resolve(
    *,
    actor: Any,
    case_id: int | str,
    judgement: str,
    result: str,
    responsibility: str = "",
    cause_factors: Iterable[str] = (),
    cause_analysis: str = "",
    remedy: str = "",
    now: dt.datetime | None = None,
) -> Case:
    """Record how a complaint was handled: valid or not (R-CMP-9), causes by 人机料法环,
    responsibility and remedy (R-CMP-10). An invalid complaint still gets an answer."""
    case_get_for_user(actor, case_id)  # scope first: another community's case is a 404
    errors = ErrorCollector()
    judgement = v.choice(errors, "judgement", judgement, Judgement.choices)
    result = v.text(errors, "result", result, max_length=4000)
    cause_analysis = v.text(
        errors, "cause_analysis", cause_analysis, max_length=4000, required=False
    )
    remedy = v.text(errors, "remedy", remedy, max_length=4000, required=False)
    if isinstance(cause_factors, str):
        cause_factors = [cause_factors]
    factors = [str(f) for f in dict.fromkeys(cause_factors or []) if not isinstance(f, list | dict)]
    bad = [f for f in factors if f not in CauseFactor.values]
    if bad:
        errors.add("cause_factors", _("Unknown factor: %(f)s.") % {"f": ", ".join(bad)})
    if judgement == Judgement.VALID:
        responsibility = v.choice(errors, "responsibility", responsibility, Responsibility.choices)
        if not factors:
            errors.add("cause_factors", _("Name at least one of the five factors (R-CMP-10)."))
        if not remedy:
            errors.add("remedy", _("A valid complaint needs the remedy (R-CMP-10)."))
    elif responsibility:
        responsibility = v.choice(errors, "responsibility", responsibility, Responsibility.choices)
    errors.raise_if_any()

    def change(case: Case, at: dt.datetime) -> list[str]:
        case.judgement, case.result = judgement, result
        case.responsibility = responsibility
        case.cause_factors, case.cause_analysis, case.remedy = factors, cause_analysis, remedy
        case.completed_at = at
        return [
            "judgement",
            "result",
            "responsibility",
            "cause_factors",
            "cause_analysis",
            "remedy",
            "completed_at",
        ]

    return _apply(
        actor=actor,
        case_id=case_id,
        action="resolve",
        now=now,
        note=result,
        data={"judgement": judgement, "responsibility": responsibility, "cause_factors": factors},
        change=change,
    )


def complaint_tell_result(
    *,
    actor: Any,
    case_id: int | str,
    way: str,
    told_at: Any = None,
    note: str = "",
    now: dt.datetime | None = None,
) -> Case:
    """The result is told to the complainant, time and way recorded (R-CMP-8); a return visit follows."""
    now = _now(now)
    case_pre = case_get_for_user(actor, case_id)
    errors = ErrorCollector()
    way = v.choice(errors, "way", way, ANSWER_WAYS)
    note = v.text(errors, "note", note, max_length=2000, required=False)
    at = v.moment(errors, "told_at", told_at, tz=case_pre.community.tzinfo, required=False) or now
    if at > now + dt.timedelta(minutes=5):
        errors.add("told_at", _("The time the result was told cannot be in the future."))
    errors.raise_if_any()

    def change(case: Case, _at: dt.datetime) -> list[str]:
        case.result_told_at, case.result_told_way = at, way
        if case.first_answer_at is None:
            case.first_answer_at = at
        return ["result_told_at", "result_told_way", "first_answer_at"]

    def after(case: Case, at2: dt.datetime) -> None:
        _open_return_visit(case, now=at2)

    return _apply(
        actor=actor,
        case_id=case_id,
        action="tell_result",
        now=now,
        note=note or case_pre.result,
        public=True,
        data={"way": way, "told_at": at.isoformat()},
        change=change,
        after=after,
    )


def case_answer(
    *, actor: Any, case_id: int | str, answer: str, now: dt.datetime | None = None
) -> Case:
    """Answer an inquiry, praise or suggestion (a reply the customer sees)."""
    case_get_for_user(actor, case_id)  # scope first: another community's case is a 404
    errors = ErrorCollector()
    answer = v.text(errors, "answer", answer, max_length=4000)
    errors.raise_if_any()

    def change(case: Case, at: dt.datetime) -> list[str]:
        case.result = answer
        if case.first_answer_at is None:
            case.first_answer_at = at
        return ["result", "first_answer_at"]

    return _apply(
        actor=actor,
        case_id=case_id,
        action="answer",
        now=now,
        note=answer,
        public=True,
        change=change,
    )


# --- return visits, closing ----------------------------------------------------------


def case_return_visit_record(
    *,
    actor: Any,
    case_id: int | str,
    method: str,
    result: str,
    rating: Any = None,
    comment: str = "",
    now: dt.datetime | None = None,
) -> Case:
    """Record the return visit (R-REP-5, R-CMP-8); unsatisfied sends the work back (R-REP-6)."""
    now = _now(now)
    case_pre = case_get_for_user(actor, case_id)
    _transition_for(case_pre, "return_visit")
    errors = ErrorCollector()
    method = v.choice(errors, "method", method, VisitMethod.choices)
    result = v.choice(errors, "result", result, VisitResult.choices)
    stars = v.integer(
        errors, "rating", rating, minimum=1, maximum=5, required=result != VisitResult.UNREACHABLE
    )
    comment = v.text(
        errors, "comment", comment, max_length=2000, required=result == VisitResult.UNSATISFIED
    )
    if result == VisitResult.UNREACHABLE:
        errors.add(
            "result",
            _("An unreachable customer is not a return visit; add a note and try again later."),
        )
    errors.raise_if_any()
    rework = result == VisitResult.UNSATISFIED
    target = REWORK_TARGET.get(case_pre.kind) if rework else None

    def change(case: Case, at: dt.datetime) -> list[str]:
        visit = (
            case.return_visits.select_for_update()
            .filter(visited_at__isnull=True)
            .order_by("due_at")
            .first()
        )
        if visit is None:
            visit = _open_return_visit(case, now=at)
        if visit.not_before and at < visit.not_before:
            raise Invalid.field(
                "visited_at",
                _("This return visit is due from %(from)s (after the leak test, R-REP-5).")
                % {
                    "from": timezone.localtime(visit.not_before, case.community.tzinfo).strftime(
                        "%Y-%m-%d %H:%M"
                    )
                },
            )
        visit.method, visit.result, visit.rating, visit.comment = method, result, stars, comment
        visit.visited_by, visit.visited_at = actor, at
        visit.save(
            update_fields=["method", "result", "rating", "comment", "visited_by", "visited_at"]
        )
        if rework:
            case.rework_count += 1
            case.completed_at = None
            return ["rework_count", "completed_at"]
        return []

    return _apply(
        actor=actor,
        case_id=case_id,
        action="return_visit",
        now=now,
        note=comment,
        data={"method": method, "result": result, "rating": stars, "rework": rework},
        change=change,
        target=target,
    )


def case_close(
    *, actor: Any, case_id: int | str, note: str = "", now: dt.datetime | None = None
) -> Case:
    """Close a case; a repair or complaint only after its return visit (the table enforces it)."""
    return _apply(actor=actor, case_id=case_id, action="close", now=now, note=note)


def case_cancel(
    *, actor: Any, case_id: int | str, reason: str, now: dt.datetime | None = None
) -> Case:
    """Cancel with a reason."""
    case_get_for_user(actor, case_id)  # scope first: another community's case is a 404
    errors = ErrorCollector()
    reason = v.text(errors, "reason", reason, max_length=500)
    errors.raise_if_any()
    return _apply(actor=actor, case_id=case_id, action="cancel", now=now, note=reason)


def case_reopen(
    *, actor: Any, case_id: int | str, reason: str, now: dt.datetime | None = None
) -> Case:
    """Reopen a closed or cancelled case with a reason."""
    case_get_for_user(actor, case_id)  # scope first: another community's case is a 404
    errors = ErrorCollector()
    reason = v.text(errors, "reason", reason, max_length=500)
    errors.raise_if_any()

    def change(case: Case, _at: dt.datetime) -> list[str]:
        case.closed_at = None
        return ["closed_at"]

    return _apply(
        actor=actor, case_id=case_id, action="reopen", now=now, note=reason, change=change
    )


def paid_service_accept(
    *, actor: Any, case_id: int | str, note: str = "", now: dt.datetime | None = None
) -> Case:
    """The customer accepts the paid service; the agreed fee becomes a charge request (R-SVC-1)."""

    def after(case: Case, at: dt.datetime) -> None:
        amount = case.agreed_price or (case.service_item.price if case.service_item else Decimal(0))
        if amount <= 0:
            raise Invalid.field("agreed_price", _("The agreed price is missing."))
        _charge(
            case,
            amount=money(amount),
            description=case.service_item.name if case.service_item else case.title,
            now=at,
        )

    return _apply(
        actor=actor, case_id=case_id, action="customer_accept", now=now, note=note, after=after
    )


def paid_service_rework(
    *, actor: Any, case_id: int | str, reason: str, now: dt.datetime | None = None
) -> Case:
    """The customer does not accept the work; it goes back to the technician."""
    case_get_for_user(actor, case_id)  # scope first: another community's case is a 404
    errors = ErrorCollector()
    reason = v.text(errors, "reason", reason, max_length=500)
    errors.raise_if_any()

    def change(case: Case, _at: dt.datetime) -> list[str]:
        case.rework_count += 1
        return ["rework_count"]

    return _apply(
        actor=actor, case_id=case_id, action="rework", now=now, note=reason, change=change
    )


# --- actions in any open status -------------------------------------------------------


def case_note_add(
    *,
    actor: Any,
    case_id: int | str,
    text: str,
    public: bool = False,
    now: dt.datetime | None = None,
) -> CaseEvent:
    """Add an internal note, or a reply the customer sees (a reply counts as the clear answer of R-REP-7)."""
    case_get_for_user(actor, case_id)  # scope first: another community's case is a 404
    now = _now(now)
    errors = ErrorCollector()
    text = v.text(errors, "text", text, max_length=4000)
    errors.raise_if_any()
    with transaction.atomic():
        case = _lock(actor, case_id)
        caps = capabilities_of(actor)
        if not (NOTE_CAPABILITIES & caps):
            raise Forbidden(_("You do not have the permission for this action."))
        fields = ["updated_at"]
        if public and case.first_answer_at is None:
            case.first_answer_at = now
            fields.append("first_answer_at")
        case.save(update_fields=fields)
        return _event(
            case,
            actor=actor,
            action="reply" if public else "note",
            at=now,
            note=text,
            public=public,
        )


def case_immediate_action_record(
    *, actor: Any, case_id: int | str, action_taken: str, now: dt.datetime | None = None
) -> Case:
    """Record what was done at once to stop the damage (R-CMP-5)."""
    case_get_for_user(actor, case_id)  # scope first: another community's case is a 404
    now = _now(now)
    errors = ErrorCollector()
    action_taken = v.text(errors, "immediate_action", action_taken, max_length=2000)
    errors.raise_if_any()
    with transaction.atomic():
        case = _lock(actor, case_id)
        if not (NOTE_CAPABILITIES & capabilities_of(actor)):
            raise Forbidden(_("You do not have the permission for this action."))
        if not case.is_open:
            raise Conflict(_("The case is %(status)s.") % {"status": case.get_status_display()})
        case.immediate_action = (
            case.immediate_action + "\n" if case.immediate_action else ""
        ) + action_taken
        case.save(update_fields=["immediate_action", "updated_at"])
        _event(case, actor=actor, action="immediate_action", at=now, note=action_taken)
    return case


def case_attachment_add(
    *,
    actor: Any,
    case_id: int | str,
    upload: IO[bytes],
    filename: str,
    kind: str = AttachmentKind.PHOTO,
    now: dt.datetime | None = None,
) -> CaseAttachment:
    """Attach a photo (JPEG/PNG/WebP) or a PDF; type checked by content, size limited."""
    case_get_for_user(actor, case_id)  # scope first: another community's case is a 404
    now = _now(now)
    errors = ErrorCollector()
    kind = v.choice(errors, "kind", kind, AttachmentKind.choices)
    errors.raise_if_any()
    allowed = DOCUMENT_TYPES if kind == AttachmentKind.FILE else IMAGE_TYPES
    checked = check_upload(upload, field="file", allowed=allowed)
    stem = (
        "".join(ch for ch in filename.rsplit(".", 1)[0] if ch.isalnum() or ch in "_-")[-60:]
        or "file"
    )
    with transaction.atomic():
        case = _lock(actor, case_id)
        if not (NOTE_CAPABILITIES & capabilities_of(actor)):
            raise Forbidden(_("You do not have the permission for this action."))
        attachment = CaseAttachment(
            case=case,
            kind=kind,
            original_name=filename[:255],
            content_type=checked.content_type,
            size=checked.size,
            sha256=checked.sha256,
            uploaded_by=actor,
            uploaded_at=now,
        )
        attachment.file.save(f"{case.number}-{stem}.{checked.extension}", File(upload), save=False)
        attachment.save()
        _event(case, actor=actor, action="attach", at=now, note=filename[:255], data={"kind": kind})
    return attachment
