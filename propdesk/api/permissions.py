"""Staff-only API access; owners get 403 until the portal API exists."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission

from propdesk.accounts.models import UserKind


class IsStaff(BasePermission):
    message = "Only staff accounts may use this endpoint."

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        return bool(
            user and user.is_authenticated and getattr(user, "kind", None) == UserKind.STAFF
        )
