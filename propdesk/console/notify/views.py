"""Staff console: what was (or would be) sent, and a retry for what failed."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from propdesk.accounts.roles import Cap
from propdesk.accounts.selectors import current_community, user_can
from propdesk.console.views import staff_view
from propdesk.core.errors import Conflict
from propdesk.notify.masking import mask_address
from propdesk.notify.models import RETRYABLE_BY_STAFF, Channel, OutboxState
from propdesk.notify.selectors import (
    outbox_digested_in,
    outbox_get_for_user,
    outbox_state_counts,
    outbox_visible_to,
)
from propdesk.notify.services import outbox_retry


def _to_label(message: object) -> str:
    to = getattr(message, "delivered_to", "") or mask_address(getattr(message, "to", ""))
    if to:
        return to
    customer = getattr(message, "customer", None)
    staff = getattr(message, "staff_user", None)
    if customer is not None:
        return str(customer.name)
    if staff is not None:
        return str(staff.get_full_name() or staff.get_username())
    return ""


@staff_view
def outbox_list(request: HttpRequest) -> HttpResponse:
    community = current_community(request)
    state = request.GET.get("state", "")
    channel = request.GET.get("channel", "")
    q = request.GET.get("q", "").strip()
    qs = outbox_visible_to(
        request.user,
        community_id=community.id if community else None,
        state=state if state in OutboxState.values else None,
        channel=channel if channel in Channel.values else None,
        query=q or None,
    )
    counts = outbox_state_counts(request.user, community_id=community.id if community else None)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    for m in page:
        m.to_label = _to_label(m)  # type: ignore[attr-defined]
    return render(
        request,
        "console/notify/outbox_list.html",
        {
            "page": page,
            "q": q,
            "state": state,
            "channel": channel,
            "states": OutboxState.choices,
            "channels": Channel.choices,
            "state_counts": [(v, label, counts.get(v, 0)) for v, label in OutboxState.choices],
            "retryable": RETRYABLE_BY_STAFF,
            "may_configure": user_can(request.user, Cap.SLA_CONFIGURE),
        },
    )


@staff_view
def outbox_detail(request: HttpRequest, pk: int) -> HttpResponse:
    message = outbox_get_for_user(request.user, pk)
    return render(
        request,
        "console/notify/outbox_detail.html",
        {
            "m": message,
            "to_label": _to_label(message),
            "retryable": RETRYABLE_BY_STAFF,
            "digested": outbox_digested_in(request.user, message) if message.is_digest else [],
        },
    )


@staff_view
@require_POST
def outbox_retry_view(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        outbox_retry(actor=request.user, message_id=pk)
    except Conflict as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("The message is queued for another attempt."))
    return redirect("console:notify:outbox-detail", pk=pk)
