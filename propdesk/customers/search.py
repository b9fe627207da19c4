"""The front desk's one box: find the caller from whatever they say (issue 3 §1).

The query is classified first, so each kind is one indexed lookup:
ID number (blind index, exact only) · mobile number (blind index) · last 4
digits of a phone · licence plate · house label (`3-2-1801`, `2-1801`,
`3栋2单元1801`) · name in characters, full pinyin or pinyin initials.
Ranked: exact house > exact name > prefix > fuzzy; scoped to the user's
communities; every hit is a (customer, house) pair with role and masked phone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from propdesk.accounts.selectors import community_filter, community_ids_for
from propdesk.core.crypto import blind_index
from propdesk.core.errors import Invalid
from propdesk.core.identity import normalise_phone, normalise_plate

from .models import Customer, Occupancy, Vehicle
from .services import ID_PURPOSE, PHONE_PURPOSE

RANK_HOUSE_EXACT, RANK_EXACT, RANK_PREFIX, RANK_FUZZY = 0, 1, 2, 3

_ID = re.compile(r"^\d{17}[\dXx]$|^\d{15}$")
_MOBILE = re.compile(r"^(\+?86)?1\d{10}$")
_LAST4 = re.compile(r"^\d{4}$")
_PLATE = re.compile(r"^[\u4e00-\u9fff][A-Za-z][A-Za-z0-9]{4,6}$")
_CJK = re.compile(r"^[\u4e00-\u9fff·]+$")
_LATIN = re.compile(r"^[A-Za-z]+$")
_HOUSE_WORDS = (
    ("号楼", "-"),
    ("栋", "-"),
    ("幢", "-"),
    ("座", "-"),
    ("单元", "-"),
    ("室", ""),
    ("号", ""),
)


@dataclass(frozen=True)
class SearchHit:
    customer_id: int
    customer_name: str
    house_id: int | None
    house_label: str
    role: str
    phone_masked: str
    community_id: int
    match: str
    rank: int


def house_query(raw: str) -> str | None:
    """`3栋2单元1801` → `3-2-1801`; `2-1801` stays; None when it is not a house label."""
    text = raw.strip().replace(" ", "").replace("－", "-").replace("—", "-")
    for word, repl in _HOUSE_WORDS:
        text = text.replace(word, repl)
    text = re.sub(r"-+", "-", text)
    typed_dash = text.endswith("-")
    text = text.strip("-")
    if re.fullmatch(r"[0-9A-Za-z]+(-[0-9A-Za-z]+){1,2}", text) or (
        typed_dash and re.fullmatch(r"[0-9A-Za-z]+(-[0-9A-Za-z]+)?", text)
    ):
        return text.upper()
    return None


@dataclass(frozen=True)
class _Scope:
    """The communities a search may answer from.

    `ids` is the truth, checked in Python on every row a query returns. The queries
    carry `community_filter` (see accounts.selectors): none at all for a superuser,
    the company's communities by a subquery for all-communities staff, `= X` within
    one community. A group's `community_id IN (1,000 ids)` would cost the planner
    milliseconds and keep PostgreSQL from reading a global index in order and
    stopping after `limit` rows.
    """

    ids: frozenset[int]
    user: Any
    community_id: int | None

    def q(self, field: str = "community_id") -> Q:
        return community_filter(self.user, field, community_id=self.community_id)


def _scope(user: Any, community_id: int | None) -> _Scope | None:
    ids = community_ids_for(user)
    if community_id is not None:
        return (
            _Scope(frozenset([community_id]), user, community_id) if community_id in ids else None
        )
    if not ids:
        return None
    return _Scope(frozenset(ids), user, None)


_OCCUPANCY_FIELDS = (
    "community",
    "house",
    "customer",
    "role",
    "house__label",
    "customer__name",
    "customer__phone_masked",
)
_CUSTOMER_FIELDS = ("community", "name", "phone_masked")


def _current(scope: _Scope) -> QuerySet[Occupancy]:
    today = timezone.localdate()
    return (
        Occupancy.objects.filter(scope.q())
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .select_related("house", "customer")
        .only(*_OCCUPANCY_FIELDS)
    )


def _at_houses(scope: _Scope) -> QuerySet[Occupancy]:
    """Current occupancies found from their houses: the scope is put on the house too
    (an occupancy's community is its house's), so that PostgreSQL reads the house's
    (community, label) or (community, room) index instead of every occupancy of
    the community."""
    return _current(scope).filter(scope.q("house__community_id"))


def _top(rows: QuerySet[Occupancy], order: tuple[str, ...], n: int) -> list[Occupancy]:
    """The first `n` of `rows` in `order`: ranked on the narrow occupancy-house join,
    then only those `n` read with their customers (a group has the same label in
    1,000 communities: joining every match to its customer before the cut costs more
    than the search)."""
    if n <= 0:
        return []
    first = rows.order_by(*order).values("pk")[:n]
    return list(
        Occupancy.objects.filter(pk__in=first)
        .select_related("house", "customer")
        .only(*_OCCUPANCY_FIELDS)
        .order_by(*order)
    )


# The community comes before the role: within one community that is the order it
# always was, and across a group's 1,000 equal labels it lets PostgreSQL read the
# (label, community) index in order and stop after `limit` rows.
_BY_ROLE = ("house__community_id", "role", "customer_id")
_BY_LABEL = ("house__label", "house__community_id", "role", "customer_id")


def _hit(o: Occupancy, *, match: str, rank: int) -> SearchHit:
    return SearchHit(
        customer_id=o.customer_id,
        customer_name=o.customer.name,
        house_id=o.house_id,
        house_label=o.house.label,
        role=o.get_role_display(),
        phone_masked=o.customer.phone_masked,
        community_id=o.community_id,
        match=match,
        rank=rank,
    )


def _hits_from_occupancies(scope: _Scope, rows: Any, *, match: str, rank: int) -> list[SearchHit]:
    return [_hit(o, match=match, rank=rank) for o in rows if o.community_id in scope.ids]


def _first(scope: _Scope, customers: QuerySet[Customer], limit: int) -> list[Customer]:
    rows = customers.filter(scope.q()).only(*_CUSTOMER_FIELDS)[:limit]
    return [c for c in rows if c.community_id in scope.ids]


def _merged(parts: list[list[Customer]], key: Any, limit: int) -> list[Customer]:
    """Customers of several ordered queries, in one order, each once."""
    seen: set[int] = set()
    out = []
    for c in sorted((c for part in parts for c in part), key=key):
        if c.pk not in seen:
            seen.add(c.pk)
            out.append(c)
    return out[:limit]


def _hits_of(scope: _Scope, picked: list[Customer], *, match: str, rank: int) -> list[SearchHit]:
    """(customer, current house) hits of the picked customers, by house label; customers
    without a current house in scope come last, in the order picked."""
    if not picked:
        return []
    occupancies = _current(scope).filter(customer_id__in=[c.pk for c in picked])
    hits = _hits_from_occupancies(
        scope, occupancies.order_by("house__label"), match=match, rank=rank
    )
    housed = {h.customer_id for h in hits}
    for c in picked:
        if c.pk not in housed:
            hits.append(
                SearchHit(c.pk, c.name, None, "", "", c.phone_masked, c.community_id, match, rank)
            )
    return hits


def _hits_for_customers(
    scope: _Scope, customers: QuerySet[Customer], *, match: str, rank: int, limit: int
) -> list[SearchHit]:
    return _hits_of(scope, _first(scope, customers, limit), match=match, rank=rank)


def _house_hits(scope: _Scope, label: str, limit: int) -> list[SearchHit]:
    """The house itself, then (while few) the labels it ends (`2-1801` → `3-2-1801`)
    or starts (`3-2` → `3-2-1801`)."""
    at_house = _top(_at_houses(scope).filter(house__label=label), _BY_ROLE, limit)
    hits = _hits_from_occupancies(scope, at_house, match="house", rank=RANK_HOUSE_EXACT)
    room = limit - len(hits)
    if room <= 0:
        return hits[:limit]
    parts = label.split("-")
    rows = _top(_at_houses(scope).filter(house__label__startswith=f"{label}-"), _BY_LABEL, room)
    # Parts of a label never contain "-" (estates.services.house_label), so a label
    # ends in "-2-1801" exactly when it is unit 2, room 1801 of some building: the
    # (room, label, community) index finds those in order, where `LIKE '%-2-1801'`
    # reads every label. A query of three parts ends no label. Parts with letters
    # keep the LIKE: SQLite's LIKE ignores case, its `=` does not.
    if len(parts) <= 2:
        ends = _at_houses(scope)
        if all(p.lower() == p for p in parts):
            ends = ends.filter(house__room=parts[-1])
            if len(parts) == 2:
                ends = ends.filter(house__unit=parts[0])
        else:
            ends = ends.filter(house__label__endswith=f"-{label}")
        rows += _top(ends, _BY_LABEL, room)
    rows.sort(key=lambda o: (o.house.label, o.community_id, o.role, o.customer_id))
    hits += _hits_from_occupancies(scope, rows[:room], match="house", rank=RANK_PREFIX)
    return hits[:limit]


def _name_hits(scope: _Scope, q: str, limit: int) -> list[SearchHit]:
    """Exact name, then (only while fewer than `limit`) names it starts, then contains."""
    exact = _first(scope, Customer.objects.filter(name=q).order_by("id"), limit)
    hits = _hits_of(scope, exact, match="name", rank=RANK_EXACT)
    if len(hits) >= limit:
        return hits[:limit]
    prefix = _first(
        scope,
        Customer.objects.filter(name__startswith=q).exclude(name=q).order_by("name", "id"),
        limit,
    )
    hits += _hits_of(scope, prefix, match="name", rank=RANK_PREFIX)
    if len(hits) < limit and len(q) >= 2:
        fuzzy = _first(
            scope,
            Customer.objects.filter(name__contains=q)
            .exclude(name__startswith=q)
            .order_by("name", "id"),
            limit - len(hits),
        )
        hits += _hits_of(scope, fuzzy, match="name", rank=RANK_FUZZY)
    return hits[:limit]


def _pinyin_hits(scope: _Scope, low: str, limit: int) -> list[SearchHit]:
    """Full pinyin or initials: exact first, then (only while fewer than `limit`)
    prefixes. Each key is its own query on its own (key, name) index: an OR across
    the two keys would read every match to sort them by name."""

    def order(c: Customer) -> tuple[str, int]:
        return (c.name, c.pk)

    exact = _merged(
        [
            _first(scope, Customer.objects.filter(name_pinyin=low).order_by("name", "id"), limit),
            _first(scope, Customer.objects.filter(name_initials=low).order_by("name", "id"), limit),
        ],
        order,
        limit,
    )
    hits = _hits_of(scope, exact, match="pinyin", rank=RANK_EXACT)
    if len(hits) >= limit:
        return hits[:limit]
    not_exact = Q(name_pinyin=low) | Q(name_initials=low)
    prefix = _merged(
        [
            _first(
                scope,
                Customer.objects.filter(name_pinyin__startswith=low)
                .exclude(not_exact)
                .order_by("name", "id"),
                limit,
            ),
            _first(
                scope,
                Customer.objects.filter(name_initials__startswith=low)
                .exclude(not_exact)
                .order_by("name", "id"),
                limit,
            ),
        ],
        order,
        limit,
    )
    hits += _hits_of(scope, prefix, match="pinyin", rank=RANK_PREFIX)
    return hits[:limit]


def quick_search(
    user: Any, query: str, *, community_id: int | None = None, limit: int = 20
) -> list[SearchHit]:
    """Whatever the caller says → ranked (customer, house) hits in the user's communities."""
    q = (query or "").strip()[:60]
    scope = _scope(user, community_id) if q else None
    if scope is None:
        return []
    if _ID.match(q):
        index = blind_index(q.upper(), purpose=ID_PURPOSE)
        return _hits_for_customers(
            scope,
            Customer.objects.filter(id_number_index=index),
            match="id",
            rank=RANK_EXACT,
            limit=limit,
        )
    if _MOBILE.match(q):
        try:
            e164 = normalise_phone(q)
        except Invalid:
            return []
        index = blind_index(e164, purpose=PHONE_PURPOSE)
        return _hits_for_customers(
            scope,
            Customer.objects.filter(phone_index=index),
            match="phone",
            rank=RANK_EXACT,
            limit=limit,
        )
    if _PLATE.match(q):
        try:
            plate = normalise_plate(q)
        except Invalid:
            plate = q.upper()
        owners = Vehicle.objects.filter(scope.q(), plate=plate).values("customer_id")
        return _hits_for_customers(
            scope,
            Customer.objects.filter(pk__in=owners),
            match="plate",
            rank=RANK_EXACT,
            limit=limit,
        )
    label = house_query(q)
    if label is not None:
        return _house_hits(scope, label, limit)
    if _LAST4.match(q):
        hits = _hits_for_customers(
            scope,
            Customer.objects.filter(phone_last4=q).order_by("name", "id"),
            match="phone_last4",
            rank=RANK_EXACT,
            limit=limit,
        )
        rooms = _top(_at_houses(scope).filter(house__room=q), _BY_LABEL, limit)
        hits += _hits_from_occupancies(scope, rooms, match="house", rank=RANK_PREFIX)
        return sorted(hits, key=lambda h: (h.rank, h.house_label))[:limit]
    if _CJK.match(q):
        return _name_hits(scope, q, limit)
    if _LATIN.match(q):
        return _pinyin_hits(scope, q.lower(), limit)
    return []
