"""What the front desk holds for owners: keys, parcels and mail, storage, release passes,
and the shift handover that lists it all.

Each process has its states here and its allowed transitions in `workflow.py`;
every transition appends an immutable `DeskEvent`.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ImmutableMixin:
    """Rows that are history: written once, never changed."""

    def save(self, *args: Any, **kwargs: Any) -> None:
        if getattr(self, "pk", None) is not None:
            raise RuntimeError(f"{type(self).__name__} rows are immutable")
        super().save(*args, **kwargs)  # type: ignore[misc]


def _signature_path(instance: Any, filename: str) -> str:
    return f"frontdesk/signatures/{instance.community_id}/{filename}"


def _photo_path(instance: Any, filename: str) -> str:
    return f"frontdesk/parcels/{instance.community_id}/{filename}"


# --- keys (R-KEY-1..5) -----------------------------------------------------------


class KeyKind(models.TextChoices):
    DELIVERED = "delivered", _("House key (delivered house)")
    UNDELIVERED = "undelivered", _("Key of a house not yet handed over")
    REPAIR = "repair", _("Repair key left by the owner")
    CUSTODY = "custody", _("Custody-house key")


class KeyStatus(models.TextChoices):
    IN_CABINET = "in_cabinet", _("In the cabinet")
    LENT = "lent", _("Lent out")
    MISSING = "missing", _("Missing")
    RELEASED = "released", _("Returned to the owner")


class IdentityMethod(models.TextChoices):
    RECORD = "record", _("Customer record")
    ID_SHOWN = "id_shown", _("ID document shown")


class BorrowerKind(models.TextChoices):
    STAFF = "staff", _("Staff")
    CONTRACTOR = "contractor", _("Contractor")
    FAMILY = "family", _("Family member")
    OTHER = "other", _("Other")


class ConsentMethod(models.TextChoices):
    PORTAL = "portal", _("Confirmed in the portal")
    PHONE = "phone", _("By phone, recorded by staff")
    PAPER = "paper", _("Signed form")


class Key(models.Model):
    """A key deposited at the desk (钥匙寄存): one row per tag, from deposit to return."""

    community = models.ForeignKey(
        "estates.Community", on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    house = models.ForeignKey(
        "estates.House", on_delete=models.PROTECT, related_name="+", verbose_name=_("house")
    )
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=KeyKind.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=KeyStatus.choices, default=KeyStatus.IN_CABINET
    )
    depositor_name = models.CharField(_("deposited by (name)"), max_length=100)
    identity_method = models.CharField(
        _("identity checked by"), max_length=16, choices=IdentityMethod.choices
    )
    identity_note = models.CharField(
        _("ID shown"), max_length=100, blank=True, help_text=_("Masked ID number or document")
    )
    condition = models.CharField(_("condition"), max_length=200)
    copies = models.PositiveSmallIntegerField(_("number of keys"), default=1)
    tag_number = models.CharField(_("tag number"), max_length=20)
    cabinet_slot = models.CharField(_("cabinet slot"), max_length=20)
    signature = models.FileField(
        _("deposit signature"), upload_to=_signature_path, blank=True, max_length=200
    )
    paper_form_number = models.CharField(_("paper form number"), max_length=40, blank=True)
    deposited_at = models.DateTimeField(_("deposited at"))
    deposited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("received by"),
    )
    released_at = models.DateTimeField(_("returned to the owner at"), null=True, blank=True)
    release_signature = models.FileField(
        _("return signature"), upload_to=_signature_path, blank=True, max_length=200
    )
    release_form_number = models.CharField(_("return form number"), max_length=40, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("key")
        verbose_name_plural = _("keys")
        ordering = ["community_id", "tag_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "tag_number"],
                condition=~Q(status="released"),
                name="fd_key_unique_tag",
            ),
            models.UniqueConstraint(
                fields=["community", "cabinet_slot"],
                condition=~Q(status="released"),
                name="fd_key_unique_slot",
            ),
        ]
        indexes = [models.Index(fields=["community", "status"], name="fd_key_status_idx")]

    def __str__(self) -> str:
        return f"{self.tag_number} ({self.cabinet_slot})"


class KeyConsent(models.Model):
    """The owner's prior consent to one use of a repair key (R-KEY-4); used by one lend."""

    community = models.ForeignKey("estates.Community", on_delete=models.PROTECT, related_name="+")
    key = models.ForeignKey(Key, on_delete=models.PROTECT, related_name="consents")
    method = models.CharField(_("how"), max_length=16, choices=ConsentMethod.choices)
    given_by = models.CharField(_("given by"), max_length=100)
    given_at = models.DateTimeField(_("given at"))
    purpose = models.CharField(_("for"), max_length=200)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("owner's consent to a key lend")
        verbose_name_plural = _("owner's consents to key lends")

    def __str__(self) -> str:
        return f"{self.key_id}: {self.given_by} @ {self.given_at:%Y-%m-%d %H:%M}"


class KeyApproval(models.Model):
    """A department manager's approval to keep an undelivered house's key out > 12 h (R-KEY-3)."""

    community = models.ForeignKey("estates.Community", on_delete=models.PROTECT, related_name="+")
    key = models.ForeignKey(Key, on_delete=models.PROTECT, related_name="approvals")
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved at"))
    until = models.DateTimeField(_("approved until"))
    reason = models.CharField(_("reason"), max_length=200)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("key lend approval")
        verbose_name_plural = _("key lend approvals")

    def __str__(self) -> str:
        return f"{self.key_id} until {self.until:%Y-%m-%d %H:%M}"


class KeyLend(models.Model):
    """One time a key was out: who had it, why, when it left, was promised, came back."""

    community = models.ForeignKey("estates.Community", on_delete=models.PROTECT, related_name="+")
    key = models.ForeignKey(Key, on_delete=models.PROTECT, related_name="lends")
    borrower_kind = models.CharField(_("borrower"), max_length=16, choices=BorrowerKind.choices)
    borrower_name = models.CharField(_("borrower name"), max_length=100)
    borrower_phone = models.CharField(_("borrower phone"), max_length=24)
    purpose = models.CharField(_("purpose"), max_length=200)
    out_at = models.DateTimeField(_("out at"))
    promised_back_at = models.DateTimeField(_("promised back at"))
    back_at = models.DateTimeField(_("back at"), null=True, blank=True)
    lent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("taken back by"),
    )
    approval = models.OneToOneField(
        KeyApproval, on_delete=models.PROTECT, null=True, blank=True, related_name="lend"
    )
    consent = models.OneToOneField(
        KeyConsent, on_delete=models.PROTECT, null=True, blank=True, related_name="lend"
    )
    overdue_alerted_at = models.DateTimeField(_("overdue alert at"), null=True, blank=True)

    class Meta:
        verbose_name = _("key lend")
        verbose_name_plural = _("key lends")
        ordering = ["-out_at", "-id"]
        constraints = [
            # A key is out at most once at a time: the database refuses a second open lend.
            models.UniqueConstraint(
                fields=["key"], condition=Q(back_at__isnull=True), name="fd_one_open_lend_per_key"
            )
        ]
        indexes = [
            models.Index(fields=["community", "back_at", "promised_back_at"], name="fd_lend_idx")
        ]

    def __str__(self) -> str:
        return f"{self.key_id} → {self.borrower_name}"


class AuditResult(models.TextChoices):
    PRESENT = "present", _("Present")
    MISSING = "missing", _("Missing")
    MISPLACED = "misplaced", _("Misplaced")


class KeyAudit(models.Model):
    """A walk through the key cabinet by a named person (R-KEY-5)."""

    community = models.ForeignKey("estates.Community", on_delete=models.PROTECT, related_name="+")
    auditor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("auditor"),
    )
    at = models.DateTimeField(_("time"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    present = models.PositiveIntegerField(_("present"), default=0)
    missing = models.PositiveIntegerField(_("missing"), default=0)
    misplaced = models.PositiveIntegerField(_("misplaced"), default=0)

    class Meta:
        verbose_name = _("key cabinet audit")
        verbose_name_plural = _("key cabinet audits")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.community_id} {self.at:%Y-%m-%d %H:%M}"


class KeyAuditLine(models.Model):
    audit = models.ForeignKey(KeyAudit, on_delete=models.CASCADE, related_name="lines")
    key = models.ForeignKey(Key, on_delete=models.PROTECT, related_name="+")
    result = models.CharField(_("result"), max_length=16, choices=AuditResult.choices)
    expected_slot = models.CharField(_("expected slot"), max_length=20)
    found_slot = models.CharField(_("found in slot"), max_length=20, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("audit line")
        verbose_name_plural = _("audit lines")
        constraints = [
            models.UniqueConstraint(fields=["audit", "key"], name="fd_audit_line_unique")
        ]

    def __str__(self) -> str:
        return f"{self.key_id}: {self.result}"


# --- parcels and mail (R-PCL-1..4) ---------------------------------------------------


class ParcelConsent(models.Model):
    """Whether the desk may receive parcels for a customer (R-PCL-1), and who recorded it."""

    community = models.ForeignKey("estates.Community", on_delete=models.PROTECT, related_name="+")
    customer = models.OneToOneField(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="parcel_consent",
        verbose_name=_("customer"),
    )
    granted = models.BooleanField(_("desk may receive parcels"), default=True)
    method = models.CharField(_("how"), max_length=16, choices=ConsentMethod.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("parcel consent")
        verbose_name_plural = _("parcel consents")

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.granted}"


class ParcelKind(models.TextChoices):
    PARCEL = "parcel", _("Parcel")
    MAIL = "mail", _("Mail")
    REGISTERED = "registered", _("Registered mail")


class ParcelSize(models.TextChoices):
    SMALL = "s", _("Small")
    MEDIUM = "m", _("Medium")
    LARGE = "l", _("Large")


class ParcelStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting for pickup")
    COLLECTED = "collected", _("Collected")
    UNDELIVERABLE = "undeliverable", _("Undeliverable")
    RETURNED = "returned", _("Returned to the post office")


class PickupMethod(models.TextChoices):
    CODE = "code", _("Pickup code")
    IDENTITY = "identity", _("Identity check")


class Parcel(models.Model):
    """One item in the mail register: received, told, collected or sent back."""

    community = models.ForeignKey(
        "estates.Community", on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    kind = models.CharField(
        _("kind"), max_length=16, choices=ParcelKind.choices, default=ParcelKind.PARCEL
    )
    carrier = models.CharField(_("carrier"), max_length=40)
    tracking_number = models.CharField(_("tracking number"), max_length=40, blank=True)
    house = models.ForeignKey(
        "estates.House", on_delete=models.PROTECT, related_name="+", verbose_name=_("house")
    )
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recipient"),
    )
    size = models.CharField(
        _("size"), max_length=1, choices=ParcelSize.choices, default=ParcelSize.SMALL
    )
    shelf = models.CharField(_("shelf"), max_length=20, blank=True)
    perishable = models.BooleanField(_("perishable (food)"), default=False)
    photo = models.FileField(_("photo"), upload_to=_photo_path, blank=True, max_length=200)
    status = models.CharField(
        _("status"), max_length=16, choices=ParcelStatus.choices, default=ParcelStatus.WAITING
    )
    pickup_code = models.CharField(_("pickup code"), max_length=6)
    received_at = models.DateTimeField(_("received at"))
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    escalate_at = models.DateTimeField(_("follow up at"))
    escalated_at = models.DateTimeField(_("followed up at"), null=True, blank=True)
    notified_at = models.DateTimeField(_("recipient told at"), null=True, blank=True)
    collected_at = models.DateTimeField(_("collected at"), null=True, blank=True)
    collected_by_name = models.CharField(_("collected by"), max_length=100, blank=True)
    pickup_method = models.CharField(
        _("verified by"), max_length=16, choices=PickupMethod.choices, blank=True
    )
    identity_note = models.CharField(_("identity checked"), max_length=100, blank=True)
    handed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    signature = models.FileField(
        _("pickup signature"), upload_to=_signature_path, blank=True, max_length=200
    )
    paper_form_number = models.CharField(_("paper form number"), max_length=40, blank=True)
    undeliverable_reason = models.CharField(_("why undeliverable"), max_length=200, blank=True)
    return_due_at = models.DateTimeField(_("back to the post office by"), null=True, blank=True)
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    postal_worker = models.CharField(_("postal worker"), max_length=100, blank=True)
    postal_receipt_number = models.CharField(_("post office receipt"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("parcel")
        verbose_name_plural = _("parcels")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "pickup_code"],
                condition=Q(status="waiting"),
                name="fd_parcel_unique_code",
            ),
            # A second scan of a parcel already on the shelf is refused by the database.
            models.UniqueConstraint(
                fields=["community", "tracking_number"],
                condition=Q(status="waiting") & ~Q(tracking_number=""),
                name="fd_parcel_unique_tracking",
            ),
        ]
        indexes = [
            models.Index(fields=["community", "status", "received_at"], name="fd_parcel_idx"),
            models.Index(fields=["customer", "status"], name="fd_parcel_customer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.carrier} {self.tracking_number or self.pk}"


# --- temporary storage (R-STO-1) -------------------------------------------------------


class StorageStatus(models.TextChoices):
    HELD = "held", _("Held")
    COLLECTED = "collected", _("Collected")


class StorageItem(models.Model):
    """Shopping, clothes, groceries left for a few hours: never kept overnight (R-STO-1)."""

    community = models.ForeignKey(
        "estates.Community", on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    house = models.ForeignKey(
        "estates.House",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("house"),
    )
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
    )
    owner_name = models.CharField(_("owner"), max_length=100)
    owner_phone = models.CharField(_("phone"), max_length=24, blank=True)
    description = models.CharField(_("what"), max_length=200)
    label_number = models.CharField(_("label number"), max_length=20)
    status = models.CharField(
        _("status"), max_length=16, choices=StorageStatus.choices, default=StorageStatus.HELD
    )
    deposited_at = models.DateTimeField(_("left at"))
    deposited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    collected_at = models.DateTimeField(_("collected at"), null=True, blank=True)
    collected_by_name = models.CharField(_("collected by"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("storage item")
        verbose_name_plural = _("storage items")
        ordering = ["-deposited_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "label_number"],
                condition=Q(status="held"),
                name="fd_storage_unique_label",
            )
        ]

    def __str__(self) -> str:
        return f"{self.label_number} {self.description}"


class StorageFollowUp(ImmutableMixin, models.Model):
    """A contact made because an item was still held at the end of the day (R-STO-1)."""

    item = models.ForeignKey(StorageItem, on_delete=models.CASCADE, related_name="follow_ups")
    at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    method = models.CharField(_("how"), max_length=16)
    outcome = models.CharField(_("outcome"), max_length=200)

    class Meta:
        verbose_name = _("storage follow-up")
        verbose_name_plural = _("storage follow-ups")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return self.outcome


class RefusedKind(models.TextChoices):
    KEY = "key", _("Key deposit")
    PARCEL = "parcel", _("Parcel")
    STORAGE = "storage", _("Storage")


class DeskRefusal(ImmutableMixin, models.Model):
    """Something the desk declined to hold (valuables, cash, documents), and why (R-KEY-1)."""

    community = models.ForeignKey("estates.Community", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("asked to hold"), max_length=16, choices=RefusedKind.choices)
    house = models.ForeignKey(
        "estates.House", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    person_name = models.CharField(_("person"), max_length=100)
    description = models.CharField(_("what"), max_length=200)
    reason = models.CharField(_("reason"), max_length=200)
    at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("refused item")
        verbose_name_plural = _("refused items")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.description}: {self.reason}"


# --- release passes (R-REL-1) ---------------------------------------------------------


class PassReason(models.TextChoices):
    MOVING_OUT = "moving_out", _("Moving out")
    REPAIR = "repair", _("Sending for repair")
    SHOP_GOODS = "shop_goods", _("Shop or company goods")
    OTHER = "other", _("Other")


class PassStatus(models.TextChoices):
    APPLIED = "applied", _("Applied")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    USED = "used", _("Used")
    CANCELLED = "cancelled", _("Cancelled")


class PassPolicy(models.Model):
    """The checks a community applies to release applications (configurable per community)."""

    community = models.OneToOneField(
        "estates.Community", on_delete=models.CASCADE, related_name="+"
    )
    require_owner_or_consent = models.BooleanField(
        _("applicant must be the owner or have the owner's consent"), default=True
    )
    warn_on_arrears = models.BooleanField(_("warn when the house has arrears"), default=True)
    block_on_arrears = models.BooleanField(_("refuse approval when in arrears"), default=False)

    class Meta:
        verbose_name = _("release pass policy")
        verbose_name_plural = _("release pass policies")

    def __str__(self) -> str:
        return str(self.community_id)


class ReleasePass(models.Model):
    """Goods leaving the community (放行条): applied, approved, checked once at the gate."""

    community = models.ForeignKey(
        "estates.Community", on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    number = models.CharField(_("pass number"), max_length=20, blank=True)
    house = models.ForeignKey(
        "estates.House", on_delete=models.PROTECT, related_name="+", verbose_name=_("house")
    )
    applicant = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("applicant (customer)"),
    )
    applicant_name = models.CharField(_("applicant"), max_length=100)
    applicant_phone = models.CharField(_("phone"), max_length=24, blank=True)
    owner_consent_note = models.CharField(
        _("owner's consent"),
        max_length=200,
        blank=True,
        help_text=_("How and when the owner agreed"),
    )
    items = models.TextField(_("items"))
    reason = models.CharField(_("reason"), max_length=16, choices=PassReason.choices)
    valid_on = models.DateField(_("valid on"))
    status = models.CharField(
        _("status"), max_length=16, choices=PassStatus.choices, default=PassStatus.APPLIED
    )
    warnings = models.JSONField(_("warnings"), default=list, blank=True)
    applied_at = models.DateTimeField(_("applied at"))
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decision_note = models.CharField(_("decision note"), max_length=200, blank=True)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("checked by"),
    )
    gate = models.CharField(_("gate"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("release pass")
        verbose_name_plural = _("release passes")
        ordering = ["-applied_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "number"], condition=~Q(number=""), name="fd_pass_unique_no"
            )
        ]
        indexes = [models.Index(fields=["community", "status"], name="fd_pass_status_idx")]

    def __str__(self) -> str:
        return self.number or f"#{self.pk}"


# --- shift handover (R-PCL-4) -----------------------------------------------------------


class Handover(models.Model):
    """What the desk holds at a shift change, listed by the outgoing agent, confirmed by the next."""

    community = models.ForeignKey(
        "estates.Community", on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    outgoing = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("handed over by"),
    )
    incoming = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("taken over by"),
    )
    created_at = models.DateTimeField(_("time"))
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    snapshot = models.JSONField(_("what the desk holds"), default=dict)
    notes = models.TextField(_("notes"), blank=True)
    signature = models.FileField(
        _("confirmation signature"), upload_to=_signature_path, blank=True, max_length=200
    )

    class Meta:
        verbose_name = _("shift handover")
        verbose_name_plural = _("shift handovers")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.community_id} {self.created_at:%Y-%m-%d %H:%M}"


# --- events ------------------------------------------------------------------------------


class DeskEvent(ImmutableMixin, models.Model):
    """One immutable line of history of any desk item: who did what, from which state to which."""

    community = models.ForeignKey("estates.Community", on_delete=models.PROTECT, related_name="+")
    object_type = models.CharField(_("item"), max_length=16)
    object_id = models.BigIntegerField()
    at = models.DateTimeField(_("time"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    action = models.CharField(_("action"), max_length=32)
    from_status = models.CharField(_("from"), max_length=16, blank=True)
    to_status = models.CharField(_("to"), max_length=16, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("desk event")
        verbose_name_plural = _("desk events")
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["object_type", "object_id", "at"], name="fd_event_object_idx")
        ]

    def __str__(self) -> str:
        return f"{self.object_type}:{self.object_id} {self.action}"
