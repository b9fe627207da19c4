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

from propdesk.accounts.selectors import community_ids_for
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


def _scope(user: Any, community_id: int | None) -> list[int]:
    ids = community_ids_for(user)
    if community_id is not None:
        ids = [c for c in ids if c == community_id]
    return ids


def _current(scope: list[int]) -> QuerySet[Occupancy]:
    today = timezone.localdate()
    return (
        Occupancy.objects.filter(community_id__in=scope)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .select_related("house", "customer")
    )


def _hits_from_occupancies(rows: Any, *, match: str, rank: int) -> list[SearchHit]:
    return [
        SearchHit(
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
        for o in rows
    ]


def _hits_for_customers(
    scope: list[int], customers: QuerySet[Customer], *, match: str, rank: int, limit: int
) -> list[SearchHit]:
    picked = list(customers.filter(community_id__in=scope)[:limit])
    if not picked:
        return []
    by_id = {c.pk: c for c in picked}
    occupancies = list(_current(scope).filter(customer_id__in=by_id).order_by("house__label"))
    hits = _hits_from_occupancies(occupancies, match=match, rank=rank)
    housed = {h.customer_id for h in hits}
    for c in picked:
        if c.pk not in housed:
            hits.append(
                SearchHit(c.pk, c.name, None, "", "", c.phone_masked, c.community_id, match, rank)
            )
    return hits


def quick_search(
    user: Any, query: str, *, community_id: int | None = None, limit: int = 20
) -> list[SearchHit]:
    """Whatever the caller says → ranked (customer, house) hits in the user's communities."""
    q = (query or "").strip()[:60]
    scope = _scope(user, community_id)
    if not q or not scope:
        return []
    hits: list[SearchHit] = []
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
        owners = Vehicle.objects.filter(community_id__in=scope, plate=plate).values("customer_id")
        return _hits_for_customers(
            scope,
            Customer.objects.filter(pk__in=owners),
            match="plate",
            rank=RANK_EXACT,
            limit=limit,
        )
    label = house_query(q)
    if label is not None:
        at_house = list(_current(scope).filter(house__label=label).order_by("role")[:limit])
        hits = _hits_from_occupancies(at_house, match="house", rank=RANK_HOUSE_EXACT)
        if len(hits) < limit:
            partial = (
                _current(scope)
                .filter(
                    Q(house__label__endswith=f"-{label}") | Q(house__label__startswith=f"{label}-")
                )
                .order_by("house__label", "role")[: limit - len(hits)]
            )
            hits += _hits_from_occupancies(partial, match="house", rank=RANK_PREFIX)
        return hits[:limit]
    if _LAST4.match(q):
        hits = _hits_for_customers(
            scope,
            Customer.objects.filter(phone_last4=q).order_by("name"),
            match="phone_last4",
            rank=RANK_EXACT,
            limit=limit,
        )
        rooms: Any = _current(scope).filter(house__room=q).order_by("house__label")[:limit]
        hits += _hits_from_occupancies(rooms, match="house", rank=RANK_PREFIX)
        return sorted(hits, key=lambda h: (h.rank, h.house_label))[:limit]
    if _CJK.match(q):
        exact = _hits_for_customers(
            scope,
            Customer.objects.filter(name=q).order_by("id"),
            match="name",
            rank=RANK_EXACT,
            limit=limit,
        )
        prefix = _hits_for_customers(
            scope,
            Customer.objects.filter(name__startswith=q).exclude(name=q).order_by("name"),
            match="name",
            rank=RANK_PREFIX,
            limit=limit,
        )
        hits = exact + prefix
        if len(hits) < limit and len(q) >= 2:
            fuzzy = _hits_for_customers(
                scope,
                Customer.objects.filter(name__contains=q)
                .exclude(name__startswith=q)
                .order_by("name"),
                match="name",
                rank=RANK_FUZZY,
                limit=limit - len(hits),
            )
            hits += fuzzy
        return hits[:limit]
    if _LATIN.match(q):
        low = q.lower()
        exact = _hits_for_customers(
            scope,
            Customer.objects.filter(Q(name_pinyin=low) | Q(name_initials=low)).order_by("name"),
            match="pinyin",
            rank=RANK_EXACT,
            limit=limit,
        )
        prefix = _hits_for_customers(
            scope,
            Customer.objects.filter(
                Q(name_pinyin__startswith=low) | Q(name_initials__startswith=low)
            )
            .exclude(Q(name_pinyin=low) | Q(name_initials=low))
            .order_by("name"),
            match="pinyin",
            rank=RANK_PREFIX,
            limit=limit,
        )
        return (exact + prefix)[:limit]
    return []
