"""Staff console: what was (or would be) sent, and a retry for what failed."""

from __future__ import annotations

import contextlib

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
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


_REF_URLS = {"servicedesk.case": "console:servicedesk:case"}


@staff_view
def alert_list(request: HttpRequest) -> HttpResponse:
    """The signed-in staff member's own alerts (deadline warnings, breaches, digests)."""
    from propdesk.notify.selectors import staff_alerts_of

    unread_only = request.GET.get("unread") == "1"
    page = Paginator(staff_alerts_of(request.user, unread_only=unread_only), 50).get_page(
        request.GET.get("page")
    )
    for alert in page.object_list:
        url = ""
        if alert.ref_type in _REF_URLS and alert.ref_id.isdigit():
            try:
                url = reverse(_REF_URLS[alert.ref_type], args=[int(alert.ref_id)])
            except NoReverseMatch:
                url = ""
        alert.link = url
    return render(
        request, "console/notify/alert_list.html", {"page": page, "unread_only": unread_only}
    )


@staff_view
@require_POST
def alert_read(request: HttpRequest) -> HttpResponse:
    """Mark one alert (or, with `all`, every unread alert of the user) read."""
    from django.utils import timezone

    from propdesk.notify.models import StaffAlert
    from propdesk.notify.services import staff_alert_mark_read

    if request.POST.get("all"):
        StaffAlert.objects.filter(user_id=request.user.pk or 0, read_at__isnull=True).update(
            read_at=timezone.now()
        )
    else:
        with contextlib.suppress(ValueError):
            staff_alert_mark_read(actor=request.user, alert_id=int(request.POST.get("id", "")))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("console:notify:alerts")
    return redirect(target)
