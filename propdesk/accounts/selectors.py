"""Who may see which communities, and what a user may do: scoping lives here.

Every other selector builds its querysets from `community_ids_for(user)`, so a
staff member of community A never sees a row of community B, whichever
interface asks.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _

from propdesk.core.errors import Forbidden
from propdesk.estates.models import Community

from .models import User, UserKind
from .roles import ROLE_CAPABILITIES

SESSION_COMMUNITY_KEY = "propdesk.community_id"


def _is_user(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and isinstance(user, User)


def community_ids_for(user: Any) -> list[int]:
    """Ids of the communities a staff user serves (owners and anonymous: none).

    Cached on the user object for the length of a request.
    """
    if not _is_user(user) or not user.is_active or user.kind != UserKind.STAFF:
        return []
    cached: list[int] | None = getattr(user, "_propdesk_community_ids", None)
    if cached is not None:
        return cached
    if user.is_superuser:
        ids = list(Community.objects.values_list("id", flat=True))
    elif user.all_communities and user.company_id:
        ids = list(
            Community.objects.filter(company_id=user.company_id).values_list("id", flat=True)
        )
    else:
        ids = list(user.scopes.values_list("community_id", flat=True))
    user._propdesk_community_ids = ids
    return ids


def communities_visible_to(user: Any) -> QuerySet[Community]:
    return Community.objects.filter(id__in=community_ids_for(user)).order_by("code")


def capabilities_of(user: Any) -> frozenset[str]:
    if not _is_user(user) or not user.is_active or user.kind != UserKind.STAFF:
        return frozenset()
    if user.is_superuser:
        return frozenset().union(*ROLE_CAPABILITIES.values())
    return ROLE_CAPABILITIES.get(user.role, frozenset())


def user_can(user: Any, capability: str) -> bool:
    return capability in capabilities_of(user)


def require(user: Any, capability: str) -> None:
    """Raise `Forbidden` unless the user holds the capability."""
    if not user_can(user, capability):
        raise Forbidden(_("You do not have the permission for this action."))


def current_community(request: HttpRequest) -> Community | None:
    """The community the console is switched to (the first one served by default)."""
    ids = community_ids_for(request.user)
    if not ids:
        return None
    chosen = request.session.get(SESSION_COMMUNITY_KEY)
    if chosen not in ids:
        chosen = min(ids) if len(ids) > 1 else ids[0]
    return Community.objects.filter(id=chosen).first()


def forget_scope_cache(user: Any) -> None:
    """Drop the cached community ids after the user's scopes (or communities) changed."""
    if isinstance(user, User):
        user.__dict__.pop("_propdesk_community_ids", None)


def staff_visible_to(user: Any) -> QuerySet[User]:
    """Staff serving any community the user serves, company-wide staff included."""
    ids = community_ids_for(user)
    if not ids:
        return User.objects.none()
    company_ids = Community.objects.filter(id__in=ids).values("company_id")
    return (
        User.objects.filter(kind=UserKind.STAFF)
        .filter(
            Q(scopes__community_id__in=ids) | Q(all_communities=True, company_id__in=company_ids)
        )
        .distinct()
        .order_by("username")
    )
