"""Reads of the front desk, permission-aware: every queryset starts from the user's scope."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from propdesk.accounts.roles import Cap
from propdesk.accounts.selectors import community_filter, user_can
from propdesk.core.errors import NotFound
from propdesk.estates.models import Community, House

from .models import (
    DeskEvent,
    DeskRefusal,
    Handover,
    Key,
    KeyAudit,
    KeyKind,
    KeyLend,
    KeyStatus,
    Parcel,
    ParcelStatus,
    PassStatus,
    ReleasePass,
    StorageItem,
    StorageStatus,
)

UNDELIVERED_LEND_LIMIT = dt.timedelta(hours=12)


def _scope(user: Any, community_id: int | None = None) -> Q:
    """Rows of the user's communities (or of `community_id`, if theirs)."""
    if not user_can(user, Cap.FRONTDESK_VIEW):
        return Q(pk__in=[])
    return community_filter(user, community_id=community_id)


def _pk(value: Any, message: str | Promise) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NotFound(message) from None


def _local_day_start(now: dt.datetime, community: Community | None = None) -> dt.datetime:
    local = timezone.localtime(now) if community is None else now.astimezone(_tz(community))
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def _tz(community: Community) -> dt.tzinfo:
    from zoneinfo import ZoneInfo

    return ZoneInfo(community.time_zone)


def events_of(object_type: str, object_id: int) -> QuerySet[DeskEvent]:
    return (
        DeskEvent.objects.filter(object_type=object_type, object_id=object_id)
        .select_related("actor")
        .order_by("at", "id")
    )


def history_of(object_type: str, object_id: int) -> list[DeskEvent]:
    """The item's events with `label`, the action's name in the user's language."""
    from .workflow import EVENT_LABELS

    rows = list(events_of(object_type, object_id))
    for event in rows:
        event.label = str(EVENT_LABELS.get(event.action, event.action))  # type: ignore[attr-defined]
    return rows


def house_resolve(user: Any, community_id: int, text: str) -> House:
    """A house from what the agent typed: the full label (1-1-101) or a unique ending (101)."""
    typed = (text or "").strip()
    if not typed:
        raise NotFound(_("Type the house, e.g. 1-1-101."))
    houses = House.objects.filter(_scope(user, community_id))
    exact = houses.filter(label=typed).first()
    if exact is not None:
        return exact
    matches = list(houses.filter(label__endswith="-" + typed)[:2])
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise NotFound(_("“%(text)s” matches several houses; type more.") % {"text": typed})
    raise NotFound(_("No house “%(text)s” here.") % {"text": typed})


# --- keys -------------------------------------------------------------------------


def keys_visible_to(
    user: Any,
    *,
    community_id: int | None = None,
    status: str | None = None,
    query: str | None = None,
    include_released: bool = False,
) -> QuerySet[Key]:
    qs = Key.objects.filter(_scope(user, community_id))
    if status:
        qs = qs.filter(status=status)
    elif not include_released:
        qs = qs.exclude(status=KeyStatus.RELEASED)
    if query:
        q = query.strip().upper()
        qs = qs.filter(
            Q(tag_number=q)
            | Q(cabinet_slot=q)
            | Q(house__label=query.strip())
            | Q(house__label__endswith="-" + query.strip())
        )
    return qs.select_related("house", "customer").order_by("tag_number", "id")


def key_get_for_user(user: Any, key_id: Any) -> Key:
    pk = _pk(key_id, _("No such key."))
    key = keys_visible_to(user, include_released=True).filter(pk=pk).first()
    if key is None:
        raise NotFound(_("No such key."))
    return key


def key_open_lend(key: Key) -> KeyLend | None:
    return key.lends.filter(back_at__isnull=True).select_related("lent_by").first()


def lends_open(user: Any, *, community_id: int | None = None) -> QuerySet[KeyLend]:
    return (
        KeyLend.objects.filter(_scope(user, community_id), back_at__isnull=True)
        .select_related("key", "key__house", "lent_by")
        .order_by("promised_back_at")
    )


def _overdue_q(now: dt.datetime) -> Q:
    return Q(promised_back_at__lt=now) | Q(
        key__kind=KeyKind.UNDELIVERED,
        approval__isnull=True,
        out_at__lt=now - UNDELIVERED_LEND_LIMIT,
    )


def lends_overdue(
    *, now: dt.datetime | None = None, community_ids: list[int] | None = None
) -> QuerySet[KeyLend]:
    """Open lends past their promise, and undelivered keys out > 12 h unapproved (R-KEY-3)."""
    now = now or timezone.now()
    qs = KeyLend.objects.filter(back_at__isnull=True).filter(_overdue_q(now))
    if community_ids is not None:
        qs = qs.filter(community_id__in=community_ids)
    return qs.select_related("key", "key__house").order_by("promised_back_at")


def key_audits(user: Any, *, community_id: int | None = None) -> QuerySet[KeyAudit]:
    return (
        KeyAudit.objects.filter(_scope(user, community_id))
        .select_related("auditor")
        .order_by("-at", "-id")
    )


def key_audit_get_for_user(user: Any, audit_id: Any) -> KeyAudit:
    pk = _pk(audit_id, _("No such audit."))
    audit = key_audits(user).filter(pk=pk).first()
    if audit is None:
        raise NotFound(_("No such audit."))
    return audit


# --- parcels ------------------------------------------------------------------------


def parcels_visible_to(
    user: Any,
    *,
    community_id: int | None = None,
    status: str | None = None,
    query: str | None = None,
) -> QuerySet[Parcel]:
    qs = Parcel.objects.filter(_scope(user, community_id))
    if status:
        qs = qs.filter(status=status)
    if query:
        q = query.strip()
        qs = qs.filter(
            Q(tracking_number=q.upper())
            | Q(pickup_code=q)
            | Q(house__label=q)
            | Q(house__label__endswith="-" + q)
            | Q(customer__name__startswith=q)
        )
    return qs.select_related("house", "customer").order_by("-received_at", "-id")


def parcel_get_for_user(user: Any, parcel_id: Any) -> Parcel:
    pk = _pk(parcel_id, _("No such parcel."))
    parcel = parcels_visible_to(user).filter(pk=pk).first()
    if parcel is None:
        raise NotFound(_("No such parcel."))
    return parcel


def parcels_aging(user: Any, *, community_id: int, now: dt.datetime | None = None) -> list[Parcel]:
    """What waits, oldest first, with `waiting_hours` and `follow_up_due` on each row."""
    now = now or timezone.now()
    rows = list(
        parcels_visible_to(user, community_id=community_id, status=ParcelStatus.WAITING).order_by(
            "received_at", "id"
        )
    )
    for p in rows:
        p.waiting_hours = int((now - p.received_at).total_seconds() // 3600)  # type: ignore[attr-defined]
        p.follow_up_due = p.escalate_at <= now  # type: ignore[attr-defined]
    return rows


def mail_return_list(
    user: Any, *, community_id: int, now: dt.datetime | None = None
) -> list[Parcel]:
    """The daily list of undeliverable mail that must go back to the post office (R-PCL-3)."""
    now = now or timezone.now()
    rows = list(
        parcels_visible_to(
            user, community_id=community_id, status=ParcelStatus.UNDELIVERABLE
        ).order_by("return_due_at", "id")
    )
    for p in rows:
        p.overdue = p.return_due_at is not None and p.return_due_at < now  # type: ignore[attr-defined]
    return rows


# --- storage and refusals ------------------------------------------------------------------


def storage_visible_to(
    user: Any, *, community_id: int | None = None, status: str | None = None
) -> QuerySet[StorageItem]:
    qs = StorageItem.objects.filter(_scope(user, community_id))
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("house", "customer").order_by("-deposited_at", "-id")


def storage_get_for_user(user: Any, item_id: Any) -> StorageItem:
    pk = _pk(item_id, _("No such item."))
    item = storage_visible_to(user).filter(pk=pk).first()
    if item is None:
        raise NotFound(_("No such item."))
    return item


def storage_end_of_day(
    user: Any, *, community_id: int, now: dt.datetime | None = None
) -> list[StorageItem]:
    """Everything still held (R-STO-1): `overnight` marks items left before today,
    `followed_up` those whose owner has been contacted."""
    now = now or timezone.now()
    community = Community.objects.get(pk=community_id)
    day_start = _local_day_start(now, community)
    rows = list(
        storage_visible_to(user, community_id=community_id, status=StorageStatus.HELD)
        .prefetch_related("follow_ups")
        .order_by("deposited_at", "id")
    )
    for item in rows:
        item.overnight = item.deposited_at < day_start  # type: ignore[attr-defined]
        item.followed_up = bool(item.follow_ups.all())  # type: ignore[attr-defined]
    return rows


def refusals_visible_to(user: Any, *, community_id: int | None = None) -> QuerySet[DeskRefusal]:
    return (
        DeskRefusal.objects.filter(_scope(user, community_id))
        .select_related("actor", "house")
        .order_by("-at", "-id")
    )


# --- release passes -------------------------------------------------------------------


def passes_visible_to(
    user: Any,
    *,
    community_id: int | None = None,
    status: str | None = None,
    query: str | None = None,
) -> QuerySet[ReleasePass]:
    qs = ReleasePass.objects.filter(_scope(user, community_id))
    if status:
        qs = qs.filter(status=status)
    if query:
        q = query.strip()
        qs = qs.filter(Q(number=q) | Q(house__label=q) | Q(applicant_name__startswith=q))
    return qs.select_related("community", "house", "applicant", "decided_by", "used_by").order_by(
        "-applied_at", "-id"
    )


def pass_get_for_user(user: Any, pass_id: Any) -> ReleasePass:
    pk = _pk(pass_id, _("No such release pass."))
    release = passes_visible_to(user).filter(pk=pk).first()
    if release is None:
        raise NotFound(_("No such release pass."))
    return release


@dataclass(frozen=True)
class Verdict:
    """What the gate sees for a pass number: code in valid / used / expired / not_yet /
    not_approved / unknown, a sentence for the guard, and the pass when there is one."""

    code: str
    message: str
    release: ReleasePass | None = None


def pass_verdict(
    user: Any, *, community_id: Any, number: str, now: dt.datetime | None = None
) -> Verdict:
    """Read-only gate check of a pass number in the guard's community (R-REL-1)."""
    now = now or timezone.now()
    try:
        cid = int(community_id)
    except (TypeError, ValueError):
        cid = -1
    typed = "".join(ch for ch in (number or "") if ch.isalnum()).upper()
    if typed.startswith("PASS"):
        typed = typed[4:]
    release = (
        passes_visible_to(user, community_id=cid).filter(number=typed).first() if typed else None
    )
    if release is None:
        return Verdict("unknown", _("No pass with this number here."))
    today = now.astimezone(_tz(release.community)).date()
    if release.status == PassStatus.USED:
        used = (
            timezone.localtime(release.used_at).strftime("%m-%d %H:%M") if release.used_at else ""
        )
        return Verdict(
            "used",
            _("Already used at %(time)s (%(guard)s).")
            % {"time": used, "guard": release.used_by or ""},
            release,
        )
    if release.status != PassStatus.APPROVED:
        return Verdict(
            "not_approved",
            _("Not approved: %(status)s.") % {"status": release.get_status_display()},
            release,
        )
    if release.valid_on < today:
        return Verdict(
            "expired", _("Expired: valid on %(day)s only.") % {"day": release.valid_on}, release
        )
    if release.valid_on > today:
        return Verdict(
            "not_yet", _("Not yet valid: valid on %(day)s.") % {"day": release.valid_on}, release
        )
    return Verdict("valid", _("Valid: let the goods out."), release)


# --- handover and the desk now ---------------------------------------------------------


def handovers_visible_to(
    user: Any, *, community_id: int | None = None, query: str | None = None
) -> QuerySet[Handover]:
    qs = Handover.objects.filter(_scope(user, community_id))
    if query:
        q = query.strip()
        qs = qs.filter(
            Q(notes__icontains=q)
            | Q(outgoing__display_name__startswith=q)
            | Q(outgoing__username__startswith=q)
            | Q(incoming__display_name__startswith=q)
            | Q(incoming__username__startswith=q)
        )
    return qs.select_related("outgoing", "incoming").order_by("-created_at", "-id")


def handover_get_for_user(user: Any, handover_id: Any) -> Handover:
    pk = _pk(handover_id, _("No such handover."))
    handover = handovers_visible_to(user).filter(pk=pk).first()
    if handover is None:
        raise NotFound(_("No such handover."))
    return handover


def _when(moment: dt.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%m-%d %H:%M") if moment else ""


def desk_snapshot(community: Community, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """What the desk holds now, as plain data: the handover list (R-PCL-4)."""
    now = now or timezone.now()
    open_lends = (
        KeyLend.objects.filter(community=community, back_at__isnull=True)
        .select_related("key", "key__house")
        .order_by("promised_back_at")
    )
    overdue_ids = set(
        lends_overdue(now=now, community_ids=[community.id]).values_list("pk", flat=True)
    )
    waiting = Parcel.objects.filter(
        community=community, status=ParcelStatus.WAITING
    ).select_related("house")
    undeliverable = Parcel.objects.filter(
        community=community, status=ParcelStatus.UNDELIVERABLE
    ).select_related("house")
    held = StorageItem.objects.filter(community=community, status=StorageStatus.HELD)
    passes = ReleasePass.objects.filter(
        community=community, status__in=[PassStatus.APPLIED, PassStatus.APPROVED]
    ).select_related("house")
    return {
        "at": now.isoformat(),
        "keys_in_cabinet": Key.objects.filter(
            community=community, status=KeyStatus.IN_CABINET
        ).count(),
        "keys_missing": list(
            Key.objects.filter(community=community, status=KeyStatus.MISSING).values_list(
                "tag_number", flat=True
            )
        ),
        "keys_out": [
            {
                "tag": lend.key.tag_number,
                "house": lend.key.house.label,
                "borrower": lend.borrower_name,
                "phone": lend.borrower_phone,
                "promised": _when(lend.promised_back_at),
                "overdue": lend.pk in overdue_ids,
            }
            for lend in open_lends
        ],
        "parcels_waiting": [
            {
                "house": p.house.label,
                "carrier": p.carrier,
                "tracking": p.tracking_number,
                "shelf": p.shelf,
                "perishable": p.perishable,
                "since": _when(p.received_at),
            }
            for p in waiting.order_by("received_at")
        ],
        "mail_to_return": [
            {"house": p.house.label, "tracking": p.tracking_number, "due": _when(p.return_due_at)}
            for p in undeliverable.order_by("return_due_at")
        ],
        "storage_held": [
            {
                "label": s.label_number,
                "what": s.description,
                "owner": s.owner_name,
                "since": _when(s.deposited_at),
            }
            for s in held.order_by("deposited_at")
        ],
        "passes_open": [
            {
                "number": r.number,
                "house": r.house.label,
                "status": r.status,
                "valid_on": r.valid_on.isoformat(),
            }
            for r in passes.order_by("valid_on")
        ],
    }


def desk_now(user: Any, *, community_id: int, now: dt.datetime | None = None) -> dict[str, Any]:
    """Everything the desk holds now, for the one page that shows it."""
    now = now or timezone.now()
    overdue = list(lends_overdue(now=now).filter(_scope(user, community_id)))
    overdue_ids = {lend.pk for lend in overdue}
    lends = list(lends_open(user, community_id=community_id))
    for lend in lends:
        lend.is_overdue = lend.pk in overdue_ids  # type: ignore[attr-defined]
    return {
        "lends": lends,
        "overdue_count": len(overdue),
        "keys_in_cabinet": keys_visible_to(
            user, community_id=community_id, status=KeyStatus.IN_CABINET
        ).count(),
        "keys_missing": list(
            keys_visible_to(user, community_id=community_id, status=KeyStatus.MISSING)
        ),
        "parcels": parcels_aging(user, community_id=community_id, now=now),
        "mail_to_return": mail_return_list(user, community_id=community_id, now=now),
        "storage": storage_end_of_day(user, community_id=community_id, now=now),
        "passes": list(
            passes_visible_to(user, community_id=community_id).filter(
                status__in=[PassStatus.APPLIED, PassStatus.APPROVED]
            )
        ),
    }
