"""Quick search at the front desk (issue 3 §1): one scenario per query type.

Each calls `propdesk.customers.search.quick_search(user, query)` directly as the
staff user serving every community of the group (the widest scope), with a
different sampled query on every run. Compared with `floor.select`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from benchmarks.harness import Context, Skip, scenario

from ._sample import customer_ids, vehicle_ids


def _quick_search() -> Callable[..., Any]:
    try:
        from propdesk.customers.search import quick_search
    except ImportError:
        raise Skip("search not built: propdesk.customers.search.quick_search is missing") from None
    return quick_search


def _customer_rows(ctx: Context, name: str) -> list[dict[str, Any]]:
    from propdesk.core.crypto import decrypt
    from propdesk.core.identity import phone_display
    from propdesk.customers.models import Customer, Occupancy

    ids = customer_ids(ctx, name)
    by_id = {
        c.pk: c
        for c in Customer.objects.filter(pk__in=ids).only(
            "name",
            "name_pinyin",
            "name_initials",
            "phone_cipher",
            "phone_last4",
            "id_number_cipher",
        )
    }
    house_of = dict(
        Occupancy.objects.filter(customer_id__in=ids, end_date__isnull=True).values_list(
            "customer_id", "house__label"
        )
    )
    rows = []
    for pk in ids:
        c = by_id[pk]
        rows.append(
            {
                "name": c.name,
                "pinyin": c.name_pinyin,
                "initials": c.name_initials,
                "last4": c.phone_last4,
                "phone": phone_display(decrypt(c.phone_cipher)),
                "id_number": decrypt(c.id_number_cipher),
                "label": house_of.get(pk, ""),
                "community_id": c.community_id,
            }
        )
    return rows


def _chinese_label(label: str) -> str:
    parts = label.split("-")
    if len(parts) == 3:
        return f"{parts[0]}栋{parts[1]}单元{parts[2]}"
    return label


QUERY_TYPES: dict[str, tuple[str, Callable[[dict[str, Any]], str]]] = {
    "search.house_label": ("a full house label, 3-2-1801", lambda r: r["label"]),
    "search.house_partial": (
        "a partial house label without the building, 2-1801",
        lambda r: r["label"].split("-", 1)[-1],
    ),
    "search.house_chinese": (
        "a house label written in Chinese, 3栋2单元1801",
        lambda r: _chinese_label(r["label"]),
    ),
    "search.name": ("a name in characters, 张伟", lambda r: r["name"]),
    "search.pinyin": ("a name in full pinyin, zhangwei", lambda r: r["pinyin"]),
    "search.pinyin_initials": ("pinyin initials, zw", lambda r: r["initials"]),
    "search.phone_last4": ("the last 4 digits of a phone", lambda r: r["last4"]),
    "search.phone_full": ("a whole mobile number", lambda r: r["phone"]),
    "search.id_number": ("an exact ID number (blind index)", lambda r: r["id_number"]),
}


def _register(name: str, what: str, pick: Callable[[dict[str, Any]], str]) -> None:
    def setup(ctx: Context) -> Any:
        quick_search = _quick_search()
        queries = [pick(r) for r in _customer_rows(ctx, name)]
        queries = [q for q in queries if q]
        user = ctx.user

        def call(i: int) -> None:
            quick_search(user, queries[i % len(queries)])

        return call

    def setup_one(ctx: Context) -> Any:
        quick_search = _quick_search()
        pairs = [(pick(r), r["community_id"]) for r in _customer_rows(ctx, name)]
        pairs = [(q, c) for q, c in pairs if q]
        user = ctx.user

        def call(i: int) -> None:
            query, community_id = pairs[i % len(pairs)]
            quick_search(user, query, community_id=community_id)

        return call

    scenario(
        name,
        description=f"quick_search with {what}, all communities in scope.",
        runs=200,
        floor="floor.select",
    )(setup)
    scenario(
        name.replace("search.", "search.one_community.", 1),
        description=f"quick_search with {what}, within the caller's community "
        "(community_id=…, as the console's current community).",
        runs=200,
        floor="floor.select",
    )(setup_one)


for _name, (_what, _pick) in QUERY_TYPES.items():
    _register(_name, _what, _pick)


@scenario(
    "search.plate",
    description="quick_search with a licence plate, 京A12345, all communities in scope.",
    runs=200,
    floor="floor.select",
)
def search_plate(ctx: Context) -> Any:
    from propdesk.customers.models import Vehicle

    quick_search = _quick_search()
    ids = vehicle_ids(ctx, "search.plate")
    plates = list(Vehicle.objects.filter(pk__in=ids).values_list("plate", flat=True))
    if not plates:
        raise Skip("the dataset has no vehicles")
    user = ctx.user

    def call(i: int) -> None:
        quick_search(user, plates[i % len(plates)])

    return call


@scenario(
    "search.one_community.plate",
    description="quick_search with a licence plate within its community (community_id=…).",
    runs=200,
    floor="floor.select",
)
def search_plate_one(ctx: Context) -> Any:
    from propdesk.customers.models import Vehicle

    quick_search = _quick_search()
    ids = vehicle_ids(ctx, "search.plate")
    pairs = list(Vehicle.objects.filter(pk__in=ids).values_list("plate", "community_id"))
    if not pairs:
        raise Skip("the dataset has no vehicles")
    user = ctx.user

    def call(i: int) -> None:
        plate, community_id = pairs[i % len(pairs)]
        quick_search(user, plate, community_id=community_id)

    return call
