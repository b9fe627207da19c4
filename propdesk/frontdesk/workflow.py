"""The state tables of the desk's items: data, read by services, console and API.

`TABLES[object_type][action] = (sources, target, label)`. Services refuse any
action whose source is not the item's current state, naming what is allowed.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .models import KeyStatus as K
from .models import ParcelStatus as P
from .models import PassStatus as R
from .models import StorageStatus as S

Row = tuple[frozenset[str], str, str | Promise]

KEY_TRANSITIONS: dict[str, Row] = {
    "lend": (frozenset({K.IN_CABINET}), K.LENT, _("Lend")),
    "take_back": (frozenset({K.LENT}), K.IN_CABINET, _("Take back")),
    "mark_missing": (frozenset({K.IN_CABINET, K.LENT}), K.MISSING, _("Mark missing")),
    "found": (frozenset({K.MISSING}), K.IN_CABINET, _("Found")),
    "release": (frozenset({K.IN_CABINET}), K.RELEASED, _("Return to the owner")),
}

PARCEL_TRANSITIONS: dict[str, Row] = {
    "pickup": (frozenset({P.WAITING}), P.COLLECTED, _("Hand over")),
    "undeliverable": (frozenset({P.WAITING}), P.UNDELIVERABLE, _("Mark undeliverable")),
    "return_to_post": (frozenset({P.UNDELIVERABLE}), P.RETURNED, _("Return to the post office")),
}

STORAGE_TRANSITIONS: dict[str, Row] = {
    "collect": (frozenset({S.HELD}), S.COLLECTED, _("Collected")),
}

PASS_TRANSITIONS: dict[str, Row] = {
    "approve": (frozenset({R.APPLIED}), R.APPROVED, _("Approve")),
    "reject": (frozenset({R.APPLIED}), R.REJECTED, _("Reject")),
    "use": (frozenset({R.APPROVED}), R.USED, _("Let out")),
    "cancel": (frozenset({R.APPLIED, R.APPROVED}), R.CANCELLED, _("Cancel")),
}

TABLES: dict[str, dict[str, Row]] = {
    "key": KEY_TRANSITIONS,
    "parcel": PARCEL_TRANSITIONS,
    "storage": STORAGE_TRANSITIONS,
    "pass": PASS_TRANSITIONS,
}


def allowed_actions(object_type: str, status: str) -> list[str]:
    """The actions the table allows from `status`, in table order (the UI shows these)."""
    return [a for a, (sources, _t, _l) in TABLES[object_type].items() if status in sources]


# What each event's action is called on the item's history.
EVENT_LABELS: dict[str, str | Promise] = {
    "deposit": _("Deposited"),
    "lend": _("Lent"),
    "take_back": _("Taken back"),
    "consent": _("Owner's consent recorded"),
    "approve_long_lend": _("Lend over 12 hours approved"),
    "overdue_alert": _("Overdue alert"),
    "mark_missing": _("Marked missing"),
    "found": _("Found again"),
    "misplaced": _("Found misplaced"),
    "release": _("Returned to the owner"),
    "receive": _("Received"),
    "pickup": _("Collected"),
    "undeliverable": _("Marked undeliverable"),
    "return_to_post": _("Returned to the post office"),
    "escalate": _("Food parcel chased"),
    "remind": _("Reminder sent"),
    "collect": _("Collected"),
    "follow_up": _("Followed up"),
    "apply": _("Applied"),
    "approve": _("Approved"),
    "reject": _("Rejected"),
    "use": _("Let out at the gate"),
    "cancel": _("Cancelled"),
    "grant": _("Consent given"),
    "revoke": _("Consent withdrawn"),
}
