"""Permission-aware reads of cases, queues, return visits and summaries."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from propdesk.accounts.models import Department
from propdesk.accounts.roles import Cap
from propdesk.accounts.selectors import capabilities_of, community_filter, community_ids_for
from propdesk.core.errors import NotFound
from propdesk.core.memo import Memo
from propdesk.core.queries import one_or_none
from propdesk.estates.selectors import community_memo

from .models import (
    OPEN_STATUS_LIST,
    Case,
    CaseEvent,
    CaseStatus,
    Category,
    ReplyTemplate,
    ReturnVisit,
    ServiceItem,
    VisitResult,
)
from .workflow import Transition, transitions_from

QUEUES: dict[str, Any] = {
    "open": gettext_lazy("All open"),
    "mine": gettext_lazy("Mine"),
    "department": gettext_lazy("My department"),
    "unassigned": gettext_lazy("Unassigned"),
    "due_soon": gettext_lazy("Due soon"),
    "overdue": gettext_lazy("Overdue"),
    "awaiting_visit": gettext_lazy("Awaiting return visit"),
    "on_hold": gettext_lazy("On hold"),
    "all": gettext_lazy("All"),
}
DUE_SOON = dt.timedelta(hours=4)


def cases_visible_to(user: Any, *, community_id: int | None = None) -> QuerySet[Case]:
    """Cases of the communities the user serves, if they may see cases at all."""
    if Cap.CASES_VIEW not in capabilities_of(user):
        return Case.objects.none()
    return Case.objects.filter(community_filter(user, community_id=community_id))


# Joined with the case when it is read. Each join more costs PostgreSQL's planner
# dearly (a case read joined to ten tables: 6 ms of planning for 0.3–1.2 ms of work;
# to five: 1 ms), so the reference rows come from the process's copies instead.
CASE_JOINS = ("house", "building", "customer", "assignee", "created_by")


def case_get_for_user(user: Any, case_id: int | str) -> Case:
    try:
        pk = int(case_id)
    except (TypeError, ValueError):
        raise NotFound(_("No such case.")) from None
    if Cap.CASES_VIEW not in capabilities_of(user):
        raise NotFound(_("No such case."))
    case = one_or_none(Case.objects.select_related(*CASE_JOINS).filter(pk=pk))
    # The scope is checked in Python: a primary-key read, not `community_id IN (…)`.
    if case is None or case.community_id not in set(community_ids_for(user)):
        raise NotFound(_("No such case."))
    attach_reference_rows(case)
    return case


def attach_reference_rows(case: Case) -> None:
    """Give `case` its community, category (with its parent) and department from the
    process's copies (`estates.selectors.community_memo`, `routing_memo`): shared,
    read-only, at most their memo's seconds old. A category no longer active, or a
    department the copy does not hold, is read on first use, as any relation."""
    community = community_memo.get(case.community_id)
    if community is None:
        return
    case.community = community
    routing = routing_for(community.company_id)
    if case.category_id is not None and case.category_id in routing.categories:
        case.category = routing.categories[case.category_id]
    if case.department_id is not None:
        department = routing.department_by_id(case.department_id)
        if department is not None:
            case.department = department


@dataclass(frozen=True)
class QueueFilters:
    kind: str = ""
    category_id: int | None = None
    status: str = ""
    building_id: int | None = None
    assignee_id: int | None = None
    received_from: dt.date | None = None
    received_to: dt.date | None = None
    q: str = ""

    @classmethod
    def from_params(cls, params: Any) -> QueueFilters:
        """The filters of a query string (console and API alike); nonsense means "no filter"."""

        def number(name: str) -> int | None:
            raw = str(params.get(name, "") or "").strip()
            return int(raw) if raw.isdigit() else None

        def day(name: str) -> dt.date | None:
            try:
                return dt.date.fromisoformat(str(params.get(name, "") or ""))
            except ValueError:
                return None

        return cls(
            kind=str(params.get("kind", "") or "")[:16],
            category_id=number("category"),
            status=str(params.get("status", "") or "")[:16],
            building_id=number("building"),
            assignee_id=number("assignee"),
            received_from=day("received_from"),
            received_to=day("received_to"),
            q=str(params.get("q", "") or "")[:40].strip(),
        )


def case_queue(
    user: Any,
    *,
    queue: str = "open",
    community_id: int | None = None,
    filters: QueueFilters | None = None,
    now: dt.datetime | None = None,
) -> QuerySet[Case]:
    """A staff queue: one indexed filter per queue, then the list filters."""
    now = now or timezone.now()
    qs = cases_visible_to(user, community_id=community_id)
    open_q = Q(status__in=OPEN_STATUS_LIST)
    if queue == "mine":
        qs = qs.filter(open_q, assignee_id=user.pk)
    elif queue == "department":
        department_id = getattr(user, "department_id", None)
        qs = qs.filter(open_q, department_id=department_id) if department_id else qs.none()
    elif queue == "unassigned":
        qs = qs.filter(open_q, assignee__isnull=True)
    elif queue == "due_soon":
        qs = qs.filter(open_q, due_at__gte=now, due_at__lt=now + DUE_SOON)
    elif queue == "overdue":
        qs = qs.filter(open_q, due_at__lt=now)
    elif queue == "awaiting_visit":
        qs = qs.filter(
            status__in=[CaseStatus.COMPLETED, CaseStatus.ANSWERED], kind__in=["repair", "complaint"]
        )
    elif queue == "on_hold":
        qs = qs.filter(status=CaseStatus.ON_HOLD)
    elif queue == "open":
        qs = qs.filter(open_q)
    f = filters or QueueFilters()
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.category_id:
        qs = qs.filter(Q(category_id=f.category_id) | Q(category__parent_id=f.category_id))
    if f.status:
        qs = qs.filter(status=f.status)
    if f.building_id:
        qs = qs.filter(Q(building_id=f.building_id) | Q(house__building_id=f.building_id))
    if f.assignee_id:
        qs = qs.filter(assignee_id=f.assignee_id)
    if f.received_from:
        qs = qs.filter(received_at__date__gte=f.received_from)
    if f.received_to:
        qs = qs.filter(received_at__date__lte=f.received_to)
    if f.q:
        qs = qs.filter(Q(number__iexact=f.q) | Q(title__icontains=f.q))
    order = ["due_at", "-received_at"] if queue in {"due_soon", "overdue"} else ["-received_at"]
    return qs.select_related("house", "building", "category", "assignee", "department").order_by(
        *order, "-id"
    )


def allowed_transitions(user: Any, case: Case) -> list[Transition]:
    """The transitions the table allows from the case's status that this user may perform."""
    caps = capabilities_of(user)
    out = []
    for t in transitions_from(case.kind, case.status):
        if not (t.capabilities & caps):
            continue
        if (
            t.assignee_only_for_workers
            and Cap.CASES_DISPATCH not in caps
            and case.assignee_id != getattr(user, "pk", None)
        ):
            continue
        out.append(t)
    return out


def case_events(case: Case, *, include_internal: bool = True) -> list[CaseEvent]:
    qs = case.events.select_related("actor")
    if not include_internal:
        qs = qs.filter(is_public=True)
    return list(qs)


def case_return_visits(case: Case) -> list[ReturnVisit]:
    return list(case.return_visits.select_related("visited_by"))


def house_open_cases(user: Any, house_id: int, *, limit: int = 10) -> list[Case]:
    """Open cases of a house, for the intake form (so duplicates are noticed)."""
    return list(
        cases_visible_to(user)
        .filter(house_id=house_id, status__in=OPEN_STATUS_LIST)
        .select_related("category")
        .order_by("-received_at")[:limit]
    )


def house_recent_visits(user: Any, house_id: int, *, limit: int = 5) -> list[ReturnVisit]:
    return list(
        ReturnVisit.objects.filter(
            community_filter(user), case__house_id=house_id, visited_at__isnull=False
        )
        .select_related("case", "visited_by")
        .order_by("-visited_at")[:limit]
    )


def return_visits_due(user: Any, *, community_id: int | None = None) -> QuerySet[ReturnVisit]:
    return (
        ReturnVisit.objects.filter(
            community_filter(user, community_id=community_id), visited_at__isnull=True
        )
        .select_related("case", "case__house", "case__customer")
        .order_by("due_at")
    )


def categories_for(company_id: int | None, *, kind: str | None = None) -> QuerySet[Category]:
    qs = Category.objects.filter(Q(company__isnull=True) | Q(company_id=company_id), is_active=True)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.select_related("parent").order_by("kind", "parent_id", "sort", "code")


@dataclass(frozen=True)
class Routing:
    """A company's active case categories (its own and the shipped trees) and its
    departments: what case intake reads for every case, kept per process for
    `routing_memo.seconds` (core.memo says when it is forgotten sooner)."""

    categories: dict[int, Category]
    departments: dict[tuple[int | None, str], Department]
    by_id: dict[int, Department]

    def category(self, raw: Any, *, kind: str | None) -> Category | None:
        """The active category with id `raw` (of `kind`, if given), or None."""
        try:
            category = self.categories.get(int(raw))
        except (TypeError, ValueError):
            return None
        if category is None or (kind and category.kind != kind):
            return None
        return category

    def department_by_id(self, pk: int) -> Department | None:
        return self.by_id.get(pk)

    def department(self, community_id: int, kind: str) -> Department | None:
        """The community's own department of `kind`, else the company-wide one."""
        if not kind:
            return None
        return self.departments.get((community_id, kind)) or self.departments.get((None, kind))


def _load_routing(company_id: int) -> Routing:
    departments: dict[tuple[int | None, str], Department] = {}
    by_id: dict[int, Department] = {}
    for dept in Department.objects.filter(company_id=company_id).order_by("id"):
        departments.setdefault((dept.community_id, dept.kind), dept)
        by_id[dept.pk] = dept
    return Routing({c.pk: c for c in categories_for(company_id)}, departments, by_id)


routing_memo: Memo[int, Routing] = Memo(
    "servicedesk.routing", _load_routing, models=("servicedesk.Category", "accounts.Department")
)


def routing_for(company_id: int) -> Routing:
    return routing_memo.get(company_id)


def service_items_for(community: Any) -> QuerySet[ServiceItem]:
    return ServiceItem.objects.filter(
        Q(community__isnull=True) | Q(community_id=community.pk),
        company_id=community.company_id,
        is_active=True,
    ).order_by("code")


def reply_templates_for(
    company_id: int | None, *, kind: str = "", category_id: int | None = None
) -> QuerySet[ReplyTemplate]:
    """Unified reply wording (R-CMP-12): the category's own first, then the kind's, then general."""
    qs = ReplyTemplate.objects.filter(
        Q(company__isnull=True) | Q(company_id=company_id), is_active=True
    )
    if kind:
        qs = qs.filter(Q(kind=kind) | Q(kind=""))
    if category_id:
        qs = qs.filter(Q(category_id=category_id) | Q(category__isnull=True))
    else:
        qs = qs.filter(category__isnull=True)
    return qs.order_by("category_id", "title")


@dataclass
class VisitSummary:
    """R-REP-8: the month's return visits of one community."""

    year: int
    month: int
    due: int
    done: int
    on_time: int
    rate: float
    on_time_rate: float
    satisfaction: dict[str, int]
    average_rating: float | None
    dissatisfaction: list[tuple[str, str]]


def return_visit_summary(
    user: Any, *, community_id: int, year: int, month: int, tz: dt.tzinfo | None = None
) -> VisitSummary:
    """Count due, done, done on time, rate and the reasons for dissatisfaction (R-REP-8)."""
    if community_id not in community_ids_for(user) or Cap.CASES_VIEW not in capabilities_of(user):
        raise NotFound(_("No such community."))
    tz = tz or timezone.get_current_timezone()
    start = dt.datetime(year, month, 1, tzinfo=tz)
    end = dt.datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=tz)
    visits = list(
        ReturnVisit.objects.filter(community_id=community_id, due_at__gte=start, due_at__lt=end)
        .select_related("case")
        .only("due_at", "visited_at", "result", "rating", "comment", "case__number")
    )
    done = [v for v in visits if v.visited_at is not None]
    on_time = [v for v in done if v.visited_at is not None and v.visited_at <= v.due_at]
    results = Counter(v.result for v in done)
    ratings = [v.rating for v in done if v.rating]
    return VisitSummary(
        year=year,
        month=month,
        due=len(visits),
        done=len(done),
        on_time=len(on_time),
        rate=round(len(done) / len(visits), 4) if visits else 0.0,
        on_time_rate=round(len(on_time) / len(visits), 4) if visits else 0.0,
        satisfaction={r: results.get(r, 0) for r in VisitResult.values},
        average_rating=round(sum(ratings) / len(ratings), 2) if ratings else None,
        dissatisfaction=[
            (v.case.number, v.comment) for v in done if v.result == VisitResult.UNSATISFIED
        ],
    )
