"""Cases (工单): repairs, complaints, inquiries, paid services, praise and suggestions.

One engine for every kind. The allowed transitions are data (`workflow.py`);
these models only hold state. Every transition appends an immutable
`CaseEvent`; return visits, work records, materials, attachments and charge
requests hang off the case.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class CaseKind(models.TextChoices):
    REPAIR = "repair", _("Repair")
    COMPLAINT = "complaint", _("Complaint")
    INQUIRY = "inquiry", _("Inquiry")
    PAID_SERVICE = "paid_service", _("Paid service")
    PRAISE = "praise", _("Praise")
    SUGGESTION = "suggestion", _("Suggestion")


class Channel(models.TextChoices):
    """How the request reached the center (R-CMP-1, R-REP-1)."""

    VISIT = "visit", _("Visit")
    PHONE = "phone", _("Phone")
    LETTER = "letter", _("Letter")
    EMAIL = "email", _("E-mail")
    FORUM = "forum", _("Online forum")
    MEDIA = "media", _("Media / press")
    PORTAL = "portal", _("Owners' portal")


class CaseStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    FORWARDED = "forwarded", _("Forwarded")
    DISPATCHED = "dispatched", _("Dispatched")
    ACCEPTED = "accepted", _("Accepted")
    IN_PROGRESS = "in_progress", _("In progress")
    ON_HOLD = "on_hold", _("On hold")
    COMPLETED = "completed", _("Completed")
    ANSWERED = "answered", _("Answered")
    VISITED = "visited", _("Return visit done")
    CHARGED = "charged", _("Charged")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATUSES = frozenset(set(CaseStatus.values) - {CaseStatus.CLOSED, CaseStatus.CANCELLED})
# The same, in a fixed order: queries and the partial index spell the same IN list.
OPEN_STATUS_LIST = sorted(OPEN_STATUSES)


class Severity(models.TextChoices):
    """Complaint grades of R-CMP-6/7."""

    MINOR = "minor", _("Minor (about an individual)")
    ORDINARY = "ordinary", _("Ordinary")
    IMPORTANT = "important", _("Important (failure of management or service)")
    MAJOR = "major", _("Major")


class Priority(models.TextChoices):
    NORMAL = "normal", _("Normal")
    URGENT = "urgent", _("Urgent")


class BillingBasis(models.TextChoices):
    """Who pays for a repair (R-REP-2)."""

    UNDECIDED = "", _("Not decided")
    FREE_PUBLIC = "free_public", _("Free: public facility")
    FREE = "free", _("Free")
    DEVELOPER = "developer", _("Developer warranty (rectification)")
    PAID = "paid", _("Paid")


class Judgement(models.TextChoices):
    """R-CMP-9."""

    VALID = "valid", _("Valid")
    INVALID = "invalid", _("Invalid")


class Responsibility(models.TextChoices):
    """R-CMP-10."""

    COMPANY = "company", _("Company")
    RESIDENT = "resident", _("Resident")
    THIRD_PARTY = "third_party", _("Third party")
    SHARED = "shared", _("Shared")


class CauseFactor(models.TextChoices):
    """The five factors 人机料法环 (R-CMP-10)."""

    PEOPLE = "people", pgettext_lazy("cause factor", "People")
    MACHINES = "machines", pgettext_lazy("cause factor", "Machines")
    MATERIALS = "materials", pgettext_lazy("cause factor", "Materials")
    METHODS = "methods", pgettext_lazy("cause factor", "Methods")
    ENVIRONMENT = "environment", pgettext_lazy("cause factor", "Environment")


class SignoffKind(models.TextChoices):
    """R-REP-4: how the customer signed the work order."""

    NONE = "", _("Not signed")
    DRAWN = "drawn", _("Signed on screen")
    PAPER = "paper", _("Signed on paper")
    ABSENT = "absent", _("Customer absent")


class Category(models.Model):
    """A node of a category tree per kind; company null = shipped with PropDesk."""

    company = models.ForeignKey(
        "estates.Company",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("company"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=CaseKind.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    code = models.CharField(_("code"), max_length=48)
    name = models.CharField(_("name"), max_length=100)
    is_safety_facility = models.BooleanField(_("safety facility"), default=False)
    is_leak = models.BooleanField(_("leak"), default=False)
    is_public_facility = models.BooleanField(_("public facility"), default=False)
    is_paid_default = models.BooleanField(
        _("paid by default"),
        default=False,
        help_text=_(
            "Repairs in this category are paid unless a warranty or public facility applies."
        ),
    )
    warranty_months = models.PositiveSmallIntegerField(
        _("developer warranty (months)"),
        null=True,
        blank=True,
        help_text=_(
            "Months after the house's handover during which the developer rectifies defects."
        ),
    )
    department_kind = models.CharField(_("responsible department"), max_length=32, blank=True)
    sort = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("case category")
        verbose_name_plural = _("case categories")
        ordering = ["kind", "sort", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "kind", "code"],
                name="case_category_unique_code",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        return self.name


class ServiceItem(models.Model):
    """The paid-service price list (R-SVC-1), also used for paid repairs."""

    company = models.ForeignKey(
        "estates.Company", on_delete=models.CASCADE, related_name="+", verbose_name=_("company")
    )
    community = models.ForeignKey(
        "estates.Community",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("community"),
        help_text=_("Empty for the whole company's list."),
    )
    code = models.CharField(_("code"), max_length=48)
    name = models.CharField(_("name"), max_length=100)
    unit = models.CharField(_("unit"), max_length=16, default="次")
    price = models.DecimalField(_("price"), max_digits=10, decimal_places=2)
    department_kind = models.CharField(_("department"), max_length=32, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("service item")
        verbose_name_plural = _("service price list")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "community", "code"],
                name="service_item_unique_code",
                nulls_distinct=False,
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="service_item_price_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ¥{self.price}/{self.unit}"


class Case(models.Model):
    community = models.ForeignKey(
        "estates.Community", on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    number = models.CharField(_("number"), max_length=16)
    kind = models.CharField(_("kind"), max_length=16, choices=CaseKind.choices)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=CaseStatus.choices, default=CaseStatus.RECEIVED
    )
    # Location: a house, or a public area of the community / a building.
    house = models.ForeignKey(
        "estates.House",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("house"),
    )
    building = models.ForeignKey(
        "estates.Building",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("building"),
    )
    location = models.CharField(_("place"), max_length=200, blank=True)
    # Reporter: a known customer, or a caller with name and phone.
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("customer"),
    )
    reporter_name = models.CharField(_("reporter"), max_length=100, blank=True)
    reporter_phone_cipher = models.TextField(blank=True, editable=False)
    reporter_phone_masked = models.CharField(_("reporter phone"), max_length=20, blank=True)
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("category"),
    )
    severity = models.CharField(_("severity"), max_length=16, choices=Severity.choices, blank=True)
    priority = models.CharField(
        _("priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL
    )
    title = models.CharField(_("summary"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    complained_party = models.CharField(
        _("person or department complained about"), max_length=200, blank=True
    )
    requested_by = models.DateTimeField(
        _("resident's requested time"),
        null=True,
        blank=True,
        help_text=_("For an ordinary complaint: the time the resident asked for (R-CMP-7)."),
    )
    appointment_start = models.DateTimeField(_("appointment from"), null=True, blank=True)
    appointment_end = models.DateTimeField(_("appointment until"), null=True, blank=True)
    department = models.ForeignKey(
        "accounts.Department",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("responsible department"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assignee"),
    )
    service_item = models.ForeignKey(
        ServiceItem,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("service item"),
    )
    agreed_price = models.DecimalField(
        _("agreed price"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    billing_basis = models.CharField(
        _("free or paid"), max_length=16, choices=BillingBasis.choices, blank=True
    )
    immediate_action = models.TextField(_("immediate action (stop the damage)"), blank=True)
    # Work record (repairs and paid services).
    work_done = models.TextField(_("work done"), blank=True)
    labour_minutes = models.PositiveIntegerField(_("labour (minutes)"), null=True, blank=True)
    leak_test_at = models.DateTimeField(_("leak test"), null=True, blank=True)
    signoff_kind = models.CharField(
        _("customer sign-off"), max_length=8, choices=SignoffKind.choices, blank=True
    )
    signoff_form_number = models.CharField(_("paper form number"), max_length=40, blank=True)
    signoff_image = models.FileField(_("signature"), upload_to="signatures/%Y/%m/", blank=True)
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    # Complaint handling (R-CMP-8..10).
    judgement = models.CharField(
        _("judgement"), max_length=8, choices=Judgement.choices, blank=True
    )
    responsibility = models.CharField(
        _("responsibility"), max_length=16, choices=Responsibility.choices, blank=True
    )
    cause_factors = models.JSONField(_("causes (人机料法环)"), default=list, blank=True)
    cause_analysis = models.TextField(_("cause analysis"), blank=True)
    remedy = models.TextField(_("remedy"), blank=True)
    result = models.TextField(_("result"), blank=True)
    result_told_at = models.DateTimeField(_("result told at"), null=True, blank=True)
    result_told_way = models.CharField(_("result told by"), max_length=16, blank=True)
    # Milestones (stored, so lists and clocks never recompute them).
    received_at = models.DateTimeField(_("received at"))
    forwarded_at = models.DateTimeField(_("forwarded at"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    first_answer_at = models.DateTimeField(_("first answer at"), null=True, blank=True)
    held_since = models.DateTimeField(_("on hold since"), null=True, blank=True)
    rework_count = models.PositiveSmallIntegerField(_("rework"), default=0)
    # The nearest deadline of the case's open clocks, kept by the services (and
    # by the deadline sweeps), so queues sort and filter on one indexed column.
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("taken by"),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        constraints = [
            models.UniqueConstraint(fields=["community", "number"], name="case_unique_number"),
        ]
        indexes = [
            models.Index(fields=["community", "status", "-received_at"], name="case_queue_idx"),
            models.Index(fields=["assignee", "status"], name="case_assignee_idx"),
            models.Index(fields=["department", "status"], name="case_department_idx"),
            models.Index(fields=["house", "-received_at"], name="case_house_idx"),
            models.Index(fields=["customer", "-received_at"], name="case_customer_idx"),
            models.Index(fields=["community", "-received_at"], name="case_recent_idx"),
            models.Index(fields=["community", "due_at"], name="case_due_idx"),
            # The open queues (most cases of a community are closed history): newest
            # first straight from the index, no sort of every open case.
            models.Index(
                fields=["community", "-received_at", "-id"],
                condition=Q(status__in=OPEN_STATUS_LIST),
                name="case_open_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def place_label(self) -> str:
        if self.house is not None:
            return self.house.label
        parts = [self.building.name if self.building is not None else "", self.location]
        return " ".join(p for p in parts if p)


class CaseEvent(models.Model):
    """One immutable line of a case's history: who did what, from which status to which."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    community = models.ForeignKey("estates.Community", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("by"),
    )
    action = models.CharField(_("action"), max_length=32)
    from_status = models.CharField(_("from"), max_length=16, blank=True)
    to_status = models.CharField(_("to"), max_length=16, blank=True)
    note = models.TextField(_("note"), blank=True)
    is_public = models.BooleanField(
        _("visible to the customer"),
        default=False,
        help_text=_("Replies are visible to the customer; internal notes are not."),
    )
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "at"], name="case_event_case_idx")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.action}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None and not kwargs.pop("_allow_update", False):
            raise RuntimeError("case events are immutable")
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class AttachmentKind(models.TextChoices):
    PHOTO = "photo", _("Photo")
    BEFORE = "before", _("Photo before work")
    AFTER = "after", _("Photo after work")
    FILE = "file", _("File")


class CaseAttachment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(
        _("kind"), max_length=8, choices=AttachmentKind.choices, default=AttachmentKind.PHOTO
    )
    file = models.FileField(_("file"), upload_to="cases/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField()

    class Meta:
        verbose_name = _("case attachment")
        verbose_name_plural = _("case attachments")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class CaseMaterial(models.Model):
    """Materials used in a repair or service (work record)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="materials")
    name = models.CharField(_("material"), max_length=100)
    quantity = models.DecimalField(_("quantity"), max_digits=10, decimal_places=2)
    unit = models.CharField(_("unit"), max_length=16, blank=True)
    unit_price = models.DecimalField(
        _("unit price"), max_digits=10, decimal_places=2, default=Decimal("0.00")
    )

    class Meta:
        verbose_name = _("material")
        verbose_name_plural = _("materials")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="case_material_qty_gt_0"),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0), name="case_material_price_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} × {self.quantity}"


class VisitMethod(models.TextChoices):
    PHONE = "phone", _("Phone")
    IN_PERSON = "in_person", _("In person")


class VisitResult(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY = "basically", _("Basically satisfied")
    UNSATISFIED = "unsatisfied", _("Unsatisfied (rework)")
    UNREACHABLE = "unreachable", _("Could not reach the customer")


class ReturnVisit(models.Model):
    """A return-visit task (R-REP-5, R-CMP-8); done when a result is recorded."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="return_visits")
    community = models.ForeignKey("estates.Community", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"))
    not_before = models.DateTimeField(_("not before"), null=True, blank=True)
    due_at = models.DateTimeField(_("due"))
    rule = models.CharField(_("rule"), max_length=16, blank=True)
    method = models.CharField(_("method"), max_length=16, choices=VisitMethod.choices, blank=True)
    result = models.CharField(_("result"), max_length=16, choices=VisitResult.choices, blank=True)
    rating = models.PositiveSmallIntegerField(_("rating (1–5)"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    visited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("visited by"),
    )
    visited_at = models.DateTimeField(_("visited at"), null=True, blank=True)

    class Meta:
        verbose_name = _("return visit")
        verbose_name_plural = _("return visits")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["community", "visited_at", "due_at"], name="return_visit_due_idx")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="return_visit_rating_1_5",
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.due_at:%Y-%m-%d}"

    @property
    def is_done(self) -> bool:
        return self.visited_at is not None


class ChargeState(models.TextChoices):
    PENDING = "pending", _("Waiting to be posted")
    POSTED = "posted", _("Posted")
    CANCELLED = "cancelled", _("Cancelled")


class ChargeRequest(models.Model):
    """The service desk asks billing to charge a house (R-REP-4, R-SVC-1).

    Billing posts it exactly once (state pending → posted) and records its own
    reference; the service desk never writes ledger entries itself.
    """

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="charges")
    community = models.ForeignKey("estates.Community", on_delete=models.PROTECT, related_name="+")
    house = models.ForeignKey(
        "estates.House", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    item = models.ForeignKey(
        ServiceItem,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("service item"),
    )
    description = models.CharField(_("item"), max_length=200)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    state = models.CharField(
        _("state"), max_length=16, choices=ChargeState.choices, default=ChargeState.PENDING
    )
    created_at = models.DateTimeField(_("created at"))
    posted_at = models.DateTimeField(_("posted at"), null=True, blank=True)
    billing_ref = models.CharField(_("billing reference"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("charge request")
        verbose_name_plural = _("charge requests")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="charge_request_amount_gt_0"),
            # One live charge per case: completing twice never charges twice.
            models.UniqueConstraint(
                fields=["case"],
                condition=~Q(state="cancelled"),
                name="charge_request_one_live_per_case",
            ),
        ]
        indexes = [models.Index(fields=["community", "state"], name="charge_request_state_idx")]

    def __str__(self) -> str:
        return f"{self.description} ¥{self.amount}"


class ReplyTemplate(models.Model):
    """Unified reply wording (统一回复口径, R-CMP-12)."""

    company = models.ForeignKey(
        "estates.Company", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=CaseKind.choices, blank=True)
    category = models.ForeignKey(
        Category,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("category"),
    )
    title = models.CharField(_("title"), max_length=100)
    body = models.TextField(_("wording"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("reply template")
        verbose_name_plural = _("reply templates")
        ordering = ["kind", "title"]

    def __str__(self) -> str:
        return self.title
