"""Reads of the outbox and the in-app inboxes, scoped by the actor's communities."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from propdesk.accounts.roles import Cap
from propdesk.accounts.selectors import community_filter, community_ids_for, require
from propdesk.core.errors import NotFound

from .events import BUILTIN_TEMPLATES, EVENTS, LANGUAGE_CODES, EventSpec
from .models import (
    ChannelPreference,
    CustomerNotifyProfile,
    MessageTemplate,
    OutboxMessage,
    PortalMessage,
    QuietHours,
    StaffAlert,
)
from .quiet import QuietWindow, window_for

if TYPE_CHECKING:
    from propdesk.customers.models import Customer


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
    qs = OutboxMessage.objects.filter(community_filter(user, community_id=community_id))
    if state:
        qs = qs.filter(state=state)
    if channel:
        qs = qs.filter(channel=channel)
    if query:
        q = query.strip()
        qs = qs.filter(
            Q(subject__icontains=q) | Q(ref_id=q) | Q(ref_type=q) | Q(customer__name__startswith=q)
        )
    return qs.select_related("customer", "staff_user", "digest").order_by("-created_at", "-id")


def outbox_get_for_user(user: Any, message_id: int) -> OutboxMessage:
    message = outbox_visible_to(user).filter(id=message_id).first()
    if message is None:
        raise NotFound(_("Message not found."))
    return message


def outbox_digested_in(user: Any, digest: OutboxMessage) -> list[OutboxMessage]:
    """The held messages a digest delivered, oldest first."""
    return list(
        outbox_visible_to(user, community_id=digest.community_id)
        .filter(digest_id=digest.pk)
        .order_by("created_at", "id")
    )


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


def quiet_windows_of(community_ids: Iterable[int]) -> dict[int, QuietWindow]:
    """Each community's quiet hours (its row, or the 22:00–08:00 default) in its time zone."""
    from propdesk.estates.models import Community

    ids = set(community_ids)
    rows = {q.community_id: q for q in QuietHours.objects.filter(community_id__in=ids)}
    windows: dict[int, QuietWindow] = {}
    for cid, time_zone in Community.objects.filter(id__in=ids).values_list("id", "time_zone"):
        row = rows.get(cid)
        windows[cid] = (
            window_for(time_zone=time_zone, enabled=row.enabled, start=row.start, end=row.end)
            if row is not None
            else window_for(time_zone=time_zone)
        )
    return windows


def quiet_window_of(community_id: int) -> QuietWindow:
    return quiet_windows_of([community_id]).get(community_id) or window_for(time_zone="")


def quiet_hours_for_user(user: Any, community_id: int) -> QuietWindow:
    """The quiet hours of a community the user configures (needs sla.configure)."""
    require(user, Cap.SLA_CONFIGURE)
    if community_id not in community_ids_for(user):
        raise NotFound(_("Community not found."))
    return quiet_window_of(community_id)


@dataclass(frozen=True)
class TemplateRow:
    """One (event, channel, language) as a community sees it, and where its text comes from."""

    event: EventSpec
    channel: str
    language: str
    subject: str
    body: str
    source: str  # "community" | "default" | "builtin"
    updated_at: dt.datetime | None


def message_templates_for(user: Any, *, community_id: int) -> list[TemplateRow]:
    """Every event's text on every channel and language, as the community uses it."""
    require(user, Cap.SLA_CONFIGURE)
    if community_id not in community_ids_for(user):
        raise NotFound(_("Community not found."))
    rows = MessageTemplate.objects.filter(
        Q(community__isnull=True) | Q(community_id=community_id)
    ).only("event", "channel", "language", "community_id", "subject", "body", "updated_at")
    stored: dict[tuple[str, str, str, bool], MessageTemplate] = {
        (t.event, t.channel, t.language, t.community_id is not None): t for t in rows
    }
    out: list[TemplateRow] = []
    for spec in EVENTS.values():
        for channel in spec.channels:
            for language in LANGUAGE_CODES:
                own = stored.get((spec.code, channel, language, True))
                default = stored.get((spec.code, channel, language, False))
                chosen = own or default
                if chosen is not None:
                    out.append(
                        TemplateRow(
                            spec,
                            channel,
                            language,
                            chosen.subject,
                            chosen.body,
                            "community" if own else "default",
                            chosen.updated_at,
                        )
                    )
                else:
                    subject, body = BUILTIN_TEMPLATES.get((spec.code, channel, language), ("", ""))
                    out.append(TemplateRow(spec, channel, language, subject, body, "builtin", None))
    return out


def message_template_texts(
    user: Any, *, event: str, channel: str, language: str, community_id: int
) -> dict[str, TemplateRow | None]:
    """The community's own text (if any) and the default it would fall back to."""
    rows = [
        r
        for r in message_templates_for(user, community_id=community_id)
        if (r.event.code, r.channel, r.language) == (event, channel, language)
    ]
    if not rows:
        raise NotFound(_("No such template."))
    row = rows[0]
    default = MessageTemplate.objects.filter(
        event=event, channel=channel, language=language, community__isnull=True
    ).first()
    if default is not None:
        fallback = TemplateRow(
            row.event,
            channel,
            language,
            default.subject,
            default.body,
            "default",
            default.updated_at,
        )
    else:
        subject, body = BUILTIN_TEMPLATES.get((event, channel, language), ("", ""))
        fallback = TemplateRow(row.event, channel, language, subject, body, "builtin", None)
    return {"own": row if row.source == "community" else None, "default": fallback}


@dataclass(frozen=True)
class CustomerPreferences:
    customer: Customer
    language: str
    sms_opt_out: bool
    # scope ("" = all) → (allowed channels, preferred channel)
    scopes: dict[str, tuple[list[str], str]]
    updated_at: dt.datetime | None


def customer_notify_preferences_of(user: Any, customer_id: int | str) -> CustomerPreferences:
    """A customer's message language, SMS opt-out and channel preferences (needs customers.view)."""
    from propdesk.customers.selectors import customer_get_for_user

    require(user, Cap.CUSTOMERS_VIEW)
    customer = customer_get_for_user(user, customer_id)
    profile = CustomerNotifyProfile.objects.filter(customer_id=customer.pk).first()
    scopes = {
        p.scope: (list(p.channels), p.preferred_channel)
        for p in ChannelPreference.objects.filter(customer_id=customer.pk)
    }
    return CustomerPreferences(
        customer=customer,
        language=profile.language if profile else settings.LANGUAGE_CODE,
        sms_opt_out=profile.sms_opt_out if profile else False,
        scopes=scopes,
        updated_at=profile.updated_at if profile else None,
    )
