"""Staff console: message texts, quiet hours and a customer's message preferences.

Thin: parse the form, call one service or selector, render. Refusals come back
as field errors with status 400 and nothing written.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from propdesk.accounts.roles import Cap
from propdesk.accounts.selectors import current_community, user_can
from propdesk.console.views import staff_view
from propdesk.core.errors import Invalid
from propdesk.estates.models import Community
from propdesk.notify.events import CUSTOMER_CHANNELS, EVENTS, scope_choices
from propdesk.notify.models import Channel
from propdesk.notify.selectors import (
    customer_notify_preferences_of,
    message_template_texts,
    message_templates_for,
    quiet_hours_for_user,
)
from propdesk.notify.services import (
    ScopePreference,
    customer_notify_preferences_set,
    message_preview,
    message_template_reset,
    message_template_save,
    quiet_hours_set,
)

LANGUAGE_LABELS = {"zh-hans": "简体中文", "en": "English"}


def _community(request: HttpRequest) -> Community:
    community = current_community(request)
    if community is None:
        raise Http404(_("Community not found."))
    return community


def _errors(exc: Invalid) -> dict[str, list[str]]:
    return {field: [str(m) for m in reasons] for field, reasons in exc.errors.items()}


def _may_edit_default(user: Any) -> bool:
    return bool(getattr(user, "is_superuser", False) or getattr(user, "all_communities", False))


@staff_view
def template_list(request: HttpRequest) -> HttpResponse:
    community = _community(request)
    rows = message_templates_for(request.user, community_id=community.id)
    events: list[dict[str, Any]] = []
    for row in rows:
        if not events or events[-1]["spec"].code != row.event.code:
            events.append({"spec": row.event, "rows": []})
        events[-1]["rows"].append(
            {
                "row": row,
                "channel_label": Channel(row.channel).label,
                "language_label": LANGUAGE_LABELS.get(row.language, row.language),
                "edit_url": reverse("console:notify:template-edit")
                + "?"
                + urlencode(
                    {"event": row.event.code, "channel": row.channel, "language": row.language}
                ),
            }
        )
    return render(
        request,
        "console/notify/template_list.html",
        {"community": community, "events": events},
    )


@staff_view
def template_edit(request: HttpRequest) -> HttpResponse:
    community = _community(request)
    source = request.POST if request.method == "POST" else request.GET
    event = source.get("event", "")
    channel = source.get("channel", "")
    language = source.get("language", "")
    scope = source.get("scope", "community")
    if scope not in {"community", "default"}:
        scope = "community"
    texts = message_template_texts(
        request.user, event=event, channel=channel, language=language, community_id=community.id
    )
    own, default = texts["own"], texts["default"]
    assert default is not None
    community_id = community.id if scope == "community" else None
    errors: dict[str, list[str]] = {}
    if scope == "community":
        subject, body = (own.subject, own.body) if own else (default.subject, default.body)
    else:
        subject, body = default.subject, default.body
    if request.method == "POST":
        subject = request.POST.get("subject", "")
        body = request.POST.get("body", "")
        edit_url = (
            reverse("console:notify:template-edit")
            + "?"
            + urlencode({"event": event, "channel": channel, "language": language, "scope": scope})
        )
        try:
            if request.POST.get("action") == "reset":
                if message_template_reset(
                    actor=request.user,
                    event=event,
                    channel=channel,
                    language=language,
                    community_id=community_id,
                ):
                    messages.success(request, _("The text is back to the default."))
            else:
                message_template_save(
                    actor=request.user,
                    event=event,
                    channel=channel,
                    language=language,
                    community_id=community_id,
                    subject=subject,
                    body=body,
                )
                messages.success(request, _("The text is saved."))
        except Invalid as exc:
            errors = _errors(exc)
        else:
            return redirect(edit_url)
    preview, preview_errors = _preview(request, event, channel, subject, body)
    spec = EVENTS[event]
    return render(
        request,
        "console/notify/template_edit.html",
        {
            "community": community,
            "spec": spec,
            "channel": channel,
            "channel_label": Channel(channel).label,
            "language": language,
            "language_label": LANGUAGE_LABELS.get(language, language),
            "scope": scope,
            "own": own,
            "default": default,
            "subject": subject,
            "body": body,
            "errors": errors,
            "preview": preview,
            "preview_errors": preview_errors,
            "variables": list(spec.variables.items()),
            "may_edit_default": _may_edit_default(request.user),
        },
        status=400 if errors else 200,
    )


def _preview(
    request: HttpRequest, event: str, channel: str, subject: str, body: str
) -> tuple[Any, dict[str, list[str]]]:
    try:
        return (
            message_preview(
                actor=request.user, event=event, channel=channel, subject=subject, body=body
            ),
            {},
        )
    except Invalid as exc:
        return None, _errors(exc)


@staff_view
def template_preview(request: HttpRequest) -> HttpResponse:
    """htmx: the text being typed, filled with the event's sample values."""
    source = request.POST if request.method == "POST" else request.GET
    preview, errors = _preview(
        request,
        source.get("event", ""),
        source.get("channel", ""),
        source.get("subject", ""),
        source.get("body", ""),
    )
    return render(
        request,
        "console/notify/_template_preview.html",
        {"preview": preview, "preview_errors": errors, "channel": source.get("channel", "")},
    )


@staff_view
def quiet_hours(request: HttpRequest) -> HttpResponse:
    community = _community(request)
    window = quiet_hours_for_user(request.user, community.id)
    form = {
        "enabled": window.enabled,
        "start": window.start.strftime("%H:%M"),
        "end": window.end.strftime("%H:%M"),
    }
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        form = {
            "enabled": request.POST.get("enabled") in {"1", "on", "true"},
            "start": request.POST.get("start", "").strip(),
            "end": request.POST.get("end", "").strip(),
        }
        try:
            quiet_hours_set(
                actor=request.user,
                community_id=community.id,
                enabled=bool(form["enabled"]),
                start=str(form["start"]),
                end=str(form["end"]),
            )
        except Invalid as exc:
            errors = _errors(exc)
        else:
            messages.success(request, _("Quiet hours are saved."))
            return redirect("console:notify:quiet-hours")
    return render(
        request,
        "console/notify/quiet_hours.html",
        {"community": community, "form": form, "errors": errors, "tz": window.tz.key},
        status=400 if errors else 200,
    )


@staff_view
def customer_preferences(request: HttpRequest, customer_id: int) -> HttpResponse:
    current = customer_notify_preferences_of(request.user, customer_id)
    may_edit = user_can(request.user, Cap.CUSTOMERS_MANAGE)
    errors: dict[str, list[str]] = {}
    language, sms_opt_out = current.language, current.sms_opt_out
    scopes: dict[str, tuple[list[str], str]] = dict(current.scopes)
    if request.method == "POST":
        language = request.POST.get("language", "")
        sms_opt_out = request.POST.get("sms_opt_out") in {"1", "on", "true"}
        prefs: list[ScopePreference] = []
        scopes = {}
        for key, _label in scope_choices():
            field = key or "all"
            if request.POST.get(f"{field}-custom") not in {"1", "on", "true"}:
                continue
            chosen = request.POST.getlist(f"{field}-channels")
            preferred = request.POST.get(f"{field}-preferred", "")
            prefs.append(ScopePreference(scope=key, channels=chosen, preferred_channel=preferred))
            scopes[key] = (chosen, preferred)
        try:
            customer_notify_preferences_set(
                actor=request.user,
                customer_id=current.customer.pk,
                language=language,
                sms_opt_out=sms_opt_out,
                preferences=prefs,
            )
        except Invalid as exc:
            errors = _errors(exc)
        else:
            messages.success(request, _("Message preferences are saved."))
            return redirect("console:notify:customer-preferences", customer_id=current.customer.pk)
    rows = []
    for key, label in scope_choices():
        chosen, preferred = scopes.get(key, ([], ""))
        prefix = f"preferences.{key or '*'}"
        rows.append(
            {
                "key": key or "all",
                "label": label,
                "custom": key in scopes,
                "channels": [(c, Channel(c).label, c in chosen) for c in CUSTOMER_CHANNELS],
                "preferred": preferred,
                "errors": [
                    m
                    for f, ms in errors.items()
                    if f == prefix or f.startswith(prefix + ".")
                    for m in ms
                ],
            }
        )
    return render(
        request,
        "console/notify/customer_preferences.html",
        {
            "customer": current.customer,
            "language": language,
            "sms_opt_out": sms_opt_out,
            "rows": rows,
            "errors": errors,
            "may_edit": may_edit,
            "languages": list(LANGUAGE_LABELS.items()),
            "customer_channels": [(c, Channel(c).label) for c in CUSTOMER_CHANNELS],
            "updated_at": current.updated_at,
        },
        status=400 if errors else 200,
    )
