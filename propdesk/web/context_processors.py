"""Context every console page needs: the actor's communities and the current one."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

SWITCHER_LIMIT = 30


def shell(request: HttpRequest) -> dict[str, Any]:
    from django.urls import reverse

    from propdesk.accounts.selectors import (
        capabilities_of,
        communities_visible_to,
        community_ids_for,
        current_community,
    )
    from propdesk.console.nav import NAV

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.kind != "staff":
        return {}
    caps = capabilities_of(user)
    path = request.path
    nav = []
    for item in NAV:
        if item.capability in caps:
            url = reverse(item.url_name)
            nav.append({"label": item.label, "url": url, "active": path.startswith(url)})
    # A group serves hundreds of communities: past SWITCHER_LIMIT the switcher is a
    # search box (console:community-search) instead of a list drawn on every page.
    many = len(community_ids_for(user)) > SWITCHER_LIMIT
    from propdesk.notify.selectors import staff_alerts_unread_count

    return {
        "shell_unread_alerts": staff_alerts_unread_count(user),
        "shell_communities": [] if many else communities_visible_to(user),
        "shell_many_communities": many,
        "shell_community": current_community(request),
        "shell_nav": nav,
    }
