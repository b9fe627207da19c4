"""Staff console views: thin — parse, call one selector or service, render."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from propdesk.accounts.models import UserKind
from propdesk.accounts.roles import Cap
from propdesk.accounts.selectors import (
    SESSION_COMMUNITY_KEY,
    communities_visible_to,
    community_ids_for,
    current_community,
    user_can,
)
from propdesk.console.billing.panels import billing_panel
from propdesk.core.audit import audit_trail
from propdesk.core.errors import Forbidden, NotFound
from propdesk.customers.selectors import (
    customer_360,
    customers_list_rows,
    customers_visible_to,
    house_occupants,
    house_timeline,
)
from propdesk.customers.services import customer_reveal_pii
from propdesk.estates.models import HouseStatus
from propdesk.estates.selectors import house_get_for_user, houses_visible_to, meters_of_house


def staff_view(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Login required, staff only; domain NotFound/Forbidden become 404/403."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if getattr(request.user, "kind", None) != UserKind.STAFF:
            raise PermissionDenied
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(str(exc.message)) from None
        except Forbidden as exc:
            raise PermissionDenied(str(exc.message)) from None

    return wrapper


@staff_view
def home(request: HttpRequest) -> HttpResponse:
    community = current_community(request)
    counts: dict[str, int] = {}
    if community is not None:
        houses = houses_visible_to(request.user, community_id=community.id)
        counts = {
            "houses": houses.count(),
            "occupied": houses.filter(status=HouseStatus.OCCUPIED).count(),
            "customers": customers_visible_to(request.user, community_id=community.id).count(),
        }
    from propdesk.console.sla.views import at_risk_panel

    context = {"community": community, "counts": counts, **at_risk_panel(request, community)}
    return render(request, "console/home.html", context)


@staff_view
@require_POST
def switch_community(request: HttpRequest) -> HttpResponse:
    try:
        chosen = int(request.POST.get("community", ""))
    except ValueError:
        raise Http404 from None
    if chosen not in community_ids_for(request.user):
        raise Http404
    request.session[SESSION_COMMUNITY_KEY] = chosen
    return redirect("console:home")


@staff_view
def community_search(request: HttpRequest) -> HttpResponse:
    """The switcher of a group user: the first 20 served communities matching code or name."""
    q = request.GET.get("q", "").strip()
    rows = communities_visible_to(request.user)
    if q:
        rows = rows.filter(Q(name__icontains=q) | Q(code__istartswith=q))
    return render(
        request,
        "console/_community_hits.html",
        {"communities": list(rows.order_by("code")[:20]), "q": q},
    )


@staff_view
def customer_list(request: HttpRequest) -> HttpResponse:
    community = current_community(request)
    q = request.GET.get("q", "").strip()
    qs = customers_visible_to(
        request.user, community_id=community.id if community else None, query=q or None
    )
    page = Paginator(customers_list_rows(qs), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "console/customer_list.html",
        {"page": page, "q": q, "can_export": user_can(request.user, Cap.DATA_EXPORT)},
    )


@staff_view
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    c = customer_360(request.user, pk)
    billing = billing_panel(request.user, [o.house_id for o in c.occupancies])
    return render(request, "console/customer_detail.html", {"c": c, "billing": billing})


@staff_view
@require_POST
def customer_reveal(request: HttpRequest, pk: int, field: str) -> HttpResponse:
    value = customer_reveal_pii(actor=request.user, customer_id=pk, field=field, channel="console")
    return HttpResponse(f'<span class="pii-full">{_escape(value)}</span>')


def _escape(value: str) -> str:
    from django.utils.html import escape

    return escape(value)


@staff_view
def house_list(request: HttpRequest) -> HttpResponse:
    community = current_community(request)
    q = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    qs = houses_visible_to(
        request.user,
        community_id=community.id if community else None,
        status=status or None,
        query=q or None,
    )
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "console/house_list.html",
        {
            "page": page,
            "q": q,
            "status": status,
            "statuses": HouseStatus.choices,
            "can_export": user_can(request.user, Cap.DATA_EXPORT),
        },
    )


@staff_view
def house_detail(request: HttpRequest, pk: int) -> HttpResponse:
    house = house_get_for_user(request.user, pk)
    return render(
        request,
        "console/house_detail.html",
        {
            "house": house,
            "occupants": house_occupants(house),
            "meters": meters_of_house(house),
            "timeline": house_timeline(house),
            "audit": audit_trail(house, limit=30) if user_can(request.user, Cap.AUDIT_VIEW) else [],
            "billing": billing_panel(request.user, [house.pk]),
        },
    )


@staff_view
def quick_search_view(request: HttpRequest) -> HttpResponse:
    """The one box at the top of every page: an htmx partial while typing, a page on Enter."""
    from propdesk.customers.search import quick_search

    community = current_community(request)
    q = request.GET.get("q", "").strip()
    hits = quick_search(request.user, q, community_id=community.id if community else None)
    template = "console/_search_hits.html" if request.htmx else "console/search.html"  # type: ignore[attr-defined]
    if request.htmx and request.GET.get("pick") in PICKERS:  # type: ignore[attr-defined]
        # Another screen's box (the cashier desk) lists the same hits linked its own way.
        template = PICKERS[request.GET["pick"]]
    return render(request, template, {"hits": hits, "q": q})


# Partials other screens use to show the one-box hits, by the box's `pick` parameter.
PICKERS = {"cashier": "console/billing/_desk_hits.html"}
