"""Every write of the front desk: keys, parcels, storage, release passes, handovers.

Each public function checks permission and scope, validates (errors name the
field), locks the row it changes, refuses a transition its state table does
not allow, writes, appends one immutable `DeskEvent` and a timeline line, and
queues notifications — all in one transaction, so a refusal writes nothing.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable, Mapping
from typing import IO, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from propdesk.accounts.roles import Cap
from propdesk.accounts.selectors import require, user_can
from propdesk.core import validation as v
from propdesk.core.errors import Conflict, ErrorCollector, Forbidden, Invalid, NotFound
from propdesk.core.identity import normalise_phone
from propdesk.core.numbering import number_next
from propdesk.core.uploads import IMAGE_TYPES, check_upload, signature_from_data_url
from propdesk.customers.models import Customer, Occupancy, OccupancyRole
from propdesk.customers.selectors import customer_get_for_user
from propdesk.customers.services import timeline_append
from propdesk.estates.models import Community, House
from propdesk.estates.selectors import community_get_for_user, house_get_for_user

from . import checks
from .models import (
    AuditResult,
    BorrowerKind,
    ConsentMethod,
    DeskEvent,
    DeskRefusal,
    Handover,
    IdentityMethod,
    Key,
    KeyApproval,
    KeyAudit,
    KeyAuditLine,
    KeyConsent,
    KeyKind,
    KeyLend,
    KeyStatus,
    Parcel,
    ParcelConsent,
    ParcelKind,
    ParcelSize,
    ParcelStatus,
    PassPolicy,
    PassReason,
    PassStatus,
    PickupMethod,
    RefusedKind,
    ReleasePass,
    StorageFollowUp,
    StorageItem,
    StorageStatus,
)
from .workflow import TABLES, allowed_actions

UNDELIVERED_LEND_LIMIT = dt.timedelta(hours=12)  # R-KEY-3
MAIL_RETURN_WITHIN = dt.timedelta(days=3)  # R-PCL-3
PERISHABLE_FOLLOW_UP = dt.timedelta(hours=4)  # R-PCL-2: food is chased the same day
PARCEL_FOLLOW_UP = dt.timedelta(days=3)
PHOTO_MAX_BYTES = 8 * 1024 * 1024
FOLLOW_UP_METHODS = (
    ("phone", gettext_lazy("Phone")),
    ("sms", gettext_lazy("SMS")),
    ("visit", gettext_lazy("Visit")),
    ("other", gettext_lazy("Other")),
)

# Carriers guessed from the tracking number's prefix (the desk can always correct it).
CARRIER_PREFIXES = (
    ("SF", "顺丰"),
    ("JD", "京东"),
    ("YT", "圆通"),
    ("ZTO", "中通"),
    ("JT", "极兔"),
    ("DPK", "德邦"),
    ("EMS", "EMS"),
    ("E", "EMS"),
    ("77", "申通"),
    ("78", "中通"),
    ("73", "中通"),
    ("43", "韵达"),
    ("31", "韵达"),
)


# --- helpers ----------------------------------------------------------------------


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()


def _community(actor: Any, community_id: int, capability: str) -> Community:
    community = community_get_for_user(actor, community_id)
    require(actor, capability)
    return community


def _house(actor: Any, house_id: Any, capability: str) -> House:
    house = house_get_for_user(actor, house_id)
    require(actor, capability)
    return house


def _local(moment: dt.datetime, community: Community | None = None) -> dt.datetime:
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(community.time_zone if community else settings.TIME_ZONE)
    return moment.astimezone(tz)


def _event(
    object_type: str,
    obj: models.Model,
    *,
    actor: Any,
    action: str,
    at: dt.datetime,
    from_status: str = "",
    to_status: str = "",
    note: str = "",
    data: Mapping[str, Any] | None = None,
) -> DeskEvent:
    return DeskEvent.objects.create(
        community_id=obj.community_id,  # type: ignore[attr-defined]
        object_type=object_type,
        object_id=obj.pk,
        at=at,
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        from_status=from_status,
        to_status=to_status,
        note=note[:300],
        data=dict(data or {}),
    )


def _transition(object_type: str, obj: Any, action: str) -> str:
    """The target state of `action`, or a Conflict naming what is allowed now."""
    sources, target, _label = TABLES[object_type][action]
    if obj.status not in sources:
        allowed = allowed_actions(object_type, obj.status)
        names = "、".join(str(TABLES[object_type][a][2]) for a in allowed) or _("none")
        raise Conflict(
            _("It is %(status)s: “%(action)s” is not possible. Allowed now: %(allowed)s.")
            % {
                "status": obj.get_status_display(),
                "action": TABLES[object_type][action][2],
                "allowed": names,
            },
            code="invalid_transition",
            details={"allowed": allowed},
        )
    return target


def _timeline(
    *,
    community_id: int,
    kind: str,
    title: str,
    actor: Any,
    at: dt.datetime,
    ref_type: str,
    ref_id: Any,
    customer_id: int | None = None,
    house_id: int | None = None,
    body: str = "",
) -> None:
    if customer_id is None and house_id is None:
        return
    timeline_append(
        community_id=community_id,
        kind=kind,
        title=title,
        customer_id=customer_id,
        house_id=house_id,
        body=body,
        actor=actor,
        ref_type=ref_type,
        ref_id=str(ref_id),
        at=at,
    )


def _signature(
    errors: ErrorCollector,
    signature: str,
    paper_form_number: str,
    *,
    field: str = "signature",
    required: bool = True,
) -> tuple[bytes | None, str]:
    """A drawn signature (PNG data URL) or the number of a signed paper form: one is needed."""
    form = v.text(errors, "paper_form_number", paper_form_number, max_length=40, required=False)
    raw: bytes | None = None
    if signature:
        try:
            raw = signature_from_data_url(signature, field=field)
        except Invalid as exc:
            for f, reasons in exc.errors.items():
                for r in reasons:
                    errors.add(f, r)
    elif required and not form:
        errors.add(field, _("A drawn signature or the number of the signed paper form is needed."))
    return raw, form


def _phone(errors: ErrorCollector, field: str, value: Any, *, required: bool = True) -> str:
    raw = ("" if value is None else str(value)).strip()
    if not raw:
        if required:
            errors.add(field, _("This field is required."))
        return ""
    try:
        return normalise_phone(raw, field=field)
    except Invalid as exc:
        for reason in exc.errors.get(field, []):
            errors.add(field, reason)
        return ""


def _customer_in(
    errors: ErrorCollector, actor: Any, customer_id: Any, community: Community, field: str
) -> Customer | None:
    if customer_id in (None, ""):
        return None
    try:
        customer = customer_get_for_user(actor, customer_id)
    except NotFound:
        errors.add(field, _("No such customer."))
        return None
    if customer.community_id != community.id:
        errors.add(field, _("This customer belongs to another community."))
        return None
    return customer


def _is_current_occupant(
    customer: Customer, house: House, roles: Iterable[str] | None = None
) -> bool:
    today = timezone.localdate()
    qs = Occupancy.objects.filter(customer=customer, house=house, start_date__lte=today).filter(
        models.Q(end_date__isnull=True) | models.Q(end_date__gte=today)
    )
    if roles is not None:
        qs = qs.filter(role__in=list(roles))
    return qs.exists()


def _notify(
    *,
    community_id: int,
    channel: str,
    body: str,
    customer_id: int | None = None,
    staff_user_id: int | None = None,
    subject: str = "",
    ref_type: str,
    ref_id: Any,
    dedupe_key: str,
    now: dt.datetime,
) -> dict[str, Any]:
    """Queue a message through the notification outbox; if it is not there, say what was meant.

    Returns what the event records: the outbox id, or the message that would have gone.
    """
    try:
        from propdesk.notify.services import outbox_enqueue
    except ImportError:
        return {"channel": channel, "would_send": body}
    kwargs: dict[str, Any] = {
        "community_id": community_id,
        "channel": channel,
        "customer_id": customer_id,
        "subject": subject,
        "body": body,
        "ref_type": ref_type,
        "ref_id": str(ref_id),
        "dedupe_key": dedupe_key,
        "now": now,
    }
    if staff_user_id is not None:
        kwargs["staff_user_id"] = staff_user_id
    message = outbox_enqueue(**kwargs)
    return {"channel": channel, "outbox_id": message.pk}


def _owner_language() -> translation.override:
    return translation.override(settings.LANGUAGE_CODE)


def _unique_or_invalid(fn: Any, field_by_constraint: Mapping[str, tuple[str, str]]) -> Any:
    """Run `fn` in a savepoint; a unique constraint lost to a racing writer becomes a field error."""
    try:
        with transaction.atomic():
            return fn()
    except IntegrityError as exc:
        text = str(exc)
        for constraint, (field, message) in field_by_constraint.items():
            if constraint in text:
                raise Invalid.field(field, message) from None
        # SQLite names the columns, not the constraint: fall back to the first field.
        first = next(iter(field_by_constraint.values()))
        raise Invalid.field(first[0], first[1]) from None


# --- keys (R-KEY-1..5) --------------------------------------------------------------


def _key_locked(actor: Any, key_id: Any, capability: str) -> Key:
    from .selectors import key_get_for_user

    key = key_get_for_user(actor, key_id)
    require(actor, capability)
    return Key.objects.select_for_update().get(pk=key.pk)


def key_deposit(
    *,
    actor: Any,
    house_id: Any,
    kind: str,
    depositor_name: str,
    identity_method: str,
    condition: str,
    tag_number: str,
    cabinet_slot: str,
    customer_id: Any = None,
    identity_note: str = "",
    copies: Any = 1,
    signature: str = "",
    paper_form_number: str = "",
    note: str = "",
    now: dt.datetime | None = None,
) -> Key:
    """Take a key into the cabinet after checking identity and condition (R-KEY-1)."""
    now = _now(now)
    house = _house(actor, house_id, Cap.FRONTDESK_OPERATE)
    community = house.community
    errors = ErrorCollector()
    kind = v.choice(errors, "kind", kind, KeyKind.choices)
    name = v.text(errors, "depositor_name", depositor_name, max_length=100)
    method = v.choice(errors, "identity_method", identity_method, IdentityMethod.choices)
    id_note = v.text(errors, "identity_note", identity_note, max_length=100, required=False)
    cond = v.text(errors, "condition", condition, max_length=200)
    tag = v.text(errors, "tag_number", tag_number, max_length=20).upper()
    slot = v.text(errors, "cabinet_slot", cabinet_slot, max_length=20).upper()
    count = v.integer(errors, "copies", copies, minimum=1, maximum=50)
    note = v.text(errors, "note", note, max_length=300, required=False)
    customer = _customer_in(errors, actor, customer_id, community, "customer_id")
    if method == IdentityMethod.RECORD:
        if customer is None and "customer_id" not in errors.errors:
            errors.add("customer_id", _("Choose the owner's customer record."))
        elif customer is not None and not _is_current_occupant(customer, house):
            errors.add("customer_id", _("This customer does not live in or own this house."))
    elif method == IdentityMethod.ID_SHOWN and not id_note:
        errors.add("identity_note", _("Record the ID document that was shown."))
    image, form = _signature(errors, signature, paper_form_number)
    active = Key.objects.filter(community=community).exclude(status=KeyStatus.RELEASED)
    if tag and active.filter(tag_number=tag).exists():
        errors.add(
            "tag_number", _("Tag %(tag)s is already on a key in the cabinet.") % {"tag": tag}
        )
    if slot and active.filter(cabinet_slot=slot).exists():
        errors.add("cabinet_slot", _("Slot %(slot)s already holds a key.") % {"slot": slot})
    errors.raise_if_any()
    with transaction.atomic():
        key = Key(
            community=community,
            house=house,
            customer=customer,
            kind=kind,
            depositor_name=name,
            identity_method=method,
            identity_note=id_note,
            condition=cond,
            copies=count or 1,
            tag_number=tag,
            cabinet_slot=slot,
            paper_form_number=form,
            deposited_at=now,
            deposited_by=actor,
            note=note,
        )
        _unique_or_invalid(
            key.save,
            {
                "fd_key_unique_tag": ("tag_number", _("This tag is already on a key.")),
                "fd_key_unique_slot": ("cabinet_slot", _("This slot already holds a key.")),
            },
        )
        if image:
            key.signature.save(f"key-{key.pk}-deposit.png", ContentFile(image), save=False)
            key.save(update_fields=["signature"])
        _event(
            "key",
            key,
            actor=actor,
            action="deposit",
            at=now,
            to_status=key.status,
            data={"tag": tag, "slot": slot, "kind": kind},
        )
        _timeline(
            community_id=community.id,
            kind="frontdesk.key.deposited",
            title=_("Key deposited: tag %(tag)s, slot %(slot)s") % {"tag": tag, "slot": slot},
            actor=actor,
            at=now,
            ref_type="frontdesk.key",
            ref_id=key.pk,
            customer_id=customer.pk if customer else None,
            house_id=house.pk,
        )
    return key


def key_consent_record(
    *,
    actor: Any,
    key_id: Any,
    method: str,
    given_by: str,
    given_at: Any,
    purpose: str,
    now: dt.datetime | None = None,
) -> KeyConsent:
    """Record the owner's prior consent to one use of a repair key (R-KEY-4)."""
    now = _now(now)
    with transaction.atomic():
        key = _key_locked(actor, key_id, Cap.FRONTDESK_OPERATE)
        errors = ErrorCollector()
        method = v.choice(errors, "method", method, ConsentMethod.choices)
        who = v.text(errors, "given_by", given_by, max_length=100)
        when = v.moment(errors, "given_at", given_at, tz=_local(now).tzinfo)
        why = v.text(errors, "purpose", purpose, max_length=200)
        if key.kind != KeyKind.REPAIR:
            errors.add("key", _("Only repair keys need the owner's consent per use."))
        if when is not None and when > now + dt.timedelta(minutes=5):
            errors.add("given_at", _("Consent cannot be given in the future."))
        errors.raise_if_any()
        assert when is not None
        consent = KeyConsent.objects.create(
            community_id=key.community_id,
            key=key,
            method=method,
            given_by=who,
            given_at=when,
            purpose=why,
            recorded_by=actor,
            recorded_at=now,
        )
        _event(
            "key",
            key,
            actor=actor,
            action="consent",
            at=now,
            note=why,
            data={"consent_id": consent.pk, "method": method, "given_by": who},
        )
    return consent


def key_approval_grant(
    *,
    actor: Any,
    key_id: Any,
    until: Any,
    reason: str,
    now: dt.datetime | None = None,
) -> KeyApproval:
    """A department manager approves keeping an undelivered house's key out longer (R-KEY-3)."""
    now = _now(now)
    with transaction.atomic():
        key = _key_locked(actor, key_id, Cap.FRONTDESK_APPROVE)
        errors = ErrorCollector()
        limit = v.moment(errors, "until", until, tz=_local(now).tzinfo)
        why = v.text(errors, "reason", reason, max_length=200)
        if key.kind != KeyKind.UNDELIVERED:
            errors.add("key", _("Only keys of houses not yet handed over need this approval."))
        if limit is not None and limit <= now:
            errors.add("until", _("The approval must end in the future."))
        errors.raise_if_any()
        assert limit is not None
        approval = KeyApproval.objects.create(
            community_id=key.community_id,
            key=key,
            approved_by=actor,
            approved_at=now,
            until=limit,
            reason=why,
        )
        open_lend = key.lends.filter(back_at__isnull=True).first()
        if open_lend is not None and open_lend.approval_id is None:
            # Approving a key that is already out covers the lend in progress.
            approval.used_at = now
            approval.save(update_fields=["used_at"])
            open_lend.approval = approval
            open_lend.promised_back_at = max(open_lend.promised_back_at, limit)
            open_lend.save(update_fields=["approval", "promised_back_at"])
        _event(
            "key",
            key,
            actor=actor,
            action="approve_long_lend",
            at=now,
            note=why,
            data={"approval_id": approval.pk, "until": limit.isoformat()},
        )
    return approval


def key_lend(
    *,
    actor: Any,
    key_id: Any,
    borrower_kind: str,
    borrower_name: str,
    borrower_phone: str,
    purpose: str,
    promised_back_at: Any,
    now: dt.datetime | None = None,
) -> KeyLend:
    """Lend a key out: who, phone, why, until when (R-KEY-2); undelivered and repair keys
    need a manager's approval past 12 hours (R-KEY-3) and the owner's consent (R-KEY-4)."""
    now = _now(now)
    with transaction.atomic():
        key = _key_locked(actor, key_id, Cap.FRONTDESK_OPERATE)
        target = _transition("key", key, "lend")
        errors = ErrorCollector()
        kind = v.choice(errors, "borrower_kind", borrower_kind, BorrowerKind.choices)
        name = v.text(errors, "borrower_name", borrower_name, max_length=100)
        phone = _phone(errors, "borrower_phone", borrower_phone)
        why = v.text(errors, "purpose", purpose, max_length=200)
        due = v.moment(errors, "promised_back_at", promised_back_at, tz=_local(now).tzinfo)
        if due is not None and due <= now:
            errors.add("promised_back_at", _("The promised return must be after the lend."))
        errors.raise_if_any()
        assert due is not None
        approval: KeyApproval | None = None
        consent: KeyConsent | None = None
        if key.kind == KeyKind.UNDELIVERED and due - now > UNDELIVERED_LEND_LIMIT:
            approval = (
                key.approvals.select_for_update()
                .filter(used_at__isnull=True, until__gte=due)
                .order_by("approved_at")
                .first()
            )
            if approval is None:
                raise Conflict(
                    _(
                        "The key of a house not yet handed over may be out at most 12 hours "
                        "without a department manager's approval (R-KEY-3). Ask for approval "
                        "or promise it back sooner."
                    ),
                    code="approval_required",
                )
        if key.kind == KeyKind.REPAIR:
            consent = (
                key.consents.select_for_update()
                .filter(used_at__isnull=True, given_at__lte=now)
                .order_by("-given_at")
                .first()
            )
            if consent is None:
                raise Conflict(
                    _(
                        "A repair key is lent only with the owner's consent recorded first "
                        "(R-KEY-4). Record the owner's consent, then lend."
                    ),
                    code="consent_required",
                )
        lend = KeyLend(
            community_id=key.community_id,
            key=key,
            borrower_kind=kind,
            borrower_name=name,
            borrower_phone=phone,
            purpose=why,
            out_at=now,
            promised_back_at=due,
            lent_by=actor,
            approval=approval,
            consent=consent,
        )
        _unique_or_invalid(
            lend.save, {"fd_one_open_lend_per_key": ("key", _("This key is already out."))}
        )
        for used in (approval, consent):
            if used is not None:
                used.used_at = now
                used.save(update_fields=["used_at"])
        before = key.status
        key.status = target
        key.save(update_fields=["status"])
        _event(
            "key",
            key,
            actor=actor,
            action="lend",
            at=now,
            from_status=before,
            to_status=target,
            note=why,
            data={"lend_id": lend.pk, "borrower": name, "promised_back_at": due.isoformat()},
        )
        _timeline(
            community_id=key.community_id,
            kind="frontdesk.key.lent",
            title=_("Key %(tag)s lent to %(name)s") % {"tag": key.tag_number, "name": name},
            body=why,
            actor=actor,
            at=now,
            ref_type="frontdesk.key",
            ref_id=key.pk,
            customer_id=key.customer_id,
            house_id=key.house_id,
        )
    return lend


def key_take_back(
    *,
    actor: Any,
    key_id: Any,
    back_at: Any = None,
    note: str = "",
    now: dt.datetime | None = None,
) -> KeyLend:
    """The borrower brings the key back: the lend closes, the key is in the cabinet again."""
    now = _now(now)
    with transaction.atomic():
        key = _key_locked(actor, key_id, Cap.FRONTDESK_OPERATE)
        target = _transition("key", key, "take_back")
        lend = key.lends.select_for_update().filter(back_at__isnull=True).first()
        if lend is None:  # pragma: no cover - the status and the lends agree by construction
            raise Conflict(_("This key is not out."))
        errors = ErrorCollector()
        back = v.moment(errors, "back_at", back_at or now, tz=_local(now).tzinfo)
        note = v.text(errors, "note", note, max_length=300, required=False)
        if back is not None and back < lend.out_at:
            errors.add("back_at", _("The key cannot come back before it was lent."))
        if back is not None and back > now + dt.timedelta(minutes=5):
            errors.add("back_at", _("The return time cannot be in the future."))
        errors.raise_if_any()
        assert back is not None
        lend.back_at = back
        lend.received_by = actor
        lend.save(update_fields=["back_at", "received_by"])
        before = key.status
        key.status = target
        key.save(update_fields=["status"])
        late = back > lend.promised_back_at
        _event(
            "key",
            key,
            actor=actor,
            action="take_back",
            at=now,
            from_status=before,
            to_status=target,
            note=note,
            data={"lend_id": lend.pk, "back_at": back.isoformat(), "late": late},
        )
        _timeline(
            community_id=key.community_id,
            kind="frontdesk.key.returned",
            title=_("Key %(tag)s back in the cabinet") % {"tag": key.tag_number},
            actor=actor,
            at=now,
            ref_type="frontdesk.key",
            ref_id=key.pk,
            customer_id=key.customer_id,
            house_id=key.house_id,
        )
    return lend


def key_release(
    *,
    actor: Any,
    key_id: Any,
    receiver_name: str,
    signature: str = "",
    paper_form_number: str = "",
    note: str = "",
    now: dt.datetime | None = None,
) -> Key:
    """Give the key back to its owner: the deposit closes, signed (R-KEY-1)."""
    now = _now(now)
    with transaction.atomic():
        key = _key_locked(actor, key_id, Cap.FRONTDESK_OPERATE)
        target = _transition("key", key, "release")
        errors = ErrorCollector()
        receiver = v.text(errors, "receiver_name", receiver_name, max_length=100)
        note = v.text(errors, "note", note, max_length=300, required=False)
        image, form = _signature(errors, signature, paper_form_number)
        errors.raise_if_any()
        before = key.status
        key.status = target
        key.released_at = now
        key.release_form_number = form
        if image:
            key.release_signature.save(f"key-{key.pk}-release.png", ContentFile(image), save=False)
        key.save(
            update_fields=["status", "released_at", "release_form_number", "release_signature"]
        )
        _event(
            "key",
            key,
            actor=actor,
            action="release",
            at=now,
            from_status=before,
            to_status=target,
            note=note,
            data={"receiver": receiver},
        )
        _timeline(
            community_id=key.community_id,
            kind="frontdesk.key.released",
            title=_("Key %(tag)s returned to %(name)s") % {"tag": key.tag_number, "name": receiver},
            actor=actor,
            at=now,
            ref_type="frontdesk.key",
            ref_id=key.pk,
            customer_id=key.customer_id,
            house_id=key.house_id,
        )
    return key


def key_audit_record(
    *,
    actor: Any,
    community_id: int,
    results: Mapping[Any, Mapping[str, Any]],
    note: str = "",
    now: dt.datetime | None = None,
) -> KeyAudit:
    """The named actor walks the cabinet and marks every key present, missing or misplaced
    (R-KEY-5); missing keys change state, misplaced ones record where they were found."""
    now = _now(now)
    community = _community(actor, community_id, Cap.FRONTDESK_OPERATE)
    with transaction.atomic():
        keys = list(
            Key.objects.select_for_update()
            .filter(community=community, status__in=[KeyStatus.IN_CABINET, KeyStatus.MISSING])
            .order_by("pk")
        )
        by_id = {str(k.pk): k for k in keys}
        errors = ErrorCollector()
        note = v.text(errors, "note", note, max_length=300, required=False)
        given = {str(k): r for k, r in results.items()}
        unknown = sorted(set(given) - set(by_id))
        if unknown:
            errors.add(
                "results", _("Not keys of this cabinet: %(ids)s.") % {"ids": ", ".join(unknown)}
            )
        unchecked = [by_id[k].tag_number for k in by_id if k not in given]
        if unchecked:
            errors.add(
                "results",
                _("Every key in the cabinet needs a result; not checked: %(tags)s.")
                % {"tags": ", ".join(unchecked)},
            )
        lines: list[tuple[Key, str, str, str]] = []
        for key_pk, result in given.items():
            if key_pk not in by_id:
                continue
            key = by_id[key_pk]
            outcome = v.choice(
                errors, f"results.{key.tag_number}", result.get("result"), AuditResult.choices
            )
            found = str(result.get("found_slot") or "").strip().upper()[:20]
            if outcome == AuditResult.MISPLACED and not found:
                errors.add(
                    f"results.{key.tag_number}", _("Say in which slot the misplaced key was found.")
                )
            lines.append((key, outcome, found, str(result.get("note") or "")[:200]))
        errors.raise_if_any()
        counts = {r.value: 0 for r in AuditResult}
        audit = KeyAudit.objects.create(community=community, auditor=actor, at=now, note=note)
        for key, outcome, found, line_note in lines:
            counts[outcome] += 1
            KeyAuditLine.objects.create(
                audit=audit,
                key=key,
                result=outcome,
                expected_slot=key.cabinet_slot,
                found_slot=found,
                note=line_note,
            )
            action = ""
            if outcome == AuditResult.MISSING and key.status == KeyStatus.IN_CABINET:
                action = "mark_missing"
            elif outcome != AuditResult.MISSING and key.status == KeyStatus.MISSING:
                action = "found"
            if action:
                before = key.status
                key.status = _transition("key", key, action)
                key.save(update_fields=["status"])
                _event(
                    "key",
                    key,
                    actor=actor,
                    action=action,
                    at=now,
                    from_status=before,
                    to_status=key.status,
                    note=_("Cabinet audit"),
                    data={"audit_id": audit.pk},
                )
            if outcome == AuditResult.MISPLACED:
                _event(
                    "key",
                    key,
                    actor=actor,
                    action="misplaced",
                    at=now,
                    note=_("Found in slot %(slot)s") % {"slot": found},
                    data={"audit_id": audit.pk, "expected": key.cabinet_slot, "found": found},
                )
        audit.present = counts[AuditResult.PRESENT]
        audit.missing = counts[AuditResult.MISSING]
        audit.misplaced = counts[AuditResult.MISPLACED]
        audit.save(update_fields=["present", "missing", "misplaced"])
    return audit


def key_overdue_sweep(*, now: dt.datetime | None = None) -> int:
    """Alert on keys out past their promise, and undelivered keys out > 12 h unapproved (R-KEY-3).

    Run by the worker; each lend alerts once. Returns how many alerts were raised.
    """
    now = _now(now)
    from .selectors import lends_overdue

    raised = 0
    with transaction.atomic():
        for lend in (
            lends_overdue(now=now)
            .filter(overdue_alerted_at__isnull=True)
            .select_for_update(of=("self",))
        ):
            lend.overdue_alerted_at = now
            lend.save(update_fields=["overdue_alerted_at"])
            key = lend.key
            with _owner_language():
                body = _(
                    "Key %(tag)s (%(house)s) lent to %(name)s %(phone)s is overdue; "
                    "promised back %(due)s."
                ) % {
                    "tag": key.tag_number,
                    "house": key.house.label,
                    "name": lend.borrower_name,
                    "phone": lend.borrower_phone,
                    "due": _local(lend.promised_back_at).strftime("%m-%d %H:%M"),
                }
            sent = _notify(
                community_id=lend.community_id,
                channel="staff",
                staff_user_id=lend.lent_by_id,
                subject=body[:200],
                body=body,
                ref_type="frontdesk.key",
                ref_id=key.pk,
                dedupe_key=f"frontdesk:lend:{lend.pk}:overdue",
                now=now,
            )
            _event("key", key, actor=None, action="overdue_alert", at=now, note=body, data=sent)
            raised += 1
    return raised


# --- parcels and mail (R-PCL-1..4) -----------------------------------------------------------


def parcel_consent_granted(customer: Customer) -> bool:
    """The desk's own record decides; without one, the customer record's flag (R-PCL-1)."""
    consent = ParcelConsent.objects.filter(customer=customer).first()
    if consent is not None:
        return consent.granted
    return bool(customer.accepts_parcels)


def parcel_consent_set(
    *,
    actor: Any,
    customer_id: Any,
    granted: bool,
    method: str,
    note: str = "",
    now: dt.datetime | None = None,
) -> ParcelConsent:
    """Record that a customer agrees (or no longer agrees) that the desk receives their parcels."""
    now = _now(now)
    customer = customer_get_for_user(actor, customer_id)
    require(actor, Cap.FRONTDESK_OPERATE)
    errors = ErrorCollector()
    method = v.choice(errors, "method", method, ConsentMethod.choices)
    note = v.text(errors, "note", note, max_length=200, required=False)
    errors.raise_if_any()
    with transaction.atomic():
        consent, _created = ParcelConsent.objects.select_for_update().update_or_create(
            customer=customer,
            defaults={
                "community_id": customer.community_id,
                "granted": bool(granted),
                "method": method,
                "recorded_by": actor,
                "recorded_at": now,
                "note": note,
            },
        )
        _event(
            "consent",
            consent,
            actor=actor,
            action="grant" if granted else "revoke",
            at=now,
            note=note,
            data={"method": method},
        )
        _timeline(
            community_id=customer.community_id,
            kind="frontdesk.parcel.consent",
            title=_("Agrees that the desk receives parcels")
            if granted
            else _("No longer wants the desk to receive parcels"),
            actor=actor,
            at=now,
            ref_type="frontdesk.parcelconsent",
            ref_id=consent.pk,
            customer_id=customer.pk,
        )
    return consent


def carrier_guess(tracking_number: str) -> str:
    number = tracking_number.strip().upper()
    for prefix, name in CARRIER_PREFIXES:
        if number.startswith(prefix):
            return name
    return ""


def parcel_recipients(house: House) -> list[Customer]:
    """Current occupants of the house who consented, primary contact first (R-PCL-1)."""
    today = timezone.localdate()
    occupancies = (
        Occupancy.objects.filter(house=house, start_date__lte=today)
        .filter(models.Q(end_date__isnull=True) | models.Q(end_date__gte=today))
        .select_related("customer")
        .order_by("-is_primary_contact", "id")
    )
    seen: dict[int, Customer] = {}
    for occ in occupancies:
        if occ.customer_id not in seen and parcel_consent_granted(occ.customer):
            seen[occ.customer_id] = occ.customer
    return list(seen.values())


def _follow_up_at(received: dt.datetime, perishable: bool, community: Community) -> dt.datetime:
    if not perishable:
        return received + PARCEL_FOLLOW_UP
    # Food is chased the same day: four hours later, but not after 20:00 local time.
    local = _local(received, community)
    evening = local.replace(hour=20, minute=0, second=0, microsecond=0)
    candidate = received + PERISHABLE_FOLLOW_UP
    if local < evening:
        candidate = min(candidate, evening.astimezone(dt.UTC))
    return candidate


def _new_pickup_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def parcel_receive(
    *,
    actor: Any,
    house_id: Any,
    tracking_number: str = "",
    carrier: str = "",
    customer_id: Any = None,
    kind: str = ParcelKind.PARCEL,
    size: str = ParcelSize.SMALL,
    shelf: str = "",
    perishable: bool = False,
    photo: IO[bytes] | None = None,
    now: dt.datetime | None = None,
) -> Parcel:
    """Log a parcel in the mail register for a consenting recipient, give it a pickup code and
    tell the recipient at once (R-PCL-1)."""
    now = _now(now)
    house = _house(actor, house_id, Cap.FRONTDESK_OPERATE)
    community = house.community
    errors = ErrorCollector()
    tracking = v.text(errors, "tracking_number", tracking_number, max_length=40, required=False)
    tracking = tracking.replace(" ", "").upper()
    kind = v.choice(errors, "kind", kind or ParcelKind.PARCEL, ParcelKind.choices)
    size = v.choice(errors, "size", size or ParcelSize.SMALL, ParcelSize.choices)
    shelf = v.text(errors, "shelf", shelf, max_length=20, required=False).upper()
    carrier = v.text(errors, "carrier", carrier, max_length=40, required=False) or carrier_guess(
        tracking
    )
    if not carrier:
        errors.add("carrier", _("Name the carrier (it could not be read from the number)."))
    if kind == ParcelKind.PARCEL and not tracking:
        errors.add("tracking_number", _("Scan or type the tracking number."))
    customer = _customer_in(errors, actor, customer_id, community, "customer_id")
    if customer is not None:
        if not _is_current_occupant(customer, house):
            errors.add("customer_id", _("This customer does not live in or own this house."))
        elif not parcel_consent_granted(customer):
            errors.add(
                "customer_id",
                _("%(name)s has not agreed that the desk receives parcels (R-PCL-1).")
                % {"name": customer.name},
            )
    elif "customer_id" not in errors.errors:
        recipients = parcel_recipients(house)
        if not recipients:
            errors.add(
                "house",
                _(
                    "No one at %(house)s has agreed that the desk receives parcels (R-PCL-1); "
                    "refuse the parcel or record the owner's consent first."
                )
                % {"house": house.label},
            )
        else:
            customer = recipients[0]
    checked_photo = None
    if photo is not None:
        try:
            checked_photo = check_upload(
                photo, field="photo", allowed=IMAGE_TYPES, max_bytes=PHOTO_MAX_BYTES
            )
        except Invalid as exc:
            for reason in exc.errors.get("photo", []):
                errors.add("photo", reason)
    if (
        tracking
        and Parcel.objects.filter(
            community=community, tracking_number=tracking, status=ParcelStatus.WAITING
        ).exists()
    ):
        errors.add("tracking_number", _("This parcel is already on the shelf (scanned twice?)."))
    errors.raise_if_any()
    assert customer is not None
    with transaction.atomic():
        parcel = Parcel(
            community=community,
            kind=kind,
            carrier=carrier,
            tracking_number=tracking,
            house=house,
            customer=customer,
            size=size,
            shelf=shelf,
            perishable=bool(perishable),
            received_at=now,
            received_by=actor,
            escalate_at=_follow_up_at(now, bool(perishable), community),
            notified_at=now,
        )
        for _attempt in range(20):
            parcel.pickup_code = _new_pickup_code()
            try:
                with transaction.atomic():
                    parcel.save()
                break
            except IntegrityError as exc:
                parcel.pk = None
                if "tracking" in str(exc) or "fd_parcel_unique_tracking" in str(exc):
                    raise Invalid.field(
                        "tracking_number", _("This parcel is already on the shelf.")
                    ) from None
        else:  # pragma: no cover - a million codes, a few hundred waiting
            raise Conflict(_("No free pickup code; try again."))
        if photo is not None and checked_photo is not None:
            photo.seek(0)
            parcel.photo.save(
                f"parcel-{parcel.pk}.{checked_photo.extension}",
                ContentFile(photo.read()),
                save=False,
            )
            parcel.save(update_fields=["photo"])
        with _owner_language():
            body = _(
                "[%(community)s] A %(kind)s (%(carrier)s) is waiting for you at the front desk. "
                "Pickup code %(code)s."
            ) % {
                "community": community.name,
                "kind": parcel.get_kind_display(),
                "carrier": carrier,
                "code": parcel.pickup_code,
            }
            if parcel.perishable:
                body += _(" It is food: please collect it today.")
        sent = [
            _notify(
                community_id=community.id,
                channel=channel,
                customer_id=customer.pk,
                body=body,
                ref_type="frontdesk.parcel",
                ref_id=parcel.pk,
                dedupe_key=f"frontdesk:parcel:{parcel.pk}:received:{channel}",
                now=now,
            )
            for channel in ("sms", "portal")
        ]
        _event(
            "parcel",
            parcel,
            actor=actor,
            action="receive",
            at=now,
            to_status=parcel.status,
            data={"notified": sent, "tracking": tracking},
        )
        _timeline(
            community_id=community.id,
            kind="frontdesk.parcel.received",
            title=_("%(kind)s received: %(carrier)s %(tracking)s")
            % {"kind": parcel.get_kind_display(), "carrier": carrier, "tracking": tracking},
            actor=actor,
            at=now,
            ref_type="frontdesk.parcel",
            ref_id=parcel.pk,
            customer_id=customer.pk,
            house_id=house.pk,
        )
    return parcel


def parcel_pickup(
    *,
    actor: Any,
    method: str,
    collector_name: str,
    parcel_id: Any = None,
    community_id: Any = None,
    code: str = "",
    identity_note: str = "",
    signature: str = "",
    paper_form_number: str = "",
    now: dt.datetime | None = None,
) -> Parcel:
    """Hand a parcel over against its pickup code or an identity check, signed (R-PCL-2)."""
    from .selectors import parcel_get_for_user, parcels_visible_to

    now = _now(now)
    errors = ErrorCollector()
    method = v.choice(errors, "method", method, PickupMethod.choices)
    collector = v.text(errors, "collector_name", collector_name, max_length=100)
    id_note = v.text(errors, "identity_note", identity_note, max_length=100, required=False)
    image, form = _signature(errors, signature, paper_form_number)
    code = (code or "").strip()
    if method == PickupMethod.CODE and not code:
        errors.add("code", _("Enter the pickup code."))
    if method == PickupMethod.IDENTITY and not id_note:
        errors.add("identity_note", _("Record which ID was checked."))
    if parcel_id in (None, "") and not code:
        errors.add("parcel", _("Choose the parcel or enter its pickup code."))
    errors.raise_if_any()
    with transaction.atomic():
        if parcel_id not in (None, ""):
            found = parcel_get_for_user(actor, parcel_id)
        else:
            try:
                cid = int(community_id)
            except (TypeError, ValueError):
                raise Invalid.field("community_id", _("Choose the community.")) from None
            match = (
                parcels_visible_to(actor, community_id=cid)
                .filter(pickup_code=code, status=ParcelStatus.WAITING)
                .first()
            )
            if match is None:
                raise Invalid.field("code", _("No parcel waits with this code at this desk."))
            found = match
        require(actor, Cap.FRONTDESK_OPERATE)
        parcel = Parcel.objects.select_for_update().get(pk=found.pk)
        target = _transition("parcel", parcel, "pickup")
        if method == PickupMethod.CODE and parcel.pickup_code != code:
            raise Invalid.field("code", _("The pickup code does not match this parcel."))
        before = parcel.status
        parcel.status = target
        parcel.collected_at = now
        parcel.collected_by_name = collector
        parcel.pickup_method = method
        parcel.identity_note = id_note
        parcel.handed_by = actor
        parcel.paper_form_number = form
        if image:
            parcel.signature.save(f"parcel-{parcel.pk}.png", ContentFile(image), save=False)
        parcel.save(
            update_fields=[
                "status",
                "collected_at",
                "collected_by_name",
                "pickup_method",
                "identity_note",
                "handed_by",
                "paper_form_number",
                "signature",
            ]
        )
        _event(
            "parcel",
            parcel,
            actor=actor,
            action="pickup",
            at=now,
            from_status=before,
            to_status=target,
            data={"collector": collector, "method": method},
        )
        _timeline(
            community_id=parcel.community_id,
            kind="frontdesk.parcel.collected",
            title=_("%(kind)s collected by %(name)s")
            % {"kind": parcel.get_kind_display(), "name": collector},
            actor=actor,
            at=now,
            ref_type="frontdesk.parcel",
            ref_id=parcel.pk,
            customer_id=parcel.customer_id,
            house_id=parcel.house_id,
        )
    return parcel


def parcel_mark_undeliverable(
    *, actor: Any, parcel_id: Any, reason: str, now: dt.datetime | None = None
) -> Parcel:
    """Mail that cannot be delivered must go back to the post office within 3 days (R-PCL-3)."""
    from .selectors import parcel_get_for_user

    now = _now(now)
    errors = ErrorCollector()
    why = v.text(errors, "reason", reason, max_length=200)
    errors.raise_if_any()
    with transaction.atomic():
        found = parcel_get_for_user(actor, parcel_id)
        require(actor, Cap.FRONTDESK_OPERATE)
        parcel = Parcel.objects.select_for_update().get(pk=found.pk)
        target = _transition("parcel", parcel, "undeliverable")
        before = parcel.status
        parcel.status = target
        parcel.undeliverable_reason = why
        parcel.return_due_at = now + MAIL_RETURN_WITHIN
        parcel.save(update_fields=["status", "undeliverable_reason", "return_due_at"])
        _event(
            "parcel",
            parcel,
            actor=actor,
            action="undeliverable",
            at=now,
            from_status=before,
            to_status=target,
            note=why,
            data={"return_due_at": parcel.return_due_at.isoformat()},
        )
    return parcel


def parcel_return_to_post(
    *,
    actor: Any,
    community_id: int,
    parcel_ids: Iterable[Any],
    postal_worker: str,
    postal_receipt_number: str = "",
    now: dt.datetime | None = None,
) -> list[Parcel]:
    """Hand undeliverable mail to the postal worker, whose name is recorded (R-PCL-3)."""
    now = _now(now)
    community = _community(actor, community_id, Cap.FRONTDESK_OPERATE)
    errors = ErrorCollector()
    worker = v.text(errors, "postal_worker", postal_worker, max_length=100)
    receipt = v.text(
        errors, "postal_receipt_number", postal_receipt_number, max_length=40, required=False
    )
    try:
        ids = sorted({int(i) for i in parcel_ids})
    except (TypeError, ValueError):
        ids = []
        errors.add("parcel_ids", _("Choose the items to return."))
    if not ids and "parcel_ids" not in errors.errors:
        errors.add("parcel_ids", _("Choose the items to return."))
    errors.raise_if_any()
    with transaction.atomic():
        parcels = list(
            Parcel.objects.select_for_update()
            .filter(community=community, pk__in=ids)
            .order_by("pk")
        )
        if len(parcels) != len(ids):
            raise Invalid.field("parcel_ids", _("Some items are not at this desk."))
        for parcel in parcels:
            target = _transition("parcel", parcel, "return_to_post")
            before = parcel.status
            parcel.status = target
            parcel.returned_at = now
            parcel.postal_worker = worker
            parcel.postal_receipt_number = receipt
            parcel.save(
                update_fields=["status", "returned_at", "postal_worker", "postal_receipt_number"]
            )
            late = parcel.return_due_at is not None and now > parcel.return_due_at
            _event(
                "parcel",
                parcel,
                actor=actor,
                action="return_to_post",
                at=now,
                from_status=before,
                to_status=target,
                data={"postal_worker": worker, "late": late},
            )
            _timeline(
                community_id=parcel.community_id,
                kind="frontdesk.parcel.returned",
                title=_("Mail returned to the post office (%(worker)s)") % {"worker": worker},
                actor=actor,
                at=now,
                ref_type="frontdesk.parcel",
                ref_id=parcel.pk,
                customer_id=parcel.customer_id,
                house_id=parcel.house_id,
            )
    return parcels


def parcel_follow_up_sweep(*, now: dt.datetime | None = None) -> int:
    """Chase parcels past their follow-up time: food the same day, others after 3 days.

    Run by the worker; each parcel is chased once. Returns how many were chased.
    """
    now = _now(now)
    chased = 0
    with transaction.atomic():
        due = (
            Parcel.objects.select_for_update(of=("self",))
            .filter(status=ParcelStatus.WAITING, escalated_at__isnull=True, escalate_at__lte=now)
            .select_related("community")
            .order_by("escalate_at")
        )
        for parcel in due:
            parcel.escalated_at = now
            parcel.save(update_fields=["escalated_at"])
            with _owner_language():
                body = (
                    _(
                        "[%(community)s] Your food parcel is still at the front desk; please "
                        "collect it today. Pickup code %(code)s."
                    )
                    if parcel.perishable
                    else _(
                        "[%(community)s] A parcel is still waiting for you at the front desk. "
                        "Pickup code %(code)s."
                    )
                ) % {"community": parcel.community.name, "code": parcel.pickup_code}
            sent = _notify(
                community_id=parcel.community_id,
                channel="sms",
                customer_id=parcel.customer_id,
                body=body,
                ref_type="frontdesk.parcel",
                ref_id=parcel.pk,
                dedupe_key=f"frontdesk:parcel:{parcel.pk}:follow-up",
                now=now,
            )
            _event(
                "parcel",
                parcel,
                actor=None,
                action="escalate" if parcel.perishable else "remind",
                at=now,
                data=sent,
            )
            chased += 1
    return chased


# --- refusals and temporary storage (R-KEY-1, R-STO-1) ----------------------------------------


def refusal_record(
    *,
    actor: Any,
    community_id: int,
    kind: str,
    person_name: str,
    description: str,
    reason: str,
    house_id: Any = None,
    customer_id: Any = None,
    now: dt.datetime | None = None,
) -> DeskRefusal:
    """Record that the desk politely declined to hold something (valuables), and why."""
    now = _now(now)
    community = _community(actor, community_id, Cap.FRONTDESK_OPERATE)
    errors = ErrorCollector()
    kind = v.choice(errors, "kind", kind, RefusedKind.choices)
    person = v.text(errors, "person_name", person_name, max_length=100)
    what = v.text(errors, "description", description, max_length=200)
    why = v.text(errors, "reason", reason, max_length=200)
    customer = _customer_in(errors, actor, customer_id, community, "customer_id")
    house: House | None = None
    if house_id not in (None, ""):
        try:
            house = house_get_for_user(actor, house_id)
        except NotFound:
            errors.add("house_id", _("No such house."))
        else:
            if house.community_id != community.id:
                errors.add("house_id", _("This house belongs to another community."))
    errors.raise_if_any()
    with transaction.atomic():
        refusal = DeskRefusal.objects.create(
            community=community,
            kind=kind,
            house=house,
            customer=customer,
            person_name=person,
            description=what,
            reason=why,
            at=now,
            actor=actor,
        )
        _timeline(
            community_id=community.id,
            kind="frontdesk.refused",
            title=_("Desk declined to hold: %(what)s") % {"what": what},
            body=why,
            actor=actor,
            at=now,
            ref_type="frontdesk.refusal",
            ref_id=refusal.pk,
            customer_id=customer.pk if customer else None,
            house_id=house.pk if house else None,
        )
    return refusal


def storage_deposit(
    *,
    actor: Any,
    community_id: int,
    owner_name: str,
    description: str,
    label_number: str,
    owner_phone: str = "",
    customer_id: Any = None,
    house_id: Any = None,
    valuable: bool = False,
    now: dt.datetime | None = None,
) -> StorageItem:
    """Hold shopping, clothes or groceries for a few hours; valuables are refused (R-STO-1)."""
    now = _now(now)
    community = _community(actor, community_id, Cap.FRONTDESK_OPERATE)
    errors = ErrorCollector()
    name = v.text(errors, "owner_name", owner_name, max_length=100)
    what = v.text(errors, "description", description, max_length=200)
    label = v.text(errors, "label_number", label_number, max_length=20).upper()
    phone = _phone(errors, "owner_phone", owner_phone, required=False)
    customer = _customer_in(errors, actor, customer_id, community, "customer_id")
    house: House | None = None
    if house_id not in (None, ""):
        try:
            house = house_get_for_user(actor, house_id)
        except NotFound:
            errors.add("house_id", _("No such house."))
        else:
            if house.community_id != community.id:
                errors.add("house_id", _("This house belongs to another community."))
    if valuable:
        errors.add(
            "valuable",
            _("The desk does not hold valuables (R-STO-1); decline politely and record why."),
        )
    if (
        label
        and StorageItem.objects.filter(
            community=community, label_number=label, status=StorageStatus.HELD
        ).exists()
    ):
        errors.add(
            "label_number", _("Label %(label)s is on an item still held.") % {"label": label}
        )
    errors.raise_if_any()
    with transaction.atomic():
        item = StorageItem(
            community=community,
            house=house,
            customer=customer,
            owner_name=name,
            owner_phone=phone,
            description=what,
            label_number=label,
            deposited_at=now,
            deposited_by=actor,
        )
        _unique_or_invalid(
            item.save,
            {
                "fd_storage_unique_label": (
                    "label_number",
                    _("This label is on an item still held."),
                )
            },
        )
        _event(
            "storage", item, actor=actor, action="deposit", at=now, to_status=item.status, note=what
        )
        _timeline(
            community_id=community.id,
            kind="frontdesk.storage.deposited",
            title=_("Left at the desk: %(what)s (label %(label)s)")
            % {"what": what, "label": label},
            actor=actor,
            at=now,
            ref_type="frontdesk.storage",
            ref_id=item.pk,
            customer_id=customer.pk if customer else None,
            house_id=house.pk if house else None,
        )
    return item


def _storage_locked(actor: Any, item_id: Any) -> StorageItem:
    from .selectors import storage_get_for_user

    item = storage_get_for_user(actor, item_id)
    require(actor, Cap.FRONTDESK_OPERATE)
    return StorageItem.objects.select_for_update().get(pk=item.pk)


def storage_collect(
    *, actor: Any, item_id: Any, collected_by_name: str, now: dt.datetime | None = None
) -> StorageItem:
    """The owner (or someone for them) takes the item away."""
    now = _now(now)
    errors = ErrorCollector()
    who = v.text(errors, "collected_by_name", collected_by_name, max_length=100)
    errors.raise_if_any()
    with transaction.atomic():
        item = _storage_locked(actor, item_id)
        target = _transition("storage", item, "collect")
        before = item.status
        item.status = target
        item.collected_at = now
        item.collected_by_name = who
        item.save(update_fields=["status", "collected_at", "collected_by_name"])
        _event(
            "storage",
            item,
            actor=actor,
            action="collect",
            at=now,
            from_status=before,
            to_status=target,
            data={"collector": who},
        )
        _timeline(
            community_id=item.community_id,
            kind="frontdesk.storage.collected",
            title=_("Collected from the desk: %(what)s") % {"what": item.description},
            actor=actor,
            at=now,
            ref_type="frontdesk.storage",
            ref_id=item.pk,
            customer_id=item.customer_id,
            house_id=item.house_id,
        )
    return item


def storage_follow_up(
    *, actor: Any, item_id: Any, method: str, outcome: str, now: dt.datetime | None = None
) -> StorageFollowUp:
    """Record the contact made about an item still held at the end of the day (R-STO-1)."""
    now = _now(now)
    errors = ErrorCollector()
    how = v.choice(errors, "method", method, FOLLOW_UP_METHODS)
    what = v.text(errors, "outcome", outcome, max_length=200)
    errors.raise_if_any()
    with transaction.atomic():
        item = _storage_locked(actor, item_id)
        if item.status != StorageStatus.HELD:
            raise Conflict(_("This item has been collected already."))
        follow = StorageFollowUp.objects.create(
            item=item, at=now, actor=actor, method=how, outcome=what
        )
        _event(
            "storage", item, actor=actor, action="follow_up", at=now, note=what, data={"how": how}
        )
    return follow


# --- release passes (R-REL-1) -----------------------------------------------------------


def pass_policy_for(community_id: int) -> PassPolicy:
    """The community's checks; the defaults when none were configured."""
    policy = PassPolicy.objects.filter(community_id=community_id).first()
    return policy or PassPolicy(community_id=community_id)


def pass_policy_set(
    *,
    actor: Any,
    community_id: int,
    require_owner_or_consent: bool,
    warn_on_arrears: bool,
    block_on_arrears: bool,
) -> PassPolicy:
    """Configure the checks a community applies to release applications."""
    community = _community(actor, community_id, Cap.FRONTDESK_APPROVE)
    with transaction.atomic():
        policy, _created = PassPolicy.objects.update_or_create(
            community=community,
            defaults={
                "require_owner_or_consent": bool(require_owner_or_consent),
                "warn_on_arrears": bool(warn_on_arrears),
                "block_on_arrears": bool(block_on_arrears),
            },
        )
    return policy


def pass_apply(
    *,
    actor: Any,
    house_id: Any,
    applicant_name: str,
    items: str,
    reason: str,
    valid_on: Any,
    applicant_customer_id: Any = None,
    applicant_phone: str = "",
    owner_consent_note: str = "",
    now: dt.datetime | None = None,
) -> ReleasePass:
    """Apply for goods to leave the community; the community's checks run now (R-REL-1)."""
    now = _now(now)
    house = _house(actor, house_id, Cap.FRONTDESK_OPERATE)
    community = house.community
    policy = pass_policy_for(community.id)
    errors = ErrorCollector()
    name = v.text(errors, "applicant_name", applicant_name, max_length=100)
    goods = v.text(errors, "items", items, max_length=2000)
    why = v.choice(errors, "reason", reason, PassReason.choices)
    day = v.date(errors, "valid_on", valid_on)
    phone = _phone(errors, "applicant_phone", applicant_phone, required=False)
    consent = v.text(
        errors, "owner_consent_note", owner_consent_note, max_length=200, required=False
    )
    applicant = _customer_in(
        errors, actor, applicant_customer_id, community, "applicant_customer_id"
    )
    if day is not None and day < _local(now, community).date():
        errors.add("valid_on", _("The pass cannot be for a day in the past."))
    is_owner = applicant is not None and _is_current_occupant(
        applicant, house, roles=(OccupancyRole.OWNER, OccupancyRole.CO_OWNER)
    )
    if policy.require_owner_or_consent and not is_owner and not consent:
        errors.add(
            "owner_consent_note",
            _("The applicant is not the owner: record how and when the owner agreed."),
        )
    errors.raise_if_any()
    assert day is not None
    warnings = checks.run_pass_checks(house, policy)
    with transaction.atomic():
        release = ReleasePass.objects.create(
            community=community,
            house=house,
            applicant=applicant,
            applicant_name=name,
            applicant_phone=phone,
            owner_consent_note=consent,
            items=goods,
            reason=why,
            valid_on=day,
            warnings=warnings,
            applied_at=now,
            applied_by=actor,
        )
        _event(
            "pass",
            release,
            actor=actor,
            action="apply",
            at=now,
            to_status=release.status,
            data={"warnings": warnings, "owner": is_owner},
        )
        _timeline(
            community_id=community.id,
            kind="frontdesk.pass.applied",
            title=_("Release pass applied for: %(reason)s")
            % {"reason": release.get_reason_display()},
            body=goods,
            actor=actor,
            at=now,
            ref_type="frontdesk.pass",
            ref_id=release.pk,
            customer_id=applicant.pk if applicant else None,
            house_id=house.pk,
        )
    return release


def _pass_locked(actor: Any, pass_id: Any, capability: str) -> ReleasePass:
    from .selectors import pass_get_for_user

    found = pass_get_for_user(actor, pass_id)
    require(actor, capability)
    return ReleasePass.objects.select_for_update().get(pk=found.pk)


def pass_decide(
    *,
    actor: Any,
    pass_id: Any,
    approve: bool,
    note: str = "",
    now: dt.datetime | None = None,
) -> ReleasePass:
    """The center approves (a numbered pass with a QR code) or rejects an application."""
    now = _now(now)
    errors = ErrorCollector()
    note = v.text(errors, "note", note, max_length=200, required=not approve)
    errors.raise_if_any()
    with transaction.atomic():
        release = _pass_locked(actor, pass_id, Cap.FRONTDESK_APPROVE)
        action = "approve" if approve else "reject"
        target = _transition("pass", release, action)
        policy = pass_policy_for(release.community_id)
        if approve and policy.block_on_arrears:
            fresh = checks.run_pass_checks(release.house, policy)
            if any(w.get("code") == "arrears" for w in fresh):
                raise Conflict(
                    _(
                        "The house is in arrears; this community refuses passes until it is settled."
                    ),
                    code="arrears",
                )
        before = release.status
        release.status = target
        release.decided_at = now
        release.decided_by = actor
        release.decision_note = note
        fields = ["status", "decided_at", "decided_by", "decision_note"]
        if approve:
            year = _local(now).year
            n = number_next(
                scope=f"community:{release.community_id}", series="release_pass", year=year
            )
            release.number = f"{year}{n:05d}"
            fields.append("number")
        release.save(update_fields=fields)
        _event(
            "pass",
            release,
            actor=actor,
            action=action,
            at=now,
            from_status=before,
            to_status=target,
            note=note,
            data={"number": release.number},
        )
        _timeline(
            community_id=release.community_id,
            kind=f"frontdesk.pass.{target}",
            title=(
                _("Release pass %(number)s approved") % {"number": release.number}
                if approve
                else _("Release pass rejected")
            ),
            body=note,
            actor=actor,
            at=now,
            ref_type="frontdesk.pass",
            ref_id=release.pk,
            customer_id=release.applicant_id,
            house_id=release.house_id,
        )
    return release


def pass_cancel(
    *, actor: Any, pass_id: Any, note: str = "", now: dt.datetime | None = None
) -> ReleasePass:
    """Withdraw an application or an unused pass."""
    now = _now(now)
    with transaction.atomic():
        release = _pass_locked(actor, pass_id, Cap.FRONTDESK_OPERATE)
        target = _transition("pass", release, "cancel")
        before = release.status
        release.status = target
        release.save(update_fields=["status"])
        _event(
            "pass",
            release,
            actor=actor,
            action="cancel",
            at=now,
            from_status=before,
            to_status=target,
            note=note[:300],
        )
    return release


def pass_use(
    *,
    actor: Any,
    community_id: Any,
    number: str,
    gate: str = "",
    now: dt.datetime | None = None,
) -> ReleasePass:
    """The gate lets the goods out: an approved pass of today is used once, by one guard.

    The state change is one conditional UPDATE, so two gates scanning the same pass at
    once cannot both succeed: the second sees it used.
    """
    from .selectors import pass_verdict

    now = _now(now)
    if not (user_can(actor, Cap.FRONTDESK_OPERATE) or user_can(actor, Cap.FRONTDESK_APPROVE)):
        community_get_for_user(actor, community_id)
        raise Forbidden(_("You do not have the permission for this action."))
    verdict = pass_verdict(actor, community_id=community_id, number=number, now=now)
    if verdict.code != "valid":
        raise Conflict(verdict.message, code=verdict.code)
    release = verdict.release
    assert release is not None
    gate = (gate or "").strip()[:40]
    with transaction.atomic():
        won = ReleasePass.objects.filter(pk=release.pk, status=PassStatus.APPROVED).update(
            status=PassStatus.USED, used_at=now, used_by=actor, gate=gate
        )
        if not won:
            again = pass_verdict(actor, community_id=community_id, number=number, now=now)
            raise Conflict(again.message, code=again.code)
        release.refresh_from_db()
        _event(
            "pass",
            release,
            actor=actor,
            action="use",
            at=now,
            from_status=PassStatus.APPROVED,
            to_status=PassStatus.USED,
            data={"gate": gate},
        )
        _timeline(
            community_id=release.community_id,
            kind="frontdesk.pass.used",
            title=_("Goods let out on pass %(number)s") % {"number": release.number},
            actor=actor,
            at=now,
            ref_type="frontdesk.pass",
            ref_id=release.pk,
            customer_id=release.applicant_id,
            house_id=release.house_id,
        )
    return release


# --- shift handover (R-PCL-4) -----------------------------------------------------------


def handover_create(
    *, actor: Any, community_id: int, notes: str = "", now: dt.datetime | None = None
) -> Handover:
    """The outgoing agent lists what the desk holds now (R-PCL-4)."""
    from .selectors import desk_snapshot

    now = _now(now)
    community = _community(actor, community_id, Cap.FRONTDESK_OPERATE)
    errors = ErrorCollector()
    notes = v.text(errors, "notes", notes, max_length=4000, required=False)
    errors.raise_if_any()
    with transaction.atomic():
        if Handover.objects.filter(
            community=community, outgoing=actor, confirmed_at__isnull=True
        ).exists():
            raise Conflict(_("Your previous handover is still waiting for confirmation."))
        handover = Handover.objects.create(
            community=community,
            outgoing=actor,
            created_at=now,
            snapshot=desk_snapshot(community, now=now),
            notes=notes,
        )
    return handover


def handover_confirm(
    *,
    actor: Any,
    handover_id: Any,
    signature: str = "",
    now: dt.datetime | None = None,
) -> Handover:
    """The incoming agent confirms the list with a signature; then the shift is theirs."""
    from .selectors import handover_get_for_user

    now = _now(now)
    errors = ErrorCollector()
    image, _form = _signature(errors, signature, "")
    errors.raise_if_any()
    with transaction.atomic():
        found = handover_get_for_user(actor, handover_id)
        require(actor, Cap.FRONTDESK_OPERATE)
        handover = Handover.objects.select_for_update().get(pk=found.pk)
        if handover.confirmed_at is not None:
            raise Conflict(_("This handover was confirmed already."))
        if handover.outgoing_id == actor.pk:
            raise Conflict(_("The incoming agent confirms a handover, not the outgoing one."))
        handover.incoming = actor
        handover.confirmed_at = now
        assert image is not None
        handover.signature.save(f"handover-{handover.pk}.png", ContentFile(image), save=False)
        handover.save(update_fields=["incoming", "confirmed_at", "signature"])
    return handover
