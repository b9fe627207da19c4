"""Permission-aware reads of customers: scope = the communities the actor serves.

A customer is visible to a staff member when the record belongs to one of their
communities or the customer occupies a house there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from propdesk.accounts.roles import Cap
from propdesk.accounts.selectors import (
    community_filter,
    community_ids_for,
    serves_whole_company,
    user_can,
)
from propdesk.core.audit import audit_trail
from propdesk.core.crypto import blind_index
from propdesk.core.errors import NotFound
from propdesk.core.models import AuditEvent
from propdesk.estates.models import House

from .models import (
    ContactPoint,
    Customer,
    Document,
    Note,
    Occupancy,
    Tag,
    TimelineEntry,
    Vehicle,
)


def _scope(user: Any) -> Q:
    """Rows of the user's communities, for staff who may see customers at all."""
    if not user_can(user, Cap.CUSTOMERS_VIEW):
        return Q(pk__in=[])
    return community_filter(user)


def _current_occupancies() -> Q:
    return Q(end_date__isnull=True) | Q(end_date__gte=timezone.localdate())


def _visible(user: Any, community_id: int | None) -> Q:
    """Customers kept by, or living in, one of the user's communities (or `community_id`).

    Written as the union of two id sets: `community_id IN … OR EXISTS (occupancy …)`
    makes PostgreSQL read all 2,500,000 customers of a group. A user serving whole
    companies sees exactly those companies' customers (`occupancy_add` refuses a
    house of another company), so there the test is the customer's own community
    alone: for the company's staff one subquery on the company, for a superuser none.
    """
    ids = community_ids_for(user) if user_can(user, Cap.CUSTOMERS_VIEW) else []
    if not ids or (community_id is not None and community_id not in ids):
        return Q(pk__in=[])
    in_scope = community_filter(user, community_id=community_id)
    if community_id is None and serves_whole_company(user):
        return in_scope
    kept = Customer.objects.filter(in_scope).order_by().values("pk")
    living = Occupancy.objects.filter(in_scope).order_by().values("customer_id")
    return Q(pk__in=kept.union(living))


def customers_visible_to(
    user: Any,
    *,
    community_id: int | None = None,
    tag_code: str | None = None,
    query: str | None = None,
) -> QuerySet[Customer]:
    qs = Customer.objects.filter(_visible(user, community_id))
    if tag_code:
        qs = qs.filter(tags__code=tag_code)
    if query:
        q = query.strip()
        qs = qs.filter(
            Q(name__startswith=q)
            | Q(name_pinyin__startswith=q.lower())
            | Q(name_initials__startswith=q.lower())
            | Q(phone_last4=q)
        )
    return qs.order_by("name", "id")


def customers_list_rows(qs: QuerySet[Customer]) -> QuerySet[Customer]:
    """What a list page shows: current houses and tags, without a query per row."""
    return qs.select_related("community").prefetch_related(
        Prefetch(
            "occupancies",
            queryset=Occupancy.objects.filter(_current_occupancies()).select_related("house"),
            to_attr="current_occupancies",
        ),
        "tags",
    )


def customer_get_for_user(user: Any, customer_id: int | str) -> Customer:
    try:
        pk = int(customer_id)
    except (TypeError, ValueError):
        raise NotFound(_("No such customer.")) from None
    customer = customers_visible_to(user).filter(pk=pk).select_related("community").first()
    if customer is None:
        raise NotFound(_("No such customer."))
    return customer


def customer_find_by_id_number(user: Any, id_number: str) -> QuerySet[Customer]:
    """Exact lookup through the blind index; never a partial match on ID numbers."""
    from propdesk.core.errors import Invalid
    from propdesk.core.identity import normalise_document_number

    try:
        normalised = normalise_document_number(id_number)
    except Invalid:
        return Customer.objects.none()
    return customers_visible_to(user).filter(
        id_number_index=blind_index(normalised, purpose="customer.id_number")
    )


@dataclass
class Customer360:
    customer: Customer
    occupancies: list[Occupancy]
    past_occupancies: list[Occupancy]
    household: list[Occupancy]
    contacts: list[ContactPoint]
    tags: list[Tag]
    vehicles: list[Vehicle]
    notes: list[Note]
    documents: list[Document]
    timeline: list[TimelineEntry]
    audit: list[AuditEvent] = field(default_factory=list)
    can_view_pii: bool = False


def customer_360(user: Any, customer_id: int | str) -> Customer360:
    """Everything the desk shows about one customer, in a fixed number of queries."""
    customer = customer_get_for_user(user, customer_id)
    scope = _scope(user)
    occupancies = list(
        customer.occupancies.filter(scope)
        .select_related("house", "house__building", "community")
        .order_by("end_date", "house__label")
    )
    today = timezone.localdate()
    current = [o for o in occupancies if o.end_date is None or o.end_date >= today]
    past = [o for o in occupancies if o not in current]
    household = list(
        Occupancy.objects.filter(_current_occupancies(), house_id__in=[o.house_id for o in current])
        .exclude(customer=customer)
        .select_related("customer", "house")
        .order_by("house__label", "role")
    )
    return Customer360(
        customer=customer,
        occupancies=current,
        past_occupancies=past,
        household=household,
        contacts=list(customer.contacts.order_by("kind", "id")),
        tags=list(customer.tags.all()),
        vehicles=list(customer.vehicles.order_by("plate")),
        notes=list(customer.notes.select_related("author")[:50]),
        # A customer may live in two communities; each desk sees only its own history.
        documents=list(
            customer.documents.filter(scope).select_related("uploaded_by", "house")[:50]
        ),
        timeline=list(customer.timeline.filter(scope).select_related("actor", "house")[:50]),
        audit=audit_trail(customer, limit=30) if user_can(user, Cap.AUDIT_VIEW) else [],
        can_view_pii=user_can(user, Cap.CUSTOMERS_VIEW_PII),
    )


def house_occupants(house: House) -> list[Occupancy]:
    return list(
        house.occupancies.select_related("customer").order_by("end_date", "role", "start_date")
    )


def house_timeline(house: House, *, limit: int = 50) -> list[TimelineEntry]:
    return list(house.timeline.select_related("actor", "customer")[:limit])


def document_get_for_user(user: Any, document_id: int | str) -> Document:
    try:
        return Document.objects.select_related("customer", "house").get(
            _scope(user), id=int(document_id)
        )
    except (Document.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("No such document.")) from None


def tags_for_company(company_id: int) -> QuerySet[Tag]:
    return Tag.objects.filter(company_id=company_id)


def occupancies_visible_to(
    user: Any, *, house_id: int | None = None, customer_id: int | None = None
) -> QuerySet[Occupancy]:
    qs = Occupancy.objects.filter(_scope(user))
    if house_id is not None:
        qs = qs.filter(house_id=house_id)
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    return qs.select_related("house", "customer").order_by("house__label", "role")


def occupancy_get_for_user(user: Any, occupancy_id: int | str) -> Occupancy:
    try:
        return occupancies_visible_to(user).get(id=int(occupancy_id))
    except (Occupancy.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("No such occupancy.")) from None
