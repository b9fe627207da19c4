"""Context every console page needs: the actor's communities and the current one."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def shell(request: HttpRequest) -> dict[str, Any]:
    from propdesk.accounts.selectors import communities_visible_to, current_community

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.kind != "staff":
        return {}
    return {
        "shell_communities": communities_visible_to(user),
        "shell_community": current_community(request),
    }
