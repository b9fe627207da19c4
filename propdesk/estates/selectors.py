"""Permission-aware reads of estates: every queryset starts from the actor's scope."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from propdesk.accounts.roles import Cap
from propdesk.accounts.selectors import community_ids_for, user_can
from propdesk.core.errors import NotFound

from .models import Building, Community, House, Meter


def _scope(user: Any) -> list[int]:
    return community_ids_for(user) if user_can(user, Cap.ESTATES_VIEW) else []


def community_get_for_user(user: Any, community_id: int | str) -> Community:
    try:
        return Community.objects.get(id=int(community_id), id__in=_scope(user))
    except (Community.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("No such community.")) from None


def buildings_visible_to(user: Any, *, community_id: int | None = None) -> QuerySet[Building]:
    qs = Building.objects.filter(community_id__in=_scope(user))
    if community_id is not None:
        qs = qs.filter(community_id=community_id)
    return (
        qs.select_related("community")
        .annotate(house_count=Count("houses"))
        .order_by("community_id", "code")
    )


def building_get_for_user(user: Any, building_id: int | str) -> Building:
    try:
        return Building.objects.select_related("community").get(
            id=int(building_id), community_id__in=_scope(user)
        )
    except (Building.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("No such building.")) from None


def houses_visible_to(
    user: Any,
    *,
    community_id: int | None = None,
    building_id: int | None = None,
    status: str | None = None,
    query: str | None = None,
) -> QuerySet[House]:
    qs = House.objects.filter(community_id__in=_scope(user))
    if community_id is not None:
        qs = qs.filter(community_id=community_id)
    if building_id is not None:
        qs = qs.filter(building_id=building_id)
    if status:
        qs = qs.filter(status=status)
    if query:
        qs = qs.filter(Q(label__startswith=query) | Q(label__endswith="-" + query))
    return qs.select_related("building", "community").order_by("community_id", "label")


def house_get_for_user(user: Any, house_id: int | str) -> House:
    try:
        return House.objects.select_related("building", "community").get(
            id=int(house_id), community_id__in=_scope(user)
        )
    except (House.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("No such house.")) from None


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
