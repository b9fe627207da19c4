"""Writes of the notification outbox.

`outbox_enqueue` is what every other domain calls, inside its own transaction,
to say "tell this person this"; the worker delivers the row after the commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from propdesk.accounts.roles import Cap
from propdesk.accounts.selectors import community_filter, community_ids_for, require
from propdesk.core.audit import audit_record
from propdesk.core.errors import Conflict, ErrorCollector, Forbidden, Invalid, NotFound
from propdesk.core.models import AuditAction
from propdesk.core.validation import text

from .events import (
    BUILTIN_TEMPLATES,
    CUSTOMER_CHANNELS,
    EVENTS,
    LANGUAGE_CODES,
    STAFF_CHANNELS,
    EventSpec,
    scope_choices,
)
from .models import (
    RETRYABLE_BY_STAFF,
    Channel,
    ChannelPreference,
    CustomerNotifyProfile,
    MessageTemplate,
    OutboxMessage,
    OutboxState,
    QuietHours,
)
from .quiet import window_for
from .rendering import TemplateSyntaxProblem, placeholders, substitute
from .selectors import quiet_window_of

_NEEDS = {
    Channel.SMS: ("to", "customer_id"),
    Channel.EMAIL: ("to", "customer_id", "staff_user_id"),
    Channel.PORTAL: ("customer_id",),
    Channel.STAFF: ("staff_user_id",),
}


def _wake_worker() -> None:
    # Lets an in-process worker (propdesk serve) pick the row up at once instead of
    # at its next poll; a separate worker process finds it by polling anyway.
    from propdesk.jobs.worker import wake

    wake()


def outbox_enqueue(
    *,
    community_id: int,
    channel: str,
    to: str = "",
    customer_id: int | None = None,
    staff_user_id: int | None = None,
    subject: str = "",
    body: str,
    ref_type: str = "",
    ref_id: str = "",
    dedupe_key: str = "",
    event: str = "",
    urgent: bool = False,
    now: dt.datetime | None = None,
) -> OutboxMessage:
    """Queue one message for delivery after the caller's transaction commits.

    The same non-empty `dedupe_key` twice returns the first row: never a second message.
    An SMS queued in the community's quiet hours waits for their end unless `urgent`.
    """
    now = now or timezone.now()
    errors = ErrorCollector()
    if channel not in Channel.values:
        errors.add("channel", _("Choose one of: sms, email, portal, staff."))
    if not body.strip():
        errors.add("body", _("This field is required."))
    if len(subject) > 200:
        errors.add("subject", _("At most 200 characters."))
    if len(dedupe_key) > 200:
        errors.add("dedupe_key", _("At most 200 characters."))
    if len(event) > 64:
        errors.add("event", _("At most 64 characters."))
    if channel in _NEEDS:
        given = {"to": bool(to.strip()), "customer_id": customer_id, "staff_user_id": staff_user_id}
        if not any(given[name] for name in _NEEDS[Channel(channel)]):
            errors.add(
                "to",
                _("Name a recipient this channel can reach: %(fields)s.")
                % {"fields": ", ".join(_NEEDS[Channel(channel)])},
            )
    if customer_id is not None:
        from propdesk.customers.models import Customer

        if not Customer.objects.filter(id=customer_id, community_id=community_id).exists():
            errors.add("customer_id", _("This customer does not belong to the community."))
    errors.raise_if_any()

    if dedupe_key:
        existing = OutboxMessage.objects.filter(dedupe_key=dedupe_key).first()
        if existing is not None:
            return existing
    next_attempt_at = now
    if channel == Channel.SMS and not urgent:
        next_attempt_at = quiet_window_of(community_id).until(now) or now
    fields: dict[str, Any] = {
        "community_id": community_id,
        "channel": channel,
        "to": to.strip(),
        "customer_id": customer_id,
        "staff_user_id": staff_user_id,
        "subject": subject,
        "body": body,
        "ref_type": ref_type,
        "ref_id": str(ref_id),
        "dedupe_key": dedupe_key,
        "event": event,
        "urgent": urgent,
        "state": OutboxState.PENDING,
        "next_attempt_at": next_attempt_at,
        "created_at": now,
    }
    try:
        # A savepoint, so a lost race on the dedupe key does not break the caller's
        # transaction: the constraint decides, the loser reads the winner's row.
        with transaction.atomic():
            message = OutboxMessage.objects.create(**fields)
    except IntegrityError:
        if not dedupe_key:
            raise
        return OutboxMessage.objects.get(dedupe_key=dedupe_key)
    transaction.on_commit(_wake_worker)
    return message


def outbox_retry(*, actor: Any, message_id: int, now: dt.datetime | None = None) -> OutboxMessage:
    """Put a failed or dead message back in the queue for an immediate new attempt."""
    require(actor, Cap.NOTIFY_VIEW)
    now = now or timezone.now()
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update()
            .filter(community_filter(actor), id=message_id)
            .first()
        )
        if message is None:
            raise NotFound(_("Message not found."))
        if message.state not in RETRYABLE_BY_STAFF:
            raise Conflict(_("Only failed or dead messages can be retried."))
        before = {"state": message.state, "attempts": message.attempts}
        message.state = OutboxState.PENDING
        message.attempts = 0
        message.next_attempt_at = now
        message.save(update_fields=["state", "attempts", "next_attempt_at", "updated_at"])
        audit_record(
            actor=actor,
            instance=message,
            action=AuditAction.UPDATE,
            before=before,
            after={"state": message.state, "attempts": 0},
            community_id=message.community_id,
            note="retry",
            at=now,
        )
        transaction.on_commit(_wake_worker)
    return message


def staff_alert_mark_read(*, actor: Any, alert_id: int, now: dt.datetime | None = None) -> int:
    """Mark one of the actor's own alerts read (0 = it was not theirs or already read)."""
    from .models import StaffAlert

    return StaffAlert.objects.filter(
        id=alert_id, user_id=getattr(actor, "pk", None) or 0, read_at__isnull=True
    ).update(read_at=now or timezone.now())


def portal_message_mark_read(
    *, customer_id: int, message_id: int, now: dt.datetime | None = None
) -> int:
    """Mark a message of the owner's inbox read; the portal passes the owner's own customer."""
    from .models import PortalMessage

    return PortalMessage.objects.filter(
        id=message_id, customer_id=customer_id, read_at__isnull=True
    ).update(read_at=now or timezone.now())


# --- Messages from templates -------------------------------------------------------


def normalise_language(code: str | None) -> str:
    """`zh-Hans`, `zh_hans`, `zh-CN` → `zh-hans`; `en-US` → `en`; anything else → the default."""
    for candidate in (code, settings.LANGUAGE_CODE):
        value = (candidate or "").strip().lower().replace("_", "-")
        if value.startswith("zh"):
            return "zh-hans"
        if value.startswith("en"):
            return "en"
    return "zh-hans"


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    body: str
    language: str
    source: str  # "community" | "default" | "builtin"


def _template_text(
    event: str, channel: str, language: str, community_id: int | None
) -> tuple[str, str, str, str] | None:
    """(subject, body, language, source) of the best text: own language first, then the default."""
    languages = [language]
    fallback = normalise_language(settings.LANGUAGE_CODE)
    if fallback != language:
        languages.append(fallback)
    rows = MessageTemplate.objects.filter(
        event=event, channel=channel, language__in=languages
    ).filter(Q(community__isnull=True) | Q(community_id=community_id))
    stored = {(t.language, t.community_id is not None): t for t in rows}
    for lang in languages:
        for own in (True, False):
            row = stored.get((lang, own))
            if row is not None and (own is False or community_id is not None):
                return row.subject, row.body, lang, "community" if own else "default"
        builtin = BUILTIN_TEMPLATES.get((event, channel, lang))
        if builtin is not None:
            return builtin[0], builtin[1], lang, "builtin"
    return None


def message_render(
    *,
    event: str,
    channel: str,
    language: str,
    context: Mapping[str, Any],
    community_id: int | None = None,
) -> RenderedMessage:
    """The subject and body of an event's message, filled from `context` (writes nothing).

    The community's own text wins over the default; a language without a text
    falls back to Simplified Chinese. Times in `context` read in the community's zone.
    """
    errors = ErrorCollector()
    spec = EVENTS.get(event)
    if spec is None:
        errors.add("event", _("Unknown event “%(event)s”.") % {"event": event})
    elif channel not in spec.channels:
        errors.add(
            "channel",
            _("This event has no message for the channel “%(channel)s”.") % {"channel": channel},
        )
    errors.raise_if_any()
    found = _template_text(event, channel, normalise_language(language), community_id)
    if found is None:
        raise Invalid.field("channel", _("No text exists for this event and channel."))
    subject, body, lang, source = found
    tz = None
    if community_id is not None:
        from propdesk.estates.models import Community

        zone = Community.objects.filter(id=community_id).values_list("time_zone", flat=True).first()
        tz = window_for(time_zone=zone).tz if zone else None
    try:
        return RenderedMessage(
            subject=substitute(subject, context, tz=tz),
            body=substitute(body, context, tz=tz),
            language=lang,
            source=source,
        )
    except KeyError as exc:
        raise Invalid.field(
            f"context.{exc.args[0]}",
            _("The message needs a value for {%(name)s}.") % {"name": exc.args[0]},
        ) from None
    except TemplateSyntaxProblem as exc:  # a row written around the service
        raise Invalid.field("body", str(exc)) from None


def _customer_channels(
    *,
    spec: EventSpec,
    customer: Any,
    requested: Sequence[str] | None,
    urgent: bool,
) -> tuple[list[str], str]:
    """The channels a customer is told on, and their language, after their preferences."""
    profile = CustomerNotifyProfile.objects.filter(customer_id=customer.pk).first()
    language = profile.language if profile else settings.LANGUAGE_CODE
    scopes = ["", spec.category, spec.code]
    prefs = {
        p.scope: p
        for p in ChannelPreference.objects.filter(customer_id=customer.pk, scope__in=scopes)
    }
    chosen = next((prefs[s] for s in reversed(scopes) if s in prefs), None)
    reachable = {
        Channel.SMS: bool(customer.phone_cipher),
        Channel.EMAIL: bool(customer.email),
        Channel.PORTAL: True,
    }
    if requested is not None:
        candidates = [c for c in requested if c in spec.channels]
        if chosen is not None:
            candidates = [c for c in candidates if c in chosen.channels]
    elif chosen is not None:
        candidates = [c for c in chosen.channels if c in spec.channels]
    else:
        candidates = list(spec.default_channels)
    if (
        profile is not None
        and profile.sms_opt_out
        and not (spec.essential or urgent)
        and Channel.SMS in candidates
    ):
        candidates.remove(Channel.SMS)
    candidates = [c for c in candidates if reachable.get(Channel(c), False)]
    if chosen is not None and chosen.preferred_channel in candidates:
        candidates = [chosen.preferred_channel]
    if not candidates and (spec.essential or urgent):
        # Never silently drop a bill or an emergency: the portal inbox always exists.
        candidates = [Channel.PORTAL]
    return list(dict.fromkeys(candidates)), language


def outbox_enqueue_event(
    *,
    event: str,
    context: Mapping[str, Any],
    community_id: int,
    customer_id: int | None = None,
    staff_user_id: int | None = None,
    channels: Sequence[str] | None = None,
    urgent: bool = False,
    ref_type: str = "",
    ref_id: str = "",
    dedupe_key: str = "",
    now: dt.datetime | None = None,
) -> list[OutboxMessage]:
    """Queue an event's message for one customer or staff member, in their language, on
    the channels their preferences allow (one outbox row per channel; may be none).

    `channels` narrows the event's channels for this call; `dedupe_key` gets
    `:<channel>` appended so each channel's row is de-duplicated on its own.
    """
    now = now or timezone.now()
    errors = ErrorCollector()
    spec = EVENTS.get(event)
    if spec is None:
        errors.add("event", _("Unknown event “%(event)s”.") % {"event": event})
    if (customer_id is None) == (staff_user_id is None):
        errors.add("customer_id", _("Name either a customer or a staff member."))
    if channels is not None:
        unknown = [c for c in channels if c not in Channel.values]
        if unknown:
            errors.add("channels", _("Unknown channel: %(names)s.") % {"names": ", ".join(unknown)})
    errors.raise_if_any()
    assert spec is not None

    from propdesk.estates.models import Community

    community = Community.objects.filter(id=community_id).first()
    if community is None:
        raise Invalid.field("community_id", _("No such community."))
    values: dict[str, Any] = {"community_name": community.name, "service_phone": community.phone}
    if customer_id is not None:
        from propdesk.customers.models import Customer

        customer = Customer.objects.filter(id=customer_id, community_id=community_id).first()
        if customer is None:
            raise Invalid.field("customer_id", _("This customer does not belong to the community."))
        values["customer_name"] = customer.name
        targets, language = _customer_channels(
            spec=spec, customer=customer, requested=channels, urgent=urgent
        )
    else:
        from propdesk.accounts.models import User

        user = User.objects.filter(id=staff_user_id or 0, is_active=True).first()
        if user is None:
            raise Invalid.field("staff_user_id", _("No such staff member."))
        values["customer_name"] = ""
        language = user.language
        wanted = list(channels) if channels is not None else list(spec.default_channels)
        targets = [
            c
            for c in wanted
            if c in spec.channels
            and c in STAFF_CHANNELS
            and (c != Channel.EMAIL or bool(user.email))
        ]
    values.update(context)
    missing = [name for name in spec.variables if name not in values]
    if missing:
        raise Invalid(
            {
                f"context.{name}": _("The event needs a value for {%(name)s}.") % {"name": name}
                for name in missing
            }
        )
    messages: list[OutboxMessage] = []
    for channel in targets:
        text = message_render(
            event=event,
            channel=channel,
            language=language,
            context=values,
            community_id=community_id,
        )
        messages.append(
            outbox_enqueue(
                community_id=community_id,
                channel=channel,
                customer_id=customer_id,
                staff_user_id=staff_user_id,
                subject=text.subject[:200],
                body=text.body,
                ref_type=ref_type,
                ref_id=ref_id,
                dedupe_key=f"{dedupe_key}:{channel}"[:200] if dedupe_key else "",
                event=event,
                urgent=urgent,
                now=now,
            )
        )
    return messages


# --- Configuration written by staff ----------------------------------------------


def _template_errors(spec: EventSpec, subject: str, body: str, errors: ErrorCollector) -> None:
    allowed = ", ".join("{" + name + "}" for name in spec.variables)
    for field, value in (("subject", subject), ("body", body)):
        try:
            names = placeholders(value)
        except TemplateSyntaxProblem as exc:
            errors.add(field, str(exc))
            continue
        for name in names:
            if name not in spec.variables:
                errors.add(
                    field,
                    _("Unknown placeholder {%(name)s}. This event offers: %(allowed)s.")
                    % {"name": name, "allowed": allowed},
                )


def message_preview(
    *,
    actor: Any,
    event: str,
    channel: str,
    subject: str,
    body: str,
    context: Mapping[str, Any] | None = None,
) -> RenderedMessage:
    """Check a text as `message_template_save` would and fill it with the event's sample
    values (or `context`); writes nothing. Raises `Invalid` naming the field."""
    require(actor, Cap.SLA_CONFIGURE)
    errors = ErrorCollector()
    spec = EVENTS.get(event)
    if spec is None:
        raise Invalid.field("event", _("Unknown event “%(event)s”.") % {"event": event})
    if not (body or "").strip():
        errors.add("body", _("This field is required."))
    _template_errors(spec, subject or "", body or "", errors)
    errors.raise_if_any()
    values = dict.fromkeys(spec.variables, "") | spec.sample | dict(context or {})
    return RenderedMessage(
        subject=substitute(subject or "", values),
        body=substitute(body, values),
        language="",
        source="preview",
    )


def _community_is(community_id: int | None) -> Q:
    return Q(community__isnull=True) if community_id is None else Q(community_id=community_id)


def _check_template_scope(actor: Any, community_id: int | None) -> None:
    require(actor, Cap.SLA_CONFIGURE)
    if community_id is None:
        # The default wording is every community's: company-wide staff only.
        if not (getattr(actor, "is_superuser", False) or getattr(actor, "all_communities", False)):
            raise Forbidden(_("Only company-wide staff may change the default wording."))
    elif community_id not in community_ids_for(actor):
        raise NotFound(_("Community not found."))


def message_template_save(
    *,
    actor: Any,
    event: str,
    channel: str,
    language: str,
    community_id: int | None,
    subject: str,
    body: str,
    now: dt.datetime | None = None,
) -> MessageTemplate:
    """Write the text of an event's message (the community's own, or the default when None)."""
    _check_template_scope(actor, community_id)
    now = now or timezone.now()
    errors = ErrorCollector()
    spec = EVENTS.get(event)
    if spec is None:
        errors.add("event", _("Unknown event “%(event)s”.") % {"event": event})
    elif channel not in spec.channels:
        errors.add(
            "channel",
            _("This event has no message for the channel “%(channel)s”.") % {"channel": channel},
        )
    if language not in LANGUAGE_CODES:
        errors.add("language", _("Choose one of: zh-hans, en."))
    subject = text(errors, "subject", subject, max_length=200, required=False)
    body = (body or "").strip()
    if not body:
        errors.add("body", _("This field is required."))
    elif len(body) > 4000:
        errors.add("body", _("At most %(max)d characters.") % {"max": 4000})
    if spec is not None:
        _template_errors(spec, subject, body, errors)
    errors.raise_if_any()
    with transaction.atomic():
        row = (
            MessageTemplate.objects.select_for_update()
            .filter(event=event, channel=channel, language=language)
            .filter(_community_is(community_id))
            .first()
        )
        if row is None:
            row = MessageTemplate.objects.create(
                event=event,
                channel=channel,
                language=language,
                community_id=community_id,
                subject=subject,
                body=body,
                updated_at=now,
                updated_by=actor,
            )
            audit_record(
                actor=actor,
                instance=row,
                action=AuditAction.CREATE,
                after={"subject": subject, "body": body},
                community_id=community_id,
                at=now,
            )
            return row
        before = {"subject": row.subject, "body": row.body}
        row.subject, row.body, row.updated_at, row.updated_by = subject, body, now, actor
        row.save(update_fields=["subject", "body", "updated_at", "updated_by"])
        audit_record(
            actor=actor,
            instance=row,
            action=AuditAction.UPDATE,
            before=before,
            after={"subject": subject, "body": body},
            community_id=community_id,
            at=now,
        )
    return row


def message_template_reset(
    *,
    actor: Any,
    event: str,
    channel: str,
    language: str,
    community_id: int | None,
    now: dt.datetime | None = None,
) -> bool:
    """Drop a community's own text (back to the default) or the default (back to the
    built-in text); False when there was nothing to drop."""
    _check_template_scope(actor, community_id)
    with transaction.atomic():
        row = (
            MessageTemplate.objects.select_for_update()
            .filter(event=event, channel=channel, language=language)
            .filter(_community_is(community_id))
            .first()
        )
        if row is None:
            return False
        audit_record(
            actor=actor,
            instance=row,
            action=AuditAction.DELETE,
            before={"subject": row.subject, "body": row.body},
            community_id=community_id,
            at=now,
        )
        row.delete()
    return True


def _clock_time(errors: ErrorCollector, field: str, value: Any) -> dt.time | None:
    if isinstance(value, dt.time):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    raw = ("" if value is None else str(value)).strip()
    if not raw:
        errors.add(field, _("This field is required."))
        return None
    try:
        hours, minutes = raw.split(":")
        return dt.time(int(hours), int(minutes))
    except ValueError:
        errors.add(field, _("Enter a time of day such as 22:00."))
        return None


def quiet_hours_set(
    *,
    actor: Any,
    community_id: int,
    enabled: bool,
    start: dt.time | str,
    end: dt.time | str,
    now: dt.datetime | None = None,
) -> QuietHours:
    """Set when the community's residents get no SMS (emergencies excepted)."""
    require(actor, Cap.SLA_CONFIGURE)
    if community_id not in community_ids_for(actor):
        raise NotFound(_("Community not found."))
    now = now or timezone.now()
    errors = ErrorCollector()
    start_t = _clock_time(errors, "start", start)
    end_t = _clock_time(errors, "end", end)
    if start_t is not None and end_t is not None and start_t == end_t:
        errors.add("end", _("The quiet period must end at another time than it starts."))
    errors.raise_if_any()
    assert start_t is not None
    assert end_t is not None
    with transaction.atomic():
        row = QuietHours.objects.select_for_update().filter(community_id=community_id).first()
        after = {"enabled": enabled, "start": f"{start_t:%H:%M}", "end": f"{end_t:%H:%M}"}
        if row is None:
            row = QuietHours.objects.create(
                community_id=community_id,
                enabled=enabled,
                start=start_t,
                end=end_t,
                updated_at=now,
                updated_by=actor,
            )
            audit_record(
                actor=actor,
                instance=row,
                action=AuditAction.CREATE,
                after=after,
                community_id=community_id,
                at=now,
            )
            return row
        before = {"enabled": row.enabled, "start": f"{row.start:%H:%M}", "end": f"{row.end:%H:%M}"}
        row.enabled, row.start, row.end = enabled, start_t, end_t
        row.updated_at, row.updated_by = now, actor
        row.save(update_fields=["enabled", "start", "end", "updated_at", "updated_by"])
        audit_record(
            actor=actor,
            instance=row,
            action=AuditAction.UPDATE,
            before=before,
            after=after,
            community_id=community_id,
            at=now,
        )
    return row


@dataclass(frozen=True)
class ScopePreference:
    """One row of a customer's preferences: the scope ("" = all messages) and its channels."""

    scope: str
    channels: Sequence[str]
    preferred_channel: str = ""


def customer_notify_preferences_set(
    *,
    actor: Any,
    customer_id: int,
    language: str,
    sms_opt_out: bool,
    preferences: Sequence[ScopePreference],
    now: dt.datetime | None = None,
) -> CustomerNotifyProfile:
    """Replace a customer's message language, SMS opt-out and channel preferences."""
    from propdesk.customers.selectors import customer_get_for_user

    require(actor, Cap.CUSTOMERS_MANAGE)
    customer = customer_get_for_user(actor, customer_id)
    now = now or timezone.now()
    errors = ErrorCollector()
    if language not in LANGUAGE_CODES:
        errors.add("language", _("Choose one of: zh-hans, en."))
    scopes = {key for key, _label in scope_choices()}
    reachable = {
        Channel.SMS: bool(customer.phone_cipher),
        Channel.EMAIL: bool(customer.email),
        Channel.PORTAL: True,
    }
    seen: set[str] = set()
    for pref in preferences:
        key = f"preferences.{pref.scope or '*'}"
        if pref.scope not in scopes:
            errors.add(key, _("Unknown kind of message “%(scope)s”.") % {"scope": pref.scope})
            continue
        if pref.scope in seen:
            errors.add(key, _("Given twice."))
        seen.add(pref.scope)
        for channel in pref.channels:
            if channel not in CUSTOMER_CHANNELS:
                errors.add(
                    f"{key}.channels",
                    _("“%(channel)s” is not a channel for customers.") % {"channel": channel},
                )
            elif not reachable[Channel(channel)]:
                errors.add(
                    f"{key}.channels",
                    _("The customer has no phone number for SMS.")
                    if channel == Channel.SMS
                    else _("The customer has no e-mail address."),
                )
        if pref.preferred_channel and pref.preferred_channel not in pref.channels:
            errors.add(
                f"{key}.preferred_channel",
                _("The preferred channel must be one of the allowed channels."),
            )
    errors.raise_if_any()
    with transaction.atomic():
        profile = (
            CustomerNotifyProfile.objects.select_for_update()
            .filter(customer_id=customer.pk)
            .first()
        )
        existing = list(ChannelPreference.objects.filter(customer_id=customer.pk).order_by("scope"))
        before: dict[str, Any] = {
            "language": profile.language if profile else None,
            "sms_opt_out": profile.sms_opt_out if profile else None,
            "preferences": {p.scope or "*": [p.channels, p.preferred_channel] for p in existing},
        }
        if profile is None:
            profile = CustomerNotifyProfile(
                customer_id=customer.pk, community_id=customer.community_id
            )
        profile.language, profile.sms_opt_out = language, sms_opt_out
        profile.updated_at, profile.updated_by = now, actor
        profile.save()
        ChannelPreference.objects.filter(customer_id=customer.pk).delete()
        ChannelPreference.objects.bulk_create(
            ChannelPreference(
                customer_id=customer.pk,
                community_id=customer.community_id,
                scope=pref.scope,
                channels=list(dict.fromkeys(pref.channels)),
                preferred_channel=pref.preferred_channel,
                updated_at=now,
            )
            for pref in sorted(preferences, key=lambda p: p.scope)
        )
        after: dict[str, Any] = {
            "language": language,
            "sms_opt_out": sms_opt_out,
            "preferences": {
                p.scope or "*": [list(dict.fromkeys(p.channels)), p.preferred_channel]
                for p in sorted(preferences, key=lambda p: p.scope)
            },
        }
        audit_record(
            actor=actor,
            instance=profile,
            action=AuditAction.UPDATE,
            before=before,
            after=after,
            community_id=customer.community_id,
            note="notify preferences",
            at=now,
        )
    return profile
