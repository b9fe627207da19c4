"""What every billing screen shares: the community it works in, calling one service and
keeping its field errors for the form, and the four-eyes approver with their password."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from propdesk.accounts import throttle
from propdesk.accounts.selectors import current_community, require
from propdesk.billing.selectors import approvers_for
from propdesk.core.errors import Conflict, Invalid
from propdesk.estates.models import Community


def community_for(request: HttpRequest, capability: str) -> Community:
    """The console's current community, for a user holding `capability` (else 403)."""
    require(request.user, capability)
    community = current_community(request)
    if community is None:
        raise Http404
    return community


class Outcome:
    """The result of one service call as a form shows it: a value, field errors or a refusal."""

    def __init__(self) -> None:
        self.value: Any = None
        self.errors: dict[str, list[str]] = {}
        self.message = ""

    @property
    def ok(self) -> bool:
        return not self.errors and not self.message

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)


def call(fn: Callable[..., Any], out: Outcome | None = None, **kwargs: Any) -> Outcome:
    """Call a service unless the form already has errors; Invalid and Conflict become the form's."""
    out = out or Outcome()
    if not out.ok:
        return out
    try:
        out.value = fn(**kwargs)
    except Invalid as exc:
        for field, reasons in exc.errors.items():
            for reason in reasons:
                out.add(field, str(reason))
    except Conflict as exc:
        out.message = str(exc.message)
    return out


def posted(request: HttpRequest, *names: str) -> dict[str, str]:
    return {name: request.POST.get(name, "").strip() for name in names}


def approver_checked(request: HttpRequest, community_id: int, out: Outcome) -> Any:
    """The approver chosen in the form, once they have typed their own password (four eyes).

    Only staff who may approve billing corrections in this community can be chosen;
    the service checks that again.
    """
    raw = request.POST.get("approver", "").strip()
    approver = next(
        (u for u in approvers_for(request.user, community_id) if str(u.pk) == raw), None
    )
    if approver is None:
        out.add("approver", _("Choose who approves this correction."))
        return None
    try:
        right = throttle.password_verify(
            approver, request.POST.get("approver_password", ""), purpose="approver"
        )
    except throttle.Locked as locked:
        out.add(
            "approver_password",
            _("Too many wrong passwords for this approver. Try again after %(time)s.")
            % {"time": timezone.localtime(locked.until).strftime("%H:%M")},
        )
        return None
    if not right:
        out.add("approver_password", _("The approver's password is not right."))
        return None
    return approver
