"""Permission-aware reads of estates: every queryset starts from the actor's scope."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from propdesk.accounts.roles import Cap
from propdesk.accounts.selectors import community_filter, community_ids_for, user_can
from propdesk.core.errors import NotFound
from propdesk.core.memo import Memo
from propdesk.core.queries import one_or_none

from .models import Building, Community, House, Meter


def _scope(user: Any) -> list[int]:
    return community_ids_for(user) if user_can(user, Cap.ESTATES_VIEW) else []


def _scoped(user: Any, community_id: int | None) -> Q:
    """Rows of the user's communities (or of `community_id`, if theirs)."""
    if not user_can(user, Cap.ESTATES_VIEW):
        return Q(pk__in=[])
    return community_filter(user, community_id=community_id)


def _allowed(user: Any, obj: Any) -> Any:
    """`obj` if its community is one of the user's (checked in Python, not in SQL)."""
    if obj is None or obj.community_id not in set(_scope(user)):
        return None
    return obj


def _load_community(pk: int) -> Community | None:
    return one_or_none(Community.objects.filter(pk=pk))


community_memo: Memo[int, Community | None] = Memo(
    "estates.community", _load_community, models=("estates.Community",)
)


def community_get_for_user(
    user: Any, community_id: int | str, *, recent: bool = False
) -> Community:
    """The community if the user serves it, else NotFound.

    `recent=True` may hand back the process's copy of the row, up to
    `community_memo.seconds` old and shared with other requests (read-only): for
    writers that only need its zone, company and name, such as case intake.
    """
    try:
        pk = int(community_id)
    except (ValueError, TypeError):
        raise NotFound(_("No such community.")) from None
    community = None
    if pk in set(_scope(user)):
        community = community_memo.get(pk) if recent else _load_community(pk)
    if community is None:
        raise NotFound(_("No such community."))
    return community


def buildings_visible_to(user: Any, *, community_id: int | None = None) -> QuerySet[Building]:
    qs = Building.objects.filter(_scoped(user, community_id))
    return (
        qs.select_related("community")
        .annotate(house_count=Count("houses"))
        .order_by("community_id", "code")
    )


def building_choices(user: Any, *, community_id: int) -> list[tuple[int, str]]:
    """(id, name) of a community's buildings, for a filter list (no house counts)."""
    return list(
        Building.objects.filter(_scoped(user, community_id))
        .order_by("code")
        .values_list("id", "name")
    )


def building_get_for_user(user: Any, building_id: int | str) -> Building:
    try:
        pk = int(building_id)
    except (ValueError, TypeError):
        raise NotFound(_("No such building.")) from None
    building = _allowed(user, Building.objects.select_related("community").filter(id=pk).first())
    if building is None:
        raise NotFound(_("No such building."))
    return building


def houses_visible_to(
    user: Any,
    *,
    community_id: int | None = None,
    building_id: int | None = None,
    status: str | None = None,
    query: str | None = None,
) -> QuerySet[House]:
    qs = House.objects.filter(_scoped(user, community_id))
    if building_id is not None:
        qs = qs.filter(building_id=building_id)
    if status:
        qs = qs.filter(status=status)
    if query:
        qs = qs.filter(Q(label__startswith=query) | Q(label__endswith="-" + query))
    return qs.select_related("building", "community").order_by("community_id", "label")


def house_get_for_user(user: Any, house_id: int | str) -> House:
    try:
        pk = int(house_id)
    except (ValueError, TypeError):
        raise NotFound(_("No such house.")) from None
    house = _allowed(
        user, House.objects.select_related("building", "community").filter(id=pk).first()
    )
    if house is None:
        raise NotFound(_("No such house."))
    return house


def meters_of_house(house: House) -> list[Meter]:
    """Meters with their five latest readings, in two queries."""
    meters = list(house.meters.order_by("kind", "serial"))
    from django.db.models import Prefetch

    from .models import MeterReading

    if meters:
        from django.db.models import prefetch_related_objects

        prefetch_related_objects(
            meters,
            Prefetch(
                "readings", queryset=MeterReading.objects.order_by("-read_on"), to_attr="recent"
            ),
        )
        for meter in meters:
            meter.recent = meter.recent[:5]  # type: ignore[attr-defined]
    return meters
