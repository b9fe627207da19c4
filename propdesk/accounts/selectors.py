"""Who may see which communities, and what a user may do: scoping lives here.

Every other selector builds its querysets from `community_ids_for(user)` (the
list, for checks in Python) and `community_filter(user)` (the same scope as a
query filter), so a staff member of community A never sees a row of community B,
whichever interface asks.
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


# How a user's communities are given: none at all, every community there is (a
# superuser), every community of their company (all-communities staff), or their
# own list of scopes. `community_ids_for` and `community_filter` both read it here.
_NONE, _EVERY, _COMPANY, _LISTED = "none", "every", "company", "listed"


def _reach(user: Any) -> str:
    if not _is_user(user) or not user.is_active or user.kind != UserKind.STAFF:
        return _NONE
    if user.is_superuser:
        return _EVERY
    if user.all_communities and user.company_id:
        return _COMPANY
    return _LISTED


def community_ids_for(user: Any) -> list[int]:
    """Ids of the communities a staff user serves (owners and anonymous: none).

    Cached on the user object for the length of a request.
    """
    reach = _reach(user)
    if reach == _NONE:
        return []
    cached: list[int] | None = getattr(user, "_propdesk_community_ids", None)
    if cached is not None:
        return cached
    if reach == _EVERY:
        ids = list(Community.objects.values_list("id", flat=True))
    elif reach == _COMPANY:
        ids = list(
            Community.objects.filter(company_id=user.company_id).values_list("id", flat=True)
        )
    else:
        ids = list(user.scopes.values_list("community_id", flat=True))
    user._propdesk_community_ids = ids
    return ids


def serves_whole_company(user: Any) -> bool:
    """Whether the user's communities are whole companies: every community of their
    company (all-communities staff) or of every company (a superuser).

    Such a scope holds every community of each company it touches, so a row tied to
    a company through its community (a customer living in one of the company's
    houses; `occupancy_add` refuses another company's house) is in scope exactly
    when its own community is.
    """
    return _reach(user) in (_EVERY, _COMPANY)


def community_filter(
    user: Any, field: str = "community_id", *, community_id: int | None = None
) -> Q:
    """The communities `user` may see, as a filter on `field` (a non-null column
    holding a community id, e.g. `"community_id"` or `"house__community_id"`).

    - `community_id` given: `field = community_id` when the user serves it, and no
      rows at all when they do not (callers that must say NotFound check
      `community_ids_for` first).
    - Otherwise, for a user serving no community: no rows.
    - A superuser: no filter at all. Every community, present or future, is
      theirs, so dropping the filter cannot let a row through that they may not
      see, and a group's query reads its index without a list of 1,000 ids.
    - All-communities staff: `field IN (SELECT id FROM community WHERE company_id
      = their company)`. The database decides at query time, so another company's
      communities never count, not even one created after the user's scope was
      cached; the filter is never dropped for them, even while theirs is the
      only company, because that answer could go stale within the request.
    - Everyone else: an equality for one community (PostgreSQL plans `= X` better
      than `IN (X)`), `IN (ids)` for several.

    A superuser's filter is the empty `Q()`. Combine it with `&` or pass it to
    `filter()`; never `|` it with another condition: Django drops an empty Q from
    an OR instead of widening it to every row, so `Q(community=None) |
    community_filter(root)` would hide every community's rows from the superuser
    (`sla.config._defaults_or_served` shows the way round).

    It does not check capabilities: a caller whose rows need one returns no rows
    itself when the user lacks it. It runs the same single, request-cached query
    as `community_ids_for` and nothing more (the company's ids are a subquery).
    """
    ids = community_ids_for(user)
    if community_id is not None:
        return Q(**{field: community_id}) if community_id in ids else Q(pk__in=[])
    if not ids:
        return Q(pk__in=[])
    reach = _reach(user)
    if reach == _EVERY:
        return Q()
    if reach == _COMPANY:
        company = Community.objects.filter(company_id=user.company_id).values("pk")
        return Q(**{f"{field}__in": company})
    if len(ids) == 1:
        return Q(**{field: ids[0]})
    return Q(**{f"{field}__in": ids})


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
