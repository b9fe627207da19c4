"""Reads of the outbox and the in-app inboxes, scoped by the actor's communities."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from propdesk.accounts.roles import Cap
from propdesk.accounts.selectors import community_ids_for, require
from propdesk.core.errors import NotFound

from .models import OutboxMessage, PortalMessage, StaffAlert


def outbox_visible_to(
    user: Any,
    *,
    community_id: int | None = None,
    state: str | None = None,
    channel: str | None = None,
    query: str | None = None,
) -> QuerySet[OutboxMessage]:
    """Messages of the user's communities, newest first (needs notify.view)."""
    require(user, Cap.NOTIFY_VIEW)
    ids = community_ids_for(user)
    if community_id is not None:
        ids = [i for i in ids if i == community_id]
    qs = OutboxMessage.objects.filter(community_id__in=ids)
    if state:
        qs = qs.filter(state=state)
    if channel:
        qs = qs.filter(channel=channel)
    if query:
        q = query.strip()
        qs = qs.filter(
            Q(subject__icontains=q) | Q(ref_id=q) | Q(ref_type=q) | Q(customer__name__startswith=q)
        )
    return qs.select_related("customer", "staff_user").order_by("-created_at", "-id")


def outbox_get_for_user(user: Any, message_id: int) -> OutboxMessage:
    message = outbox_visible_to(user).filter(id=message_id).first()
    if message is None:
        raise NotFound(_("Message not found."))
    return message


def outbox_state_counts(user: Any, *, community_id: int | None = None) -> dict[str, int]:
    from django.db.models import Count

    rows = (
        outbox_visible_to(user, community_id=community_id)
        .order_by()
        .values("state")
        .annotate(n=Count("id"))
    )
    return {row["state"]: row["n"] for row in rows}


def portal_messages_of_customer(customer_id: int) -> QuerySet[PortalMessage]:
    """The owner's inbox (the portal scopes the customer to the logged-in owner)."""
    return PortalMessage.objects.filter(customer_id=customer_id).order_by("-created_at", "-id")


def staff_alerts_of(user: Any, *, unread_only: bool = False) -> QuerySet[StaffAlert]:
    pk = getattr(user, "pk", None)
    if pk is None:
        return StaffAlert.objects.none()
    qs = StaffAlert.objects.filter(user_id=pk)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at", "-id")


def staff_alerts_unread_count(user: Any) -> int:
    """The number on the staff member's alert badge."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return staff_alerts_of(user, unread_only=True).count()
