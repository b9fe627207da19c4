"""Customers (R-CUS-1..4): people and organisations, their houses, contacts,
classes, vehicles, notes, household archive and timeline.

Protected values (ID numbers, phones) are stored as ciphertext + blind index +
a precomputed mask; the plain value exists only in memory while a service or a
permitted view handles it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from propdesk.core.models import TimeStampedModel


class CustomerKind(models.TextChoices):
    PERSON = "person", _("Person")
    ORGANISATION = "organisation", _("Organisation")


class IdType(models.TextChoices):
    PRC_RESIDENT = "prc_resident", _("Resident ID card")
    PASSPORT = "passport", _("Passport")
    HK_MACAU_PERMIT = "hk_macau", _("Hong Kong/Macau travel permit")
    TAIWAN_PERMIT = "taiwan", _("Taiwan travel permit")
    FOREIGN_RESIDENCE = "foreign_residence", _("Foreign permanent residence card")
    CREDIT_CODE = "credit_code", _("Unified social credit code")
    OTHER = "other", _("Other")


class Gender(models.TextChoices):
    UNKNOWN = "", _("Unknown")
    MALE = "m", _("Male")
    FEMALE = "f", _("Female")


class Customer(TimeStampedModel):
    community = models.ForeignKey(
        "estates.Community",
        on_delete=models.PROTECT,
        related_name="customers",
        verbose_name=_("community"),
        help_text=_("The community whose desk keeps this record."),
    )
    kind = models.CharField(
        _("kind"), max_length=16, choices=CustomerKind.choices, default=CustomerKind.PERSON
    )
    name = models.CharField(_("name"), max_length=100)
    name_pinyin = models.CharField(_("name in pinyin"), max_length=300, blank=True, db_index=True)
    name_initials = models.CharField(
        _("pinyin initials"), max_length=100, blank=True, db_index=True
    )
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    id_type = models.CharField(_("ID type"), max_length=20, choices=IdType.choices, blank=True)
    id_number_cipher = models.TextField(_("ID number (encrypted)"), blank=True, editable=False)
    id_number_index = models.CharField(
        _("ID number index"), max_length=64, blank=True, db_index=True, editable=False
    )
    id_number_masked = models.CharField(_("ID number"), max_length=40, blank=True, editable=False)
    phone_cipher = models.TextField(_("phone (encrypted)"), blank=True, editable=False)
    phone_index = models.CharField(
        _("phone index"), max_length=64, blank=True, db_index=True, editable=False
    )
    phone_masked = models.CharField(_("phone"), max_length=24, blank=True, editable=False)
    phone_last4 = models.CharField(
        _("phone last 4"), max_length=4, blank=True, db_index=True, editable=False
    )
    email = models.EmailField(_("e-mail"), blank=True)
    work_unit = models.CharField(_("employer"), max_length=200, blank=True)
    accepts_parcels = models.BooleanField(
        _("desk may receive parcels"),
        default=False,
        help_text=_("R-PCL-1: parcels are received only with the owner's consent."),
    )
    tags: models.ManyToManyField[Tag, CustomerTag] = models.ManyToManyField(
        "Tag", through="CustomerTag", related_name="customers", blank=True, verbose_name=_("tags")
    )

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["community_id", "name", "id"]
        indexes = [models.Index(fields=["community", "name"], name="customer_name_idx")]
        constraints = [
            # One record per person per community (R-CUS-1): the blind index makes the
            # encrypted ID number comparable, so the database refuses a second record.
            models.UniqueConstraint(
                fields=["community", "id_number_index"],
                condition=~models.Q(id_number_index=""),
                name="customer_unique_id_number",
            )
        ]

    def __str__(self) -> str:
        return self.name


class OccupancyRole(models.TextChoices):
    OWNER = "owner", _("Owner")
    CO_OWNER = "co_owner", _("Co-owner")
    FAMILY = "family", _("Family member")
    TENANT = "tenant", _("Tenant")
    AGENT = "agent", _("Agent")


class Occupancy(TimeStampedModel):
    """A customer's relation to a house, with dates; ended, never deleted."""

    community = models.ForeignKey(
        "estates.Community", on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    house = models.ForeignKey(
        "estates.House",
        on_delete=models.PROTECT,
        related_name="occupancies",
        verbose_name=_("house"),
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="occupancies", verbose_name=_("customer")
    )
    role = models.CharField(_("role"), max_length=16, choices=OccupancyRole.choices)
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("until"), null=True, blank=True)
    is_primary_contact = models.BooleanField(_("primary contact"), default=False)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("occupancy")
        verbose_name_plural = _("occupancies")
        ordering = ["house_id", "role", "start_date"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="occupancy_dates_ordered",
            ),
            # One current owner per house; co-owners share through role co_owner.
            models.UniqueConstraint(
                fields=["house"],
                condition=models.Q(role="owner", end_date__isnull=True),
                name="occupancy_one_current_owner",
            ),
            models.UniqueConstraint(
                fields=["house", "customer", "role"],
                condition=models.Q(end_date__isnull=True),
                name="occupancy_no_duplicate_current",
            ),
        ]
        indexes = [models.Index(fields=["customer", "end_date"], name="occupancy_customer_idx")]

    def __str__(self) -> str:
        return f"{self.customer} · {self.house} · {self.get_role_display()}"

    @property
    def is_current(self) -> bool:
        return self.end_date is None or self.end_date >= timezone.localdate()


class ContactKind(models.TextChoices):
    MOBILE = "mobile", _("Mobile")
    LANDLINE = "landline", _("Landline")
    EMAIL = "email", _("E-mail")
    WECHAT = "wechat", _("WeChat")
    ADDRESS = "address", _("Postal address")
    EMERGENCY = "emergency", _("Emergency contact")


class ContactPoint(TimeStampedModel):
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("customer")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ContactKind.choices)
    label = models.CharField(
        _("label"), max_length=60, blank=True, help_text=_("e.g. daughter, office")
    )
    value_cipher = models.TextField(_("value (encrypted)"), blank=True, editable=False)
    value_masked = models.CharField(_("value"), max_length=200, editable=False)

    class Meta:
        verbose_name = _("contact point")
        verbose_name_plural = _("contact points")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.value_masked}"


class Tag(models.Model):
    """A class or tag for proactive service (R-CUS-2)."""

    company = models.ForeignKey(
        "estates.Company",
        on_delete=models.CASCADE,
        related_name="customer_tags",
        verbose_name=_("company"),
    )
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=60)
    is_class = models.BooleanField(
        _("customer class"),
        default=False,
        help_text=_("Classes drive service rules; tags are free labels."),
    )
    color = models.CharField(_("colour"), max_length=7, default="#64748b")

    class Meta:
        verbose_name = _("customer tag")
        verbose_name_plural = _("customer tags")
        ordering = ["-is_class", "name"]
        constraints = [models.UniqueConstraint(fields=["company", "code"], name="tag_unique_code")]

    def __str__(self) -> str:
        return self.name


class CustomerTag(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="+")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "tag"], name="customer_tag_unique")
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}:{self.tag_id}"


class Vehicle(TimeStampedModel):
    community = models.ForeignKey(
        "estates.Community", on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="vehicles", verbose_name=_("customer")
    )
    plate = models.CharField(_("licence plate"), max_length=12)
    description = models.CharField(_("make and colour"), max_length=100, blank=True)
    parking_space = models.CharField(_("parking space"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("vehicle")
        verbose_name_plural = _("vehicles")
        constraints = [
            models.UniqueConstraint(fields=["community", "plate"], name="vehicle_unique_plate")
        ]
        indexes = [models.Index(fields=["plate"], name="vehicle_plate_idx")]

    def __str__(self) -> str:
        return self.plate


class Note(models.Model):
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="notes", verbose_name=_("customer")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("author"),
    )
    body = models.TextField(_("note"), max_length=4000)
    pinned = models.BooleanField(_("pinned"), default=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        ordering = ["-pinned", "-created_at"]

    def __str__(self) -> str:
        return self.body[:40]


class DocumentType(models.TextChoices):
    ID_COPY = "id_copy", _("ID copy")
    POWER_OF_ATTORNEY = "power_of_attorney", _("Power of attorney")
    AGREEMENT = "agreement", _("Agreement")
    PURCHASE_CONTRACT = "purchase_contract", _("Purchase contract")
    MOVE_IN_NOTICE = "move_in_notice", _("Move-in notice")
    COMPANY_CERTIFICATE = "company_certificate", _("Company certificate")
    INSPECTION_FORM = "inspection_form", _("Inspection form")
    REGISTRATION_FORM = "registration_form", _("Resident registration form")
    OTHER = "other", _("Other")


def _archive_path(instance: Document, filename: str) -> str:
    now = timezone.now()
    return f"archive/{instance.community_id}/{now:%Y/%m}/{instance.sha256[:16]}-{filename[-60:]}"


class Document(models.Model):
    """A file in the household archive (分户档案, R-CUS-4)."""

    community = models.ForeignKey(
        "estates.Community", on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="documents",
        verbose_name=_("customer"),
    )
    house = models.ForeignKey(
        "estates.House",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="documents",
        verbose_name=_("house"),
    )
    doc_type = models.CharField(_("document type"), max_length=32, choices=DocumentType.choices)
    title = models.CharField(_("title"), max_length=200, blank=True)
    file = models.FileField(_("file"), upload_to=_archive_path, max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("archive document")
        verbose_name_plural = _("archive documents")
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return self.title or self.original_name


class TimelineEntry(models.Model):
    """One interaction on a customer's timeline; other domains append through a service."""

    community = models.ForeignKey(
        "estates.Community", on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="timeline",
        verbose_name=_("customer"),
    )
    house = models.ForeignKey(
        "estates.House",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="timeline",
        verbose_name=_("house"),
    )
    at = models.DateTimeField(_("time"), default=timezone.now)
    kind = models.CharField(
        _("kind"), max_length=48, help_text=_("e.g. occupancy.added, case.created")
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("details"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    ref_type = models.CharField(max_length=64, blank=True)
    ref_id = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-at"], name="timeline_customer_idx"),
            models.Index(fields=["house", "-at"], name="timeline_house_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class OwnerAccount(models.Model):
    """Links a portal login to the customer it acts for (the portal comes later)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="owner_account",
        verbose_name=_("login"),
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="accounts", verbose_name=_("customer")
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)

    class Meta:
        verbose_name = _("owner account")
        verbose_name_plural = _("owner accounts")

    def __str__(self) -> str:
        return f"{self.user} → {self.customer}"
