"""Billing: fee items, price standards, bills, an append-only ledger, payments, receipts.

Money is Decimal, two places, rounded half up once per bill line
(`propdesk.core.money.money`). Nothing here is edited or deleted after it is
written, except the cached balances on `Account` and `Bill.cleared`, which the
services change in the same transaction as the entries they sum, and
`propdesk billing reconcile` checks against those entries.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from propdesk.estates.models import HouseKind, MeterKind

ZERO = Decimal("0.00")


class FeeKind(models.TextChoices):
    MANAGEMENT = "management", _("Property management fee")
    PARKING = "parking", _("Parking fee")
    GARBAGE = "garbage", _("Garbage fee")
    UTILITY = "utility", _("Utility collected on behalf (water, electricity, gas)")
    DEPOSIT = "deposit", _("Deposit")
    ONE_OFF = "one_off", _("One-off fee")
    SERVICE = "service", _("Paid service or repair")
    LATE_FEE = "late_fee", _("Late fee")


class FeeItem(models.Model):
    """费用项: what a community charges for."""

    community = models.ForeignKey(
        "estates.Community", on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=FeeKind.choices)
    meter_kind = models.CharField(
        pgettext_lazy("billing", "meter"),
        max_length=16,
        choices=MeterKind.choices,
        blank=True,
        default="",
    )
    is_active = models.BooleanField(_("in use"), default=True)
    sort = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("fee item")
        verbose_name_plural = _("fee items")
        ordering = ["community_id", "sort", "code"]
        constraints = [
            models.UniqueConstraint(fields=["community", "code"], name="feeitem_unique_code"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_liability(self) -> bool:
        """Deposits are held for the customer, not income."""
        return self.kind == FeeKind.DEPOSIT


class PriceBasis(models.TextChoices):
    PER_AREA_MONTH = "per_area_month", _("Per m² per month")
    FIXED_MONTH = "fixed_month", _("Fixed per month")
    PER_UNIT = "per_unit", _("Per unit of metered use")
    ONE_OFF = "one_off", _("One-off")


class PriceStandard(models.Model):
    """收费标准: the approved price of a fee item for a kind of house, from a month on (R-FEE-1)."""

    community = models.ForeignKey(
        "estates.Community", on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    fee_item = models.ForeignKey(
        FeeItem, on_delete=models.PROTECT, related_name="standards", verbose_name=_("fee item")
    )
    house_kind = models.CharField(
        _("house kind"),
        max_length=16,
        choices=HouseKind.choices,
        blank=True,
        default="",
        help_text=_("Empty: every kind of house without a standard of its own."),
    )
    basis = models.CharField(_("basis"), max_length=16, choices=PriceBasis.choices)
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=4)
    valid_from = models.DateField(_("valid from"), help_text=_("First day of a month."))
    valid_to = models.DateField(_("valid until"), null=True, blank=True)
    approval_ref = models.CharField(_("approval reference"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("price standard")
        verbose_name_plural = _("price standards")
        ordering = ["community_id", "fee_item_id", "house_kind", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["fee_item", "house_kind", "valid_from"], name="standard_unique_start"
            ),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="standard_price_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.fee_item} {self.unit_price} ({self.valid_from:%Y-%m})"


class AdjustmentKind(models.TextChoices):
    CUSTODY = "custody", _("Custody houses pay a share of the fee (R-CST-4)")
    VACANCY = "vacancy", _("Vacancy discount")
    PROMPT_PAYMENT = "prompt_payment", _("Prompt-payment reward")
    LATE_FEE = "late_fee", _("Late fee")


class AdjustmentRule(models.Model):
    """A rule that changes what a bill comes to, configured per community, not coded.

    `rate` is a fraction: custody 0.70 means the house pays 70% of the full fee;
    vacancy 0.30 means a 30% discount; prompt payment 0.05 means 5% off when a
    bill is paid in full by its due date; late fee 0.0005 means 0.05% of the
    overdue amount per day (after `grace_days`, at most `cap` × the bill in all;
    see `propdesk.billing.late_fees`).
    """

    community = models.ForeignKey(
        "estates.Community", on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=AdjustmentKind.choices)
    fee_item = models.ForeignKey(
        FeeItem,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("fee item"),
        help_text=_("Empty: every management fee."),
    )
    rate = models.DecimalField(_("rate"), max_digits=7, decimal_places=4)
    is_active = models.BooleanField(pgettext_lazy("billing", "active"), default=True)
    contract_ref = models.CharField(
        _("contract clause"),
        max_length=100,
        blank=True,
        help_text=_("Late fees only where the community's service contract allows them."),
    )
    grace_days = models.PositiveSmallIntegerField(
        _("grace period (days)"),
        default=0,
        help_text=_("Late fees: the days after the due date that are not yet charged."),
    )
    cap = models.DecimalField(
        _("late fee cap"),
        max_digits=7,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_(
            "Late fees: the most charged on one bill in all, as a share of the bill "
            "(100% = the bill's amount); empty: no cap."
        ),
    )

    class Meta:
        verbose_name = _("adjustment rule")
        verbose_name_plural = _("adjustment rules")
        ordering = ["community_id", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "kind", "fee_item"], name="adjustment_unique_kind"
            ),
            models.CheckConstraint(condition=Q(rate__gte=0), name="adjustment_rate_gte_0"),
            models.CheckConstraint(
                condition=Q(cap__isnull=True) | Q(cap__gte=0), name="adjustment_cap_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.rate}"


class Cycle(models.TextChoices):
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")
    YEAR = "year", _("Year")


class Timing(models.TextChoices):
    PREPAID = "prepaid", _("Prepaid (due at the start of the period)")
    POSTPAID = "postpaid", _("Postpaid (due at the end of the period)")


class RunState(models.TextChoices):
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Stopped; run again to resume")


class BillingRun(models.Model):
    """One billing run of a community for a period; resumable from `cursor`."""

    community = models.ForeignKey(
        "estates.Community", on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    period = models.CharField(_("period"), max_length=16, help_text="2026-11, 2026-Q4, 2026")
    cycle = models.CharField(_("cycle"), max_length=8, choices=Cycle.choices)
    timing = models.CharField(_("timing"), max_length=8, choices=Timing.choices)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    fee_item_ids = models.JSONField(_("fee items"), default=list)
    state = models.CharField(
        _("state"), max_length=8, choices=RunState.choices, default=RunState.RUNNING
    )
    cursor = models.BigIntegerField(_("last house done"), default=0)
    houses_total = models.PositiveIntegerField(pgettext_lazy("billing", "houses"), default=0)
    houses_done = models.PositiveIntegerField(_("houses done"), default=0)
    bills_created = models.PositiveIntegerField(_("bills created"), default=0)
    amount_created = models.DecimalField(
        _("amount billed"), max_digits=16, decimal_places=2, default=ZERO
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("billing run")
        verbose_name_plural = _("billing runs")
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["community", "period"], name="billingrun_period_idx")]

    def __str__(self) -> str:
        return f"{self.period} #{self.pk}"


class AccountKind(models.TextChoices):
    HOUSE = "house", _("House account")
    CUSTOMER = "customer", _("Customer deposit account")


class Account(models.Model):
    """A house's account (bills, prepayment) or a customer's (deposits).

    `due`, `credit` and `deposit` cache the sums of the entries' deltas; they are
    changed only together with the entries, and `billing reconcile` checks them.
    """

    community = models.ForeignKey(
        "estates.Community", on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    kind = models.CharField(_("kind"), max_length=8, choices=AccountKind.choices)
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
        verbose_name=_("customer"),
        db_index=False,
    )
    due = models.DecimalField(_("owed"), max_digits=14, decimal_places=2, default=ZERO)
    credit = models.DecimalField(_("prepaid"), max_digits=14, decimal_places=2, default=ZERO)
    deposit = models.DecimalField(_("deposit held"), max_digits=14, decimal_places=2, default=ZERO)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        constraints = [
            models.UniqueConstraint(
                fields=["house"], condition=Q(kind="house"), name="account_one_per_house"
            ),
            models.UniqueConstraint(
                fields=["customer", "community"],
                condition=Q(kind="customer"),
                name="account_one_per_customer",
            ),
            models.CheckConstraint(
                condition=(Q(kind="house", house__isnull=False))
                | Q(kind="customer", customer__isnull=False),
                name="account_has_owner",
            ),
        ]
        indexes = [
            # House accounts, nearly all of them, have no customer: this index skips them.
            models.Index(
                fields=["customer"],
                condition=Q(customer__isnull=False),
                name="account_customer_idx",
            ),
        ]

    def __str__(self) -> str:
        return str(self.house or self.customer)

    @property
    def balance(self) -> Decimal:
        """Owed less prepaid: positive means the house owes."""
        return self.due - self.credit


class Bill(models.Model):
    """应收: what one house owes for one fee item and period. Unique per (house, item, period).

    The community, house, account and run keys have no single-column index: the
    unique constraint and the composite indexes below start with them, and a
    billing run inserts millions of bills, each paying for every index.
    """

    # No database constraint: the community is the house's, copied for per-community
    # reports. The house key (kept) already stops the community from going away, and
    # `reconcile` checks the copy equals the house's, which a foreign key never did;
    # the constraint only cost a check per bill when a billing run commits.
    community = models.ForeignKey(
        "estates.Community",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("community"),
        db_index=False,
        db_constraint=False,
    )
    house = models.ForeignKey(
        "estates.House",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("house"),
        db_index=False,
    )
    account = models.ForeignKey(
        Account,
        on_delete=models.PROTECT,
        related_name="bills",
        verbose_name=pgettext_lazy("billing", "account"),
        db_index=False,
    )
    fee_item = models.ForeignKey(
        FeeItem, on_delete=models.PROTECT, related_name="+", verbose_name=_("fee item")
    )
    period = models.CharField(_("period"), max_length=40)
    period_start = models.DateField(pgettext_lazy("billing", "from"))
    period_end = models.DateField(pgettext_lazy("billing", "to"))
    due_date = models.DateField(_("due date"))
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=2)
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=4)
    gross = models.DecimalField(_("full amount"), max_digits=12, decimal_places=2)
    amount = models.DecimalField(_("amount due"), max_digits=12, decimal_places=2)
    cleared = models.DecimalField(_("cleared"), max_digits=12, decimal_places=2, default=ZERO)
    note = models.CharField(_("note"), max_length=200, blank=True)
    run = models.ForeignKey(
        BillingRun,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bills",
        verbose_name=pgettext_lazy("billing", "billing run"),
        db_index=False,
    )
    source = models.CharField(
        _("source"), max_length=64, blank=True, help_text=_("e.g. the case a paid repair came from")
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("bill")
        verbose_name_plural = _("bills")
        ordering = ["period_start", "fee_item_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["house", "fee_item", "period"], name="bill_unique_house_item_period"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="bill_amount_gte_0"),
            models.CheckConstraint(
                condition=Q(cleared__gte=0) & Q(cleared__lte=models.F("amount")),
                name="bill_cleared_within_amount",
            ),
        ]
        indexes = [
            models.Index(fields=["account", "due_date"], name="bill_account_due_idx"),
            models.Index(fields=["community", "due_date"], name="bill_community_due_idx"),
            models.Index(fields=["run", "house"], name="bill_run_house_idx"),
            # Open bills only, for the arrears report and the daily dunning run.
            models.Index(
                fields=["community", "due_date"],
                include=["house", "account", "amount", "cleared"],
                condition=Q(cleared__lt=models.F("amount")),
                name="bill_open_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.fee_item} {self.period}"

    @property
    def outstanding(self) -> Decimal:
        return self.amount - self.cleared


class Method(models.TextChoices):
    CASH = "cash", _("Cash")
    CARD = "card", _("Bank card")
    TRANSFER = "transfer", _("Bank transfer")
    WECHAT = "wechat", _("WeChat Pay")
    ALIPAY = "alipay", _("Alipay")
    GATEWAY = "gateway", _("Online payment")


class Channel(models.TextChoices):
    DESK = "desk", _("At the desk")
    DOOR = "door", _("At the door by appointment")
    ONLINE = "online", _("Online")


class PaymentPurpose(models.TextChoices):
    BILLS = "bills", _("Bills and prepayment")
    DEPOSIT = "deposit", _("Deposit")


class Payment(models.Model):
    """Money received. The idempotency key makes a retried or replayed payment post once."""

    community = models.ForeignKey(
        "estates.Community", on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    account = models.ForeignKey(
        Account,
        on_delete=models.PROTECT,
        related_name="payments",
        verbose_name=pgettext_lazy("billing", "account"),
    )
    house = models.ForeignKey(
        "estates.House", on_delete=models.PROTECT, related_name="+", verbose_name=_("house")
    )
    purpose = models.CharField(
        _("purpose"), max_length=8, choices=PaymentPurpose.choices, default=PaymentPurpose.BILLS
    )
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    method = models.CharField(
        pgettext_lazy("billing", "method"), max_length=8, choices=Method.choices
    )
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    external_ref = models.CharField(_("external reference"), max_length=64, blank=True)
    payer_name = models.CharField(_("payer"), max_length=100, blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=80, unique=True)
    request_hash = models.CharField(pgettext_lazy("billing", "request hash"), max_length=64)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=pgettext_lazy("billing", "received by"),
    )
    received_at = models.DateTimeField(pgettext_lazy("billing", "received at"))
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
        ]
        indexes = [
            models.Index(fields=["community", "received_at"], name="payment_day_idx"),
            models.Index(fields=["account", "received_at"], name="payment_account_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.get_method_display()}"


class Receipt(models.Model):
    """票据: one per payment, numbered without gaps per community and year."""

    community = models.ForeignKey(
        "estates.Community", on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    payment = models.OneToOneField(
        Payment,
        on_delete=models.PROTECT,
        related_name="receipt",
        verbose_name=pgettext_lazy("billing", "payment"),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    seq = models.PositiveIntegerField(_("sequence"))
    number = models.CharField(_("receipt number"), max_length=40)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    issued_at = models.DateTimeField(_("issued at"))
    print_count = models.PositiveIntegerField(_("times printed"), default=0)
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)
    void_reason = models.CharField(_("void reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = pgettext_lazy("billing", "receipt")
        verbose_name_plural = pgettext_lazy("billing", "receipts")
        ordering = ["-year", "-seq"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "year", "seq"], name="receipt_unique_number"
            ),
        ]

    def __str__(self) -> str:
        return self.number


class EntryKind(models.TextChoices):
    CHARGE = "charge", _("Charge")
    PAYMENT = "payment", _("Payment")
    ALLOCATION = "allocation", _("Allocation")
    DISCOUNT = "discount", _("Discount")
    WAIVER = "waiver", _("Waiver")
    REFUND = "refund", _("Refund")
    DEPOSIT_IN = "deposit_in", _("Deposit taken")
    DEPOSIT_DEDUCT = "deposit_deduct", _("Deposit deduction")
    DEPOSIT_OUT = "deposit_out", _("Deposit refunded")
    REVERSAL = "reversal", _("Reversal")


class LedgerEntry(models.Model):
    """One append-only line of an account. Its deltas say how it moves each balance.

    `due_delta` moves what the account owes, `credit_delta` its prepayment,
    `deposit_delta` the deposit held. A reversal carries the negated deltas of
    the entry it reverses, with a reason and an approver.
    """

    # No single-column indexes on community and account: (community, kind, at) and
    # (account, at) start with them, and every billed charge writes an entry.
    # No database constraint on the community: it is the account's, copied; the
    # account key (kept) protects it and `reconcile` checks the copy (see Bill).
    community = models.ForeignKey(
        "estates.Community",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("community"),
        db_index=False,
        db_constraint=False,
    )
    account = models.ForeignKey(
        Account,
        on_delete=models.PROTECT,
        related_name="entries",
        verbose_name=pgettext_lazy("billing", "account"),
        db_index=False,
    )
    kind = models.CharField(_("kind"), max_length=16, choices=EntryKind.choices)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    due_delta = models.DecimalField(
        pgettext_lazy("billing", "change in owed"), max_digits=14, decimal_places=2, default=ZERO
    )
    credit_delta = models.DecimalField(
        pgettext_lazy("billing", "change in prepaid"), max_digits=14, decimal_places=2, default=ZERO
    )
    deposit_delta = models.DecimalField(
        pgettext_lazy("billing", "change in deposit held"),
        max_digits=14,
        decimal_places=2,
        default=ZERO,
    )
    bill = models.ForeignKey(
        Bill,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="entries",
        verbose_name=pgettext_lazy("billing", "bill"),
    )
    payment = models.ForeignKey(
        Payment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="entries",
        verbose_name=pgettext_lazy("billing", "payment"),
        db_index=False,
    )
    reverses = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
        verbose_name=pgettext_lazy("billing", "reverses entry"),
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
        db_index=False,
    )
    at = models.DateTimeField(_("time"))

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["account", "at"], name="entry_account_at_idx"),
            # Charges, most entries by far, are found through their bills; this index and
            # the two below hold only the entries of other kinds (payments, allocations,
            # reversals…) or with a payment or an approver, and a billing run skips them.
            models.Index(
                fields=["community", "kind", "at"],
                condition=~Q(kind="charge"),
                name="entry_kind_at_idx",
            ),
            models.Index(
                fields=["payment"], condition=Q(payment__isnull=False), name="entry_payment_idx"
            ),
            models.Index(
                fields=["approver"], condition=Q(approver__isnull=False), name="entry_approver_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="entry_amount_gte_0"),
            models.UniqueConstraint(
                fields=["bill"], condition=Q(kind="charge"), name="entry_one_charge_per_bill"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}"


# --- arrears and collection: the dunning ladder (R-FEE-3/4/5) -------------------------


class CollectionPolicy(models.Model):
    """What a community's collection paperwork cites: the service contract (R-FEE-5)."""

    community = models.OneToOneField(
        "estates.Community", on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    service_contract_ref = models.CharField(
        _("service contract reference"),
        max_length=100,
        blank=True,
        help_text=_("The property service contract the fees are owed under, e.g. its number."),
    )
    creditor_name = models.CharField(
        _("creditor"),
        max_length=200,
        blank=True,
        help_text=_("Who signs the dunning letters; empty: the company's name."),
    )

    class Meta:
        verbose_name = _("collection policy")
        verbose_name_plural = _("collection policies")

    def __str__(self) -> str:
        return self.service_contract_ref or str(self.community_id)


class DunningAction(models.TextChoices):
    REMINDER = "reminder", _("Phone or SMS reminder with the amount due")
    VISIT = "visit", _("Door visit")
    LETTER = "letter", _("Formal dunning letter")
    LEGAL = "legal", _("Legal collection")


class DunningStep(models.Model):
    """One rung of a community's dunning ladder, configured as data.

    A step is due `wait_days` after the step it counts from (`counts_from`: the
    order of an earlier step; empty: the step just before it; for the first step:
    the due date of the oldest unpaid bill), and only while at least
    `min_overdue` is overdue. An optional step is passed over when a later
    mandatory step falls due first (R-FEE-3: owners *may* be visited).
    """

    community = models.ForeignKey(
        "estates.Community", on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    order = models.PositiveSmallIntegerField(_("order"))
    action = models.CharField(
        pgettext_lazy("billing", "dunning action"), max_length=16, choices=DunningAction.choices
    )
    wait_days = models.PositiveIntegerField(_("wait (days)"))
    counts_from = models.PositiveSmallIntegerField(
        _("counted from step"),
        null=True,
        blank=True,
        help_text=_("Order of the earlier step the wait counts from; empty: the previous step."),
    )
    min_overdue = models.DecimalField(
        _("minimum overdue amount"), max_digits=12, decimal_places=2, default=Decimal("0.01")
    )
    optional = models.BooleanField(_("optional"), default=False)
    auto_sms = models.BooleanField(
        _("send the SMS automatically"),
        default=False,
        help_text=_("Reminders only: the daily run sends the SMS with the amount due."),
    )
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("dunning step")
        verbose_name_plural = _("dunning steps")
        ordering = ["community_id", "order"]
        constraints = [
            models.UniqueConstraint(fields=["community", "order"], name="dunningstep_unique_order"),
            models.CheckConstraint(
                condition=Q(min_overdue__gte=0), name="dunningstep_min_overdue_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.get_action_display()}"


class CaseState(models.TextChoices):
    ACTIVE = "active", _("On the ladder")
    SUSPENDED = "suspended", _("Suspended")
    LEGAL = "legal", _("Legal collection")
    CLOSED = "closed", _("Closed (paid)")


class SuspendReason(models.TextChoices):
    PAYMENT_PLAN = "payment_plan", _("Payment plan being kept")
    DISPUTE = "dispute", _("Open complaint or dispute")


class DunningCase(models.Model):
    """催缴: one house account's way down the ladder, from overdue until paid in full.

    `step` is the next step to take and `step_due` the day it falls due (stored,
    not recomputed on read); `done` maps each finished step's order to its date.
    """

    community = models.ForeignKey(
        "estates.Community", on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    account = models.ForeignKey(
        Account,
        on_delete=models.PROTECT,
        related_name="dunning_cases",
        verbose_name=pgettext_lazy("billing", "account"),
    )
    house = models.ForeignKey(
        "estates.House", on_delete=models.PROTECT, related_name="+", verbose_name=_("house")
    )
    state = models.CharField(
        _("state"), max_length=16, choices=CaseState.choices, default=CaseState.ACTIVE
    )
    suspend_reason = models.CharField(
        _("suspended because"), max_length=16, choices=SuspendReason.choices, blank=True
    )
    step = models.ForeignKey(
        DunningStep,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("next step"),
    )
    step_due = models.DateField(_("next step due"), null=True, blank=True)
    done = models.JSONField(_("steps done"), default=dict, blank=True)
    overdue = models.DecimalField(
        _("overdue amount"), max_digits=14, decimal_places=2, default=ZERO
    )
    oldest_due = models.DateField(_("oldest unpaid since"), null=True, blank=True)
    opened_on = models.DateField(pgettext_lazy("billing", "dunning opened on"))
    closed_on = models.DateField(
        pgettext_lazy("billing", "dunning closed on"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("dunning case")
        verbose_name_plural = _("dunning cases")
        ordering = ["step_due", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account"], condition=~Q(state="closed"), name="dunningcase_one_open"
            ),
        ]
        indexes = [
            models.Index(fields=["community", "state", "step_due"], name="dunningcase_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.house_id} {self.get_state_display()}"


class DunningEvent(models.Model):
    """An immutable line of a dunning case's timeline: who, when, from, to, which step."""

    case = models.ForeignKey(
        DunningCase,
        on_delete=models.PROTECT,
        related_name="events",
        verbose_name=pgettext_lazy("billing", "dunning case"),
    )
    action = models.CharField(pgettext_lazy("billing", "event"), max_length=16)
    from_state = models.CharField(pgettext_lazy("billing", "from state"), max_length=16, blank=True)
    to_state = models.CharField(pgettext_lazy("billing", "to state"), max_length=16)
    step = models.ForeignKey(
        DunningStep,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=pgettext_lazy("billing", "dunning step"),
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    on = models.DateField(_("date"))
    at = models.DateTimeField(_("time"))

    class Meta:
        verbose_name = _("dunning event")
        verbose_name_plural = _("dunning events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.action} {self.on}"

    @property
    def action_label(self) -> str:
        """What happened, in the reader's language (a suspension says why)."""
        label = str(DUNNING_EVENT_LABELS.get(self.action, self.action))
        if self.action == "suspend" and self.note in SuspendReason.values:
            label = f"{label}: {SuspendReason(self.note).label}"
        return label


DUNNING_EVENT_LABELS = {
    "open": _("Case opened"),
    "step_done": _("Step done"),
    "step_skipped": _("Optional step passed over"),
    "suspend": _("Ladder suspended"),
    "resume": _("Ladder resumed"),
    "legal": _("Handed to legal collection"),
    "close": _("Case closed"),
    "plan_completed": _("Payment plan completed"),
    "plan_broken": _("Payment plan broken"),
}


class ContactHow(models.TextChoices):
    PHONE = "phone", _("Phone call")
    SMS = "sms", _("SMS")
    VISIT = "visit", _("Door visit")
    LETTER = "letter", _("Letter")
    LEGAL = "legal", _("Legal")


class ContactAnswer(models.TextChoices):
    WILL_PAY = "will_pay", _("Promised to pay")
    REFUSED = "refused", _("Refused to pay")
    DISPUTE = "dispute", _("Disputes the bill")
    NO_ANSWER = "no_answer", _("Not reached")
    SENT = "sent", _("Sent, no answer needed")
    OTHER = "other", _("Other")


class ContactLog(models.Model):
    """One contact with a household about what it owes; kept across billing periods."""

    community = models.ForeignKey(
        "estates.Community", on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    account = models.ForeignKey(
        Account,
        on_delete=models.PROTECT,
        related_name="contacts",
        verbose_name=pgettext_lazy("billing", "account"),
    )
    house = models.ForeignKey(
        "estates.House", on_delete=models.PROTECT, related_name="+", verbose_name=_("house")
    )
    case = models.ForeignKey(
        DunningCase,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contacts",
        verbose_name=pgettext_lazy("billing", "dunning case"),
    )
    how = models.CharField(_("how"), max_length=8, choices=ContactHow.choices)
    answer = models.CharField(_("answer"), max_length=16, choices=ContactAnswer.choices)
    promise_date = models.DateField(_("promised to pay by"), null=True, blank=True)
    amount_due = models.DecimalField(_("amount due"), max_digits=14, decimal_places=2)
    note = models.TextField(_("note"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("time"))

    class Meta:
        verbose_name = _("contact log")
        verbose_name_plural = _("contact logs")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["account", "at"], name="contactlog_account_idx")]

    def __str__(self) -> str:
        return f"{self.get_how_display()} {self.at:%Y-%m-%d}"


class PlanState(models.TextChoices):
    ACTIVE = "active", _("Being kept")
    COMPLETED = "completed", _("Completed")
    BROKEN = "broken", _("Broken (an instalment was missed)")
    STOPPED = "stopped", _("Stopped")


class PaymentPlan(models.Model):
    """分期: instalments agreed with a household; while kept, the ladder waits.

    `instalments` is a list of {"due": "YYYY-MM-DD", "amount": "123.45"}; the plan
    is kept while the account's payments since `start` cover every instalment due.
    """

    community = models.ForeignKey(
        "estates.Community", on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    account = models.ForeignKey(
        Account,
        on_delete=models.PROTECT,
        related_name="payment_plans",
        verbose_name=pgettext_lazy("billing", "account"),
    )
    case = models.ForeignKey(
        DunningCase,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="plans",
        verbose_name=pgettext_lazy("billing", "dunning case"),
    )
    start = models.DateField(_("start"))
    instalments = models.JSONField(_("instalments"), default=list)
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=2)
    state = models.CharField(
        _("state"), max_length=16, choices=PlanState.choices, default=PlanState.ACTIVE
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=pgettext_lazy("billing", "created by"),
    )
    created_at = models.DateTimeField(_("created at"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)

    class Meta:
        verbose_name = _("payment plan")
        verbose_name_plural = _("payment plans")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account"], condition=Q(state="active"), name="paymentplan_one_active"
            ),
            models.CheckConstraint(condition=Q(total__gt=0), name="paymentplan_total_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.total} ({self.get_state_display()})"


class DunningLetter(models.Model):
    """催缴函: numbered per community and year, sent by express; the tracking number kept (R-FEE-4)."""

    community = models.ForeignKey(
        "estates.Community", on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    case = models.ForeignKey(
        DunningCase,
        on_delete=models.PROTECT,
        related_name="letters",
        verbose_name=pgettext_lazy("billing", "dunning case"),
    )
    account = models.ForeignKey(
        Account,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=pgettext_lazy("billing", "account"),
    )
    house = models.ForeignKey(
        "estates.House", on_delete=models.PROTECT, related_name="+", verbose_name=_("house")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    seq = models.PositiveIntegerField(_("sequence"))
    number = models.CharField(_("letter number"), max_length=40)
    issued_on = models.DateField(_("dated"))
    amount_claimed = models.DecimalField(_("amount claimed"), max_digits=14, decimal_places=2)
    oldest_due = models.DateField(_("unpaid since"), null=True, blank=True)
    addressee = models.CharField(_("addressee"), max_length=200, blank=True)
    express_company = models.CharField(_("express company"), max_length=60, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=60, blank=True)
    sent_on = models.DateField(_("sent on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=pgettext_lazy("billing", "created by"),
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("dunning letter")
        verbose_name_plural = _("dunning letters")
        ordering = ["-year", "-seq"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "year", "seq"], name="dunningletter_unique_number"
            ),
            models.CheckConstraint(
                condition=Q(amount_claimed__gt=0), name="dunningletter_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.number


class DunningRunLog(models.Model):
    """One daily run of a community's ladder (the worker runs each community once a day)."""

    community = models.ForeignKey(
        "estates.Community", on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    day = models.DateField(_("day"))
    counts = models.JSONField(_("counts"), default=dict)
    at = models.DateTimeField(_("time"))

    class Meta:
        verbose_name = _("dunning run")
        verbose_name_plural = _("dunning runs")
        ordering = ["-day"]
        constraints = [
            models.UniqueConstraint(fields=["community", "day"], name="dunningrun_unique_day"),
        ]

    def __str__(self) -> str:
        return f"{self.community_id} {self.day}"


# --- income and expenditure publication (R-FEE-6) -------------------------------------


class LineKind(models.TextChoices):
    INCOME = "income", _("Income")
    EXPENDITURE = "expenditure", _("Expenditure")


class IncomeStatement(models.Model):
    """收支公示: a community's income and expenditure for a period, published to owners."""

    community = models.ForeignKey(
        "estates.Community", on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    period = models.CharField(
        _("period"), max_length=16, help_text="2026, 2026-H1, 2026-Q3, 2026-11"
    )
    title = models.CharField(_("title"), max_length=200, blank=True)
    note = models.TextField(_("note"), blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published by"),
    )
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("income and expenditure statement")
        verbose_name_plural = _("income and expenditure statements")
        ordering = ["community_id", "-period"]
        constraints = [
            models.UniqueConstraint(fields=["community", "period"], name="incomestatement_unique"),
        ]

    def __str__(self) -> str:
        return self.title or self.period

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class IncomeStatementLine(models.Model):
    statement = models.ForeignKey(
        IncomeStatement,
        on_delete=models.CASCADE,
        related_name="lines",
        verbose_name=pgettext_lazy("billing", "income and expenditure statement"),
    )
    kind = models.CharField(
        pgettext_lazy("billing", "income or expenditure"), max_length=16, choices=LineKind.choices
    )
    category = models.CharField(pgettext_lazy("billing", "account heading"), max_length=100)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    sort = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("statement line")
        verbose_name_plural = _("statement lines")
        ordering = ["statement_id", "kind", "sort", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="statementline_amount_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.category} {self.amount}"
