"""API of billing: fee items, price standards, bills, payments, receipts, refunds, runs,
deposits, house summaries and statements, online payments and the gateway's notices.

Reads come from `propdesk.billing.selectors`; each write picks its fields from the
body and calls one service, which checks the capability (403), the scope (404),
validates (400 naming the field) and writes in one transaction.

- **Payments** carry their idempotency key in the `Idempotency-Key` header
  (required). The first request answers 201; the same key with the same body
  answers 200 with the same body and `Idempotent-Replayed: true`; the same key
  with another body answers 409 (`idempotency_mismatch`). Keys starting with
  `gw:` are the gateway's.
- **Corrections** (voids, waivers, cancellations, refunds, deposit settlements)
  need a second person who may approve them (four eyes). An API client proves
  the approver with an **approval code**: the approver asks for it with their
  own credentials (`POST /api/billing-approvals/` with the action and the same
  money fields), the code is signed by the server, names the approver, the
  action, the target and the amounts, and the account as it stood (its last
  ledger entry), and is valid for 15 minutes. The clerk then sends `approver`
  (the approver's user id) and `approval` (the code) with the correction. A code
  is good for exactly the correction it names and is used up by it: any entry
  on the account since makes it stale. The approver's password never travels
  through another person's client.
- **Online payments**: `POST /api/payments/online/` asks the gateway for an
  order (pay URL / QR); the gateway's signed notice to
  `/api/payments/notify/<provider>/` posts the payment once, however often it
  is delivered; `GET /api/payments/online/<out_trade_no>/` checks an order and
  posts it if the notice went missing. With the fake gateway embedded (the
  demo) the pay page is served here, `/api/payments/fake-gateway/<token>/`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core import signing
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from propdesk.accounts.models import User, UserKind
from propdesk.accounts.roles import Cap
from propdesk.accounts.selectors import require
from propdesk.billing import gateway, selectors, services
from propdesk.billing.models import (
    Account,
    AccountKind,
    Bill,
    BillingRun,
    FeeItem,
    LedgerEntry,
    Payment,
    PriceStandard,
    Receipt,
)
from propdesk.core.errors import Invalid, NotFound
from propdesk.core.money import amount_in_words, money
from propdesk.estates.selectors import community_get_for_user, house_get_for_user

from .foundation import StaffViewSet, _int_param, _required_int
from .permissions import IsStaff
from .servicedesk import NoCountPagination

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"

# --- serializers -------------------------------------------------------------------------


class FeeItemSerializer(serializers.ModelSerializer[FeeItem]):
    class Meta:
        model = FeeItem
        fields = ["id", "community", "code", "name", "kind", "meter_kind", "is_active", "sort"]


class FeeItemCreateSerializer(serializers.Serializer[Any]):
    community = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()
    meter_kind = serializers.CharField(required=False)
    sort = serializers.IntegerField(required=False)


class PriceStandardSerializer(serializers.ModelSerializer[PriceStandard]):
    fee_item_name = serializers.CharField(source="fee_item.name", read_only=True)

    class Meta:
        model = PriceStandard
        fields = [
            "id",
            "community",
            "fee_item",
            "fee_item_name",
            "house_kind",
            "basis",
            "unit_price",
            "valid_from",
            "valid_to",
            "approval_ref",
        ]


class PriceStandardCreateSerializer(serializers.Serializer[Any]):
    fee_item = serializers.IntegerField()
    basis = serializers.CharField()
    unit_price = serializers.CharField()
    valid_from = serializers.DateField()
    house_kind = serializers.CharField(required=False)
    approval_ref = serializers.CharField(required=False)


class BillSerializer(serializers.ModelSerializer[Bill]):
    house_label = serializers.CharField(source="house.label", read_only=True)
    fee_item_name = serializers.CharField(source="fee_item.name", read_only=True)
    outstanding = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)

    class Meta:
        model = Bill
        fields = [
            "id",
            "community",
            "house",
            "house_label",
            "fee_item",
            "fee_item_name",
            "period",
            "period_start",
            "period_end",
            "due_date",
            "quantity",
            "unit_price",
            "gross",
            "amount",
            "cleared",
            "outstanding",
            "note",
            "source",
            "run",
            "created_at",
        ]


class ReceiptBriefSerializer(serializers.ModelSerializer[Receipt]):
    class Meta:
        model = Receipt
        fields = ["id", "number", "issued_at", "voided_at"]


class LineSerializer(serializers.Serializer[Any]):
    item = serializers.CharField()
    period = serializers.CharField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)


class PaymentSerializer(serializers.ModelSerializer[Payment]):
    house_label = serializers.CharField(source="house.label", read_only=True)
    receipt = ReceiptBriefSerializer(read_only=True)

    class Meta:
        model = Payment
        fields = [
            "id",
            "community",
            "house",
            "house_label",
            "purpose",
            "amount",
            "method",
            "channel",
            "external_ref",
            "payer_name",
            "received_by",
            "received_at",
            "voided_at",
            "receipt",
        ]


class PaymentDetailSerializer(PaymentSerializer):
    lines = serializers.SerializerMethodField()

    class Meta(PaymentSerializer.Meta):
        fields = [*PaymentSerializer.Meta.fields, "lines"]

    @extend_schema_field(LineSerializer(many=True))
    def get_lines(self, obj: Payment) -> list[dict[str, Any]]:
        receipt = getattr(obj, "receipt", None)
        if receipt is None:
            return []
        return [dict(LineSerializer(line).data) for line in selectors.receipt_lines(receipt)]


class PaymentCreateSerializer(serializers.Serializer[Any]):
    house = serializers.IntegerField()
    amount = serializers.CharField(help_text="yuan, at most two decimals, e.g. 233.75")
    method = serializers.CharField()
    channel = serializers.CharField(required=False)
    external_ref = serializers.CharField(required=False)
    payer_name = serializers.CharField(required=False)
    bill_ids = serializers.ListField(child=serializers.IntegerField(), required=False)


class ReceiptSerializer(serializers.ModelSerializer[Receipt]):
    house = serializers.IntegerField(source="payment.house_id", read_only=True)
    house_label = serializers.CharField(source="payment.house.label", read_only=True)
    amount_in_words = serializers.SerializerMethodField()
    lines = serializers.SerializerMethodField()

    class Meta:
        model = Receipt
        fields = [
            "id",
            "number",
            "community",
            "payment",
            "house",
            "house_label",
            "amount",
            "amount_in_words",
            "issued_at",
            "print_count",
            "voided_at",
            "void_reason",
            "lines",
        ]

    def get_amount_in_words(self, obj: Receipt) -> str:
        return amount_in_words(obj.amount)

    @extend_schema_field(LineSerializer(many=True))
    def get_lines(self, obj: Receipt) -> list[dict[str, Any]]:
        return [dict(LineSerializer(line).data) for line in selectors.receipt_lines(obj)]


class EntrySerializer(serializers.ModelSerializer[LedgerEntry]):
    class Meta:
        model = LedgerEntry
        fields = [
            "id",
            "account",
            "kind",
            "amount",
            "bill",
            "payment",
            "reverses",
            "reason",
            "actor",
            "approver",
            "at",
        ]


class RunSerializer(serializers.ModelSerializer[BillingRun]):
    progress = serializers.SerializerMethodField()

    class Meta:
        model = BillingRun
        fields = [
            "id",
            "community",
            "period",
            "cycle",
            "timing",
            "period_start",
            "period_end",
            "fee_item_ids",
            "state",
            "cursor",
            "houses_total",
            "houses_done",
            "bills_created",
            "amount_created",
            "started_by",
            "started_at",
            "finished_at",
            "error",
            "progress",
        ]

    def get_progress(self, obj: BillingRun) -> float:
        """Share of the community's houses done, 0–1."""
        if obj.state == "done":
            return 1.0
        return round(obj.houses_done / obj.houses_total, 4) if obj.houses_total else 0.0


class CorrectionFields(serializers.Serializer[Any]):
    reason = serializers.CharField()
    approver = serializers.IntegerField(help_text="user id of the approver")
    approval = serializers.CharField(help_text="the approver's code from /api/billing-approvals/")


class StaffAPIView(APIView):
    permission_classes = [IsStaff]


# --- helpers --------------------------------------------------------------------------------


@contextlib.contextmanager
def _body_reference(field: str) -> Iterator[None]:
    """A house (or customer …) named in the body that the user cannot see: 400 naming the field."""
    try:
        yield
    except NotFound as exc:
        raise Invalid.field(field, exc.message) from None


def _flag(value: Any) -> bool:
    return str(value).lower() in {"1", "true", "yes", "on"}


def _date(params: Any, name: str, default: dt.date) -> dt.date:
    raw = (params.get(name) or "").strip()
    if not raw:
        return default
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise Invalid.field(name, _("Enter a date as YYYY-MM-DD.")) from None


def _payment_response(
    request: Request, payment: Payment, *, created: bool, replayed: bool = False
) -> Response:
    fresh = selectors.payment_get_for_user(request.user, payment.pk)
    response = Response(
        PaymentDetailSerializer(fresh).data,
        status=status.HTTP_200_OK if replayed or not created else status.HTTP_201_CREATED,
    )
    if created:
        response[REPLAYED_HEADER] = "true" if replayed else "false"
    return response


def _idempotency_key(request: Request) -> str:
    key = (request.headers.get(IDEMPOTENCY_HEADER) or "").strip()
    if not key:
        raise Invalid.field(
            IDEMPOTENCY_HEADER,
            _("Send a unique key for this payment in the Idempotency-Key header."),
        )
    if key.startswith("gw:"):
        raise Invalid.field(IDEMPOTENCY_HEADER, _("Keys starting with gw: are reserved."))
    return key


# --- approvals (four eyes over the API) -------------------------------------------------------

APPROVAL_SALT = "propdesk.api.billing.approval"
APPROVAL_MAX_AGE = 15 * 60
APPROVAL_ACTIONS = ("payment_void", "bill_waive", "bill_cancel", "refund", "deposit_settle")


def _money_field(data: Any, name: str, *, required: bool = True) -> str:
    raw = data.get(name)
    if raw in (None, ""):
        if required:
            raise Invalid.field(name, _("This field is required."))
        return ""
    try:
        return str(money(str(raw)))
    except (ValueError, InvalidOperation):
        raise Invalid.field(name, _("Enter a number.")) from None


def _last_entry(account_id: int | None) -> int:
    if not account_id:
        return 0
    return LedgerEntry.objects.filter(account_id=account_id).aggregate(m=Max("id"))["m"] or 0


def _approval_subject(user: Any, act: str, data: Any) -> dict[str, Any]:
    """What an approval binds: the action, its target, its money fields, the account's state."""
    if act == "payment_void":
        payment = selectors.payment_get_for_user(user, _required_int(data, "payment"))
        return {"t": payment.pk, "s": _last_entry(payment.account_id)}
    if act in ("bill_waive", "bill_cancel"):
        bill = selectors.bill_get_for_user(user, _required_int(data, "bill"))
        subject: dict[str, Any] = {"t": bill.pk, "s": _last_entry(bill.account_id)}
        if act == "bill_waive":
            subject["m"] = [_money_field(data, "amount"), str(data.get("kind") or "waiver")]
        return subject
    if act == "refund":
        house = house_get_for_user(user, _required_int(data, "house"))
        account = Account.objects.filter(kind=AccountKind.HOUSE, house=house).first()
        return {
            "t": house.pk,
            "s": _last_entry(account.pk if account else None),
            "m": [_money_field(data, "amount")],
        }
    if act == "deposit_settle":
        community = community_get_for_user(user, _required_int(data, "community"))
        customer_id = _required_int(data, "customer")
        account = Account.objects.filter(
            kind=AccountKind.CUSTOMER, customer_id=customer_id, community=community
        ).first()
        deductions = data.get("deductions") or []
        if not isinstance(deductions, list):
            raise Invalid.field("deductions", _("Send a list of {amount, reason}."))
        amounts = [_money_field(d if isinstance(d, dict) else {}, "amount") for d in deductions]
        return {
            "t": [community.pk, customer_id],
            "s": _last_entry(account.pk if account else None),
            "m": [*amounts, _money_field(data, "refund", required=False)],
        }
    raise Invalid.field(
        "action", _("Choose one of: %(list)s.") % {"list": ", ".join(APPROVAL_ACTIONS)}
    )


def _approver(request: Request, act: str, data: Any, *, required: bool = True) -> Any:
    """The approver the request names, once their approval code is checked against it."""
    raw_id = data.get("approver")
    if raw_id in (None, "") and not required:
        return None
    approver_id = _required_int(data, "approver")
    approver = User.objects.filter(pk=approver_id, kind=UserKind.STAFF, is_active=True).first()
    if approver is None:
        raise Invalid.field("approver", _("No such approver."))
    code = str(data.get("approval") or "")
    try:
        signed = signing.loads(code, salt=APPROVAL_SALT, max_age=APPROVAL_MAX_AGE)
    except signing.SignatureExpired:
        raise Invalid.field(
            "approval", _("This approval has expired; ask for a new one.")
        ) from None
    except signing.BadSignature:
        raise Invalid.field("approval", _("Send the approver's approval code.")) from None
    expected = {"a": act, "u": approver.pk, **_approval_subject(request.user, act, data)}
    if signed != expected:
        raise Invalid.field(
            "approval",
            _("This approval is for another correction, or the account changed since."),
        )
    return approver


# --- fee items and standards -------------------------------------------------------------------


class FeeItemViewSet(mixins.ListModelMixin, StaffViewSet):
    """费用项: what each community charges for."""

    serializer_class = FeeItemSerializer

    def get_queryset(self) -> Any:
        return selectors.fee_items_visible_to(
            self.request.user, community_id=_int_param(self.request.query_params, "community")
        )

    @extend_schema(parameters=[OpenApiParameter("community", int)])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=FeeItemCreateSerializer, responses=FeeItemSerializer)
    def create(self, request: Request) -> Response:
        d = request.data
        item = services.fee_item_create(
            actor=request.user,
            community_id=_required_int(d, "community"),
            code=d.get("code", ""),
            name=d.get("name", ""),
            kind=d.get("kind", ""),
            meter_kind=d.get("meter_kind", "") or "",
            sort=int(d["sort"]) if str(d.get("sort", "")).isdigit() else 0,
        )
        return Response(FeeItemSerializer(item).data, status=status.HTTP_201_CREATED)


class PriceStandardViewSet(mixins.ListModelMixin, StaffViewSet):
    """收费标准: prices per fee item and house kind from a month on (R-FEE-1)."""

    serializer_class = PriceStandardSerializer

    def get_queryset(self) -> Any:
        p = self.request.query_params
        rows = selectors.standards_visible_to(
            self.request.user, community_id=_int_param(p, "community")
        )
        if fee_item := _int_param(p, "fee_item"):
            rows = rows.filter(fee_item_id=fee_item)
        return rows

    @extend_schema(
        parameters=[OpenApiParameter("community", int), OpenApiParameter("fee_item", int)]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=PriceStandardCreateSerializer, responses=PriceStandardSerializer)
    def create(self, request: Request) -> Response:
        d = request.data
        standard = services.price_standard_set(
            actor=request.user,
            fee_item_id=_required_int(d, "fee_item"),
            basis=d.get("basis", ""),
            unit_price=d.get("unit_price"),
            valid_from=d.get("valid_from"),
            house_kind=d.get("house_kind", "") or "",
            approval_ref=d.get("approval_ref", "") or "",
        )
        return Response(PriceStandardSerializer(standard).data, status=status.HTTP_201_CREATED)


# --- bills ------------------------------------------------------------------------------------


class BillViewSet(mixins.ListModelMixin, StaffViewSet):
    """应收: bills of a house or a community; waive or cancel with an approver."""

    lookup_value_regex = r"\d+"

    serializer_class = BillSerializer
    pagination_class = NoCountPagination

    def get_queryset(self) -> Any:
        p = self.request.query_params
        return selectors.bills_visible_to(
            self.request.user,
            community_id=_int_param(p, "community"),
            house_id=_int_param(p, "house"),
            period=(p.get("period") or "").strip() or None,
            open_only=_flag(p.get("open", "")),
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("community", int),
            OpenApiParameter("house", int),
            OpenApiParameter("period", str, description="2026-11, 2026-Q4, 2026 or a reference"),
            OpenApiParameter("open", bool, description="only bills with something outstanding"),
            OpenApiParameter("limit", int),
            OpenApiParameter("offset", int),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(BillSerializer(selectors.bill_get_for_user(request.user, pk)).data)

    @extend_schema(
        request=inline_serializer(
            "BillWaiveInput",
            {
                "amount": serializers.CharField(),
                "kind": serializers.ChoiceField(choices=["waiver", "discount"], required=False),
                "reason": serializers.CharField(),
                "approver": serializers.IntegerField(),
                "approval": serializers.CharField(),
            },
        ),
        responses=EntrySerializer,
    )
    @action(detail=True, methods=["post"])
    def waive(self, request: Request, pk: str) -> Response:
        """Waive or discount part of a bill (减免), with an approver."""
        d = dict(request.data.items()) | {"bill": pk}
        approver = _approver(request, "bill_waive", d)
        entry = services.bill_waive(
            actor=request.user,
            bill_id=pk,
            amount=d.get("amount"),
            reason=d.get("reason", ""),
            approver=approver,
            kind=d.get("kind") or "waiver",
        )
        return Response(EntrySerializer(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CorrectionFields, responses=EntrySerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        """Cancel a bill made in error (a reversing entry), with an approver."""
        d = dict(request.data.items()) | {"bill": pk}
        approver = _approver(request, "bill_cancel", d)
        entry = services.bill_cancel(
            actor=request.user, bill_id=pk, reason=d.get("reason", ""), approver=approver
        )
        return Response(EntrySerializer(entry).data, status=status.HTTP_201_CREATED)


class ChargeView(StaffAPIView):
    """A one-off charge (debris removal, a paid repair) billed to a house."""

    @extend_schema(
        request=inline_serializer(
            "ChargeInput",
            {
                "house": serializers.IntegerField(),
                "fee_item": serializers.IntegerField(),
                "amount": serializers.CharField(),
                "reference": serializers.CharField(),
                "note": serializers.CharField(required=False),
                "due": serializers.DateField(required=False),
            },
        ),
        responses=BillSerializer,
    )
    def post(self, request: Request) -> Response:
        d = request.data
        due = _date(d, "due", dt.date.min) if d.get("due") else None
        with _body_reference("house"):
            house_get_for_user(request.user, _required_int(d, "house"))
        bill = services.charge_post(
            actor=request.user,
            house_id=_required_int(d, "house"),
            fee_item_id=_required_int(d, "fee_item"),
            amount=d.get("amount"),
            reference=d.get("reference", ""),
            note=d.get("note", "") or "",
            due=due,
        )
        return Response(
            BillSerializer(selectors.bill_get_for_user(request.user, bill.pk)).data,
            status=status.HTTP_201_CREATED,
        )


# --- payments and receipts -------------------------------------------------------------------


class PaymentViewSet(mixins.ListModelMixin, StaffViewSet):
    """Payments (R-FEE-2): take one with an Idempotency-Key header; void one with an approver."""

    lookup_value_regex = r"\d+"

    serializer_class = PaymentSerializer
    pagination_class = NoCountPagination

    def get_queryset(self) -> Any:
        p = self.request.query_params
        rows = selectors.payments_visible_to(
            self.request.user, community_id=_int_param(p, "community")
        )
        if house := _int_param(p, "house"):
            rows = rows.filter(house_id=house)
        return rows

    @extend_schema(
        parameters=[
            OpenApiParameter("community", int),
            OpenApiParameter("house", int),
            OpenApiParameter("limit", int),
            OpenApiParameter("offset", int),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def retrieve(self, request: Request, pk: str) -> Response:
        payment = selectors.payment_get_for_user(request.user, pk)
        return Response(PaymentDetailSerializer(payment).data)

    @extend_schema(
        request=PaymentCreateSerializer,
        responses={201: PaymentDetailSerializer, 200: PaymentDetailSerializer},
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                str,
                location=OpenApiParameter.HEADER,
                required=True,
                description="unique per payment; a retry with the same key and body "
                "answers 200 with the same payment",
            )
        ],
    )
    def create(self, request: Request) -> Response:
        """Take a payment for a house, allocate it oldest first (or to `bill_ids`), issue the receipt."""
        key = _idempotency_key(request)
        d = request.data
        bill_ids = d.getlist("bill_ids") if hasattr(d, "getlist") else d.get("bill_ids")
        if bill_ids is not None and not isinstance(bill_ids, list):
            raise Invalid.field("bill_ids", _("Send a list of bill ids."))
        with _body_reference("house"):
            payment, replayed = services.payment_post(
                actor=request.user,
                house_id=_required_int(d, "house"),
                amount=d.get("amount"),
                method=d.get("method", ""),
                channel=d.get("channel") or "desk",
                external_ref=d.get("external_ref", "") or "",
                payer_name=d.get("payer_name", "") or "",
                bill_ids=bill_ids or None,
                idempotency_key=key,
            )
        return _payment_response(request, payment, created=True, replayed=replayed)

    @extend_schema(request=CorrectionFields, responses=PaymentDetailSerializer)
    @action(detail=True, methods=["post"])
    def void(self, request: Request, pk: str) -> Response:
        """Void a payment by reversing entries; the receipt keeps its number, marked void."""
        d = dict(request.data.items()) | {"payment": pk}
        approver = _approver(request, "payment_void", d)
        payment = services.payment_void(
            actor=request.user, payment_id=pk, reason=d.get("reason", ""), approver=approver
        )
        return _payment_response(request, payment, created=False)


class ReceiptViewSet(StaffViewSet):
    """票据: one per payment, numbered without gaps per community and year."""

    lookup_value_regex = r"\d+"

    serializer_class = ReceiptSerializer

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(ReceiptSerializer(selectors.receipt_get_for_user(request.user, pk)).data)

    @extend_schema(request=None, responses={(200, "application/pdf"): bytes})
    @action(detail=True, methods=["post"])
    def pdf(self, request: Request, pk: str) -> HttpResponse:
        """The receipt as PDF (Chinese, amount in 大写); each print after the first is a copy."""
        try:
            from propdesk.console.billing.pdf import receipt_pdf
        except ImportError:  # pragma: no cover - the console ships it
            raise NotFound(_("Receipt PDFs are not available.")) from None
        selectors.receipt_get_for_user(request.user, pk)
        receipt, is_copy = services.receipt_print(actor=request.user, receipt_id=pk)
        receipt = selectors.receipt_get_for_user(request.user, receipt.pk)
        response = HttpResponse(
            receipt_pdf(receipt, is_copy=is_copy), content_type="application/pdf"
        )
        response["Content-Disposition"] = f'inline; filename="{receipt.number}.pdf"'
        return response


class RefundView(StaffAPIView):
    """Pay back prepayment of a house (never more than it holds), with an approver."""

    @extend_schema(
        request=inline_serializer(
            "RefundInput",
            {
                "house": serializers.IntegerField(),
                "amount": serializers.CharField(),
                "reason": serializers.CharField(),
                "approver": serializers.IntegerField(),
                "approval": serializers.CharField(),
            },
        ),
        responses=EntrySerializer,
    )
    def post(self, request: Request) -> Response:
        d = request.data
        with _body_reference("house"):
            approver = _approver(request, "refund", d)
            entry = services.refund_post(
                actor=request.user,
                house_id=_required_int(d, "house"),
                amount=d.get("amount"),
                reason=d.get("reason", ""),
                approver=approver,
            )
        return Response(EntrySerializer(entry).data, status=status.HTTP_201_CREATED)


class ApprovalView(StaffAPIView):
    """An approver's code for one correction (four eyes over the API; see the module's doc)."""

    @extend_schema(
        request=inline_serializer(
            "ApprovalInput",
            {
                "action": serializers.ChoiceField(choices=list(APPROVAL_ACTIONS)),
                "payment": serializers.IntegerField(required=False),
                "bill": serializers.IntegerField(required=False),
                "house": serializers.IntegerField(required=False),
                "customer": serializers.IntegerField(required=False),
                "community": serializers.IntegerField(required=False),
                "amount": serializers.CharField(required=False),
                "kind": serializers.CharField(required=False),
                "refund": serializers.CharField(required=False),
                "deductions": serializers.JSONField(required=False),
            },
        ),
        responses=inline_serializer(
            "Approval",
            {
                "approval": serializers.CharField(),
                "approver": serializers.IntegerField(),
                "expires_at": serializers.DateTimeField(),
            },
        ),
    )
    def post(self, request: Request) -> Response:
        require(request.user, Cap.BILLING_APPROVE)
        d = request.data
        act = str(d.get("action", ""))
        subject = _approval_subject(request.user, act, d)
        code = signing.dumps({"a": act, "u": request.user.pk, **subject}, salt=APPROVAL_SALT)
        expires = timezone.now() + dt.timedelta(seconds=APPROVAL_MAX_AGE)
        return Response(
            {"approval": code, "approver": request.user.pk, "expires_at": expires},
            status=status.HTTP_201_CREATED,
        )


# --- houses: summary and statement --------------------------------------------------------------


class HouseBillingView(StaffAPIView):
    """What a house owes: open bills oldest first, owed, overdue, prepaid, balance."""

    @extend_schema(
        responses=inline_serializer(
            "HouseBilling",
            {
                "house": serializers.IntegerField(),
                "house_label": serializers.CharField(),
                "owed": serializers.DecimalField(max_digits=14, decimal_places=2),
                "overdue": serializers.DecimalField(max_digits=14, decimal_places=2),
                "prepaid": serializers.DecimalField(max_digits=14, decimal_places=2),
                "balance": serializers.DecimalField(max_digits=14, decimal_places=2),
                "oldest_due": serializers.DateField(allow_null=True),
                "open_bills": BillSerializer(many=True),
            },
        )
    )
    def get(self, request: Request, pk: int) -> Response:
        summary = selectors.house_billing(request.user, pk)
        return Response(
            {
                "house": summary.house.pk,
                "house_label": summary.house.label,
                "owed": f"{summary.owed:.2f}",
                "overdue": f"{summary.overdue:.2f}",
                "prepaid": f"{summary.prepaid:.2f}",
                "balance": f"{summary.balance:.2f}",
                "oldest_due": summary.oldest_due,
                "open_bills": BillSerializer(summary.open_bills, many=True).data,
            }
        )


class StatementView(StaffAPIView):
    """A house's statement for a date range: opening balance, every entry, closing balance."""

    @extend_schema(
        parameters=[
            OpenApiParameter("from", dt.date, description="first day (default: 1 January)"),
            OpenApiParameter("to", dt.date, description="last day (default: today)"),
        ],
        responses=inline_serializer(
            "Statement",
            {
                "house": serializers.IntegerField(),
                "from": serializers.DateField(),
                "to": serializers.DateField(),
                "opening": serializers.DecimalField(max_digits=14, decimal_places=2),
                "charged": serializers.DecimalField(max_digits=14, decimal_places=2),
                "paid": serializers.DecimalField(max_digits=14, decimal_places=2),
                "closing": serializers.DecimalField(max_digits=14, decimal_places=2),
                "lines": serializers.ListField(child=serializers.DictField()),
            },
        ),
    )
    def get(self, request: Request, pk: int) -> Response:
        today = timezone.localdate()
        start = _date(request.query_params, "from", today.replace(month=1, day=1))
        end = _date(request.query_params, "to", today)
        if end < start:
            raise Invalid.field("to", _("The end is before the start."))
        st = selectors.statement(request.user, pk, start, end)
        return Response(
            {
                "house": st.house.pk,
                "house_label": st.house.label,
                "from": st.start,
                "to": st.end,
                "opening": f"{st.opening:.2f}",
                "charged": f"{st.charged:.2f}",
                "paid": f"{st.paid:.2f}",
                "closing": f"{st.closing:.2f}",
                "lines": [
                    {
                        "entry": line["entry"].pk,
                        "at": line["at"],
                        "kind": line["entry"].kind,
                        "kind_display": str(line["kind"]),
                        "item": line["item"],
                        "period": line["period"],
                        "receipt": line["receipt"],
                        "amount": f"{line['amount']:.2f}",
                        "change": f"{line['change']:.2f}",
                        "balance": f"{line['balance']:.2f}",
                        "reason": line["reason"],
                    }
                    for line in st.lines
                ],
            }
        )


# --- billing runs ----------------------------------------------------------------------------


class RunInput(serializers.Serializer[Any]):
    community = serializers.IntegerField()
    period = serializers.CharField(help_text="2026-11, 2026-Q4 or 2026")
    fee_items = serializers.ListField(child=serializers.IntegerField(), required=False)
    timing = serializers.ChoiceField(choices=["prepaid", "postpaid"], required=False)


def _fee_items(d: Any) -> list[Any] | None:
    items = d.getlist("fee_items") if hasattr(d, "getlist") else d.get("fee_items")
    if items is not None and not isinstance(items, list):
        raise Invalid.field("fee_items", _("Send a list of fee item ids."))
    return items or None


class BillingRunViewSet(mixins.ListModelMixin, StaffViewSet):
    """Billing runs: preview, start (billed by the worker chunk by chunk), progress, resume."""

    lookup_value_regex = r"\d+"

    serializer_class = RunSerializer

    def get_queryset(self) -> Any:
        return selectors.runs_visible_to(
            self.request.user, community_id=_int_param(self.request.query_params, "community")
        )

    @extend_schema(parameters=[OpenApiParameter("community", int)])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def retrieve(self, request: Request, pk: str) -> Response:
        """The run and its progress (poll while `state` is running)."""
        return Response(RunSerializer(selectors.run_get_for_user(request.user, pk)).data)

    @extend_schema(
        request=RunInput,
        responses=inline_serializer(
            "RunPreview",
            {
                "period": serializers.CharField(),
                "bills": serializers.IntegerField(),
                "amount": serializers.DecimalField(max_digits=16, decimal_places=2),
                "skipped": serializers.IntegerField(),
                "items": serializers.ListField(child=serializers.DictField()),
                "sample": serializers.ListField(child=serializers.DictField()),
            },
        ),
    )
    @action(detail=False, methods=["post"])
    def preview(self, request: Request) -> Response:
        """What a run would bill, per fee item, with a sample; nothing is written."""
        d = request.data
        result = services.billing_run_preview(
            actor=request.user,
            community_id=_required_int(d, "community"),
            period=str(d.get("period", "")),
            fee_item_ids=_fee_items(d),
        )
        return Response(
            {
                "period": result["period"].key,
                "bills": result["bills"],
                "amount": f"{result['amount']:.2f}",
                "skipped": result["skipped"],
                "items": [
                    {
                        "fee_item": row["item"].pk,
                        "name": row["item"].name,
                        "bills": row["bills"],
                        "amount": f"{row['amount']:.2f}",
                        "skipped": row["skipped"],
                    }
                    for row in result["items"]
                ],
                "sample": [
                    {
                        "house": line.house_id,
                        "house_label": line.label,
                        "fee_item": line.fee_item_id,
                        "quantity": f"{line.quantity}",
                        "unit_price": f"{line.unit_price}",
                        "gross": f"{line.gross:.2f}",
                        "amount": f"{line.amount:.2f}",
                        "note": line.note,
                    }
                    for line in result["sample"]
                ],
            }
        )

    @extend_schema(request=RunInput, responses={202: RunSerializer})
    def create(self, request: Request) -> Response:
        """Start a run; the worker bills it chunk by chunk (202: poll the run for progress)."""
        d = request.data
        run = services.billing_run_start(
            actor=request.user,
            community_id=_required_int(d, "community"),
            period=str(d.get("period", "")),
            fee_item_ids=_fee_items(d),
            timing=d.get("timing") or "prepaid",
            background=True,
        )
        return Response(RunSerializer(run).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={202: RunSerializer})
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, pk: str) -> Response:
        """Carry on a stopped run from its cursor (queued for the worker)."""
        run = services.billing_run_resume(actor=request.user, run_id=pk, background=True)
        return Response(RunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


# --- deposits ----------------------------------------------------------------------------------


class DepositViewSet(StaffViewSet):
    """Deposits (R-REN-3, R-REN-7): take one (Idempotency-Key header), settle one."""

    serializer_class = PaymentDetailSerializer

    @extend_schema(
        request=inline_serializer(
            "DepositInput",
            {
                "house": serializers.IntegerField(),
                "customer": serializers.IntegerField(),
                "amount": serializers.CharField(),
                "method": serializers.CharField(),
                "external_ref": serializers.CharField(required=False),
                "reference": serializers.CharField(required=False),
            },
        ),
        responses={201: PaymentDetailSerializer, 200: PaymentDetailSerializer},
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER, str, location=OpenApiParameter.HEADER, required=True
            )
        ],
    )
    def create(self, request: Request) -> Response:
        """Take a deposit exactly as agreed; it is held for the customer, with a receipt."""
        key = _idempotency_key(request)
        d = request.data
        with _body_reference("house"):
            payment, replayed = services.deposit_take(
                actor=request.user,
                house_id=_required_int(d, "house"),
                customer_id=_required_int(d, "customer"),
                amount=d.get("amount"),
                method=d.get("method", ""),
                external_ref=d.get("external_ref", "") or "",
                reference=d.get("reference", "") or "",
                idempotency_key=key,
            )
        return _payment_response(request, payment, created=True, replayed=replayed)

    @extend_schema(
        request=inline_serializer(
            "DepositSettleInput",
            {
                "customer": serializers.IntegerField(),
                "community": serializers.IntegerField(),
                "deductions": serializers.JSONField(
                    required=False, help_text='[{"amount": "200.00", "reason": "…"}]'
                ),
                "refund": serializers.CharField(required=False),
                "approver": serializers.IntegerField(required=False),
                "approval": serializers.CharField(required=False),
            },
        ),
        responses=EntrySerializer(many=True),
    )
    @action(detail=False, methods=["post"])
    def settle(self, request: Request) -> Response:
        """Deduct what was recorded, then refund the rest (or `refund` of it) (R-REN-7)."""
        d = request.data
        deductions = d.get("deductions") or []
        if isinstance(deductions, str):
            try:
                deductions = json.loads(deductions)
            except json.JSONDecodeError:
                raise Invalid.field("deductions", _("Send a list of {amount, reason}.")) from None
        if not isinstance(deductions, list) or not all(isinstance(x, dict) for x in deductions):
            raise Invalid.field("deductions", _("Send a list of {amount, reason}."))
        body = {**dict(d.items()), "deductions": deductions}
        approver = _approver(request, "deposit_settle", body, required=False)
        entries = services.deposit_settle(
            actor=request.user,
            customer_id=_required_int(d, "customer"),
            community_id=_required_int(d, "community"),
            deductions=[(x.get("amount"), x.get("reason", "")) for x in deductions],
            refund=d.get("refund"),
            approver=approver,
        )
        return Response(EntrySerializer(entries, many=True).data, status=status.HTTP_201_CREATED)


# --- online payments ------------------------------------------------------------------------


class OnlineOrderSerializer(serializers.Serializer[Any]):
    provider = serializers.CharField()
    out_trade_no = serializers.CharField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    pay_url = serializers.CharField()
    qr_text = serializers.CharField()
    qr_svg = serializers.CharField()
    expires_at = serializers.DateTimeField()


def _notify_url(request: Request | HttpRequest, provider: str) -> str:
    base = gateway._conf("BILLING_PUBLIC_URL")
    path = reverse("api:payment-notify", args=[provider])
    return f"{base.rstrip('/')}{path}" if base else request.build_absolute_uri(path)


def _qr_svg(text: str) -> str:
    import io

    import segno

    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="svg", scale=4, xmldecl=False)
    return out.getvalue().decode()


class OnlineOrderView(StaffAPIView):
    """Ask the gateway for an order the payer pays online (pay URL and QR code)."""

    @extend_schema(
        request=inline_serializer(
            "OnlineOrderInput",
            {
                "house": serializers.IntegerField(),
                "amount": serializers.CharField(
                    required=False, help_text="default: what the house owes now"
                ),
                "provider": serializers.CharField(required=False),
                "description": serializers.CharField(required=False),
            },
        ),
        responses={201: OnlineOrderSerializer},
    )
    def post(self, request: Request) -> Response:
        d = request.data
        provider = d.get("provider") or None
        name = provider or gateway.default_provider()
        with _body_reference("house"):
            order = gateway.order_create(
                actor=request.user,
                house_id=_required_int(d, "house"),
                amount=d.get("amount"),
                provider=provider,
                description=d.get("description", "") or "",
                notify_url=_notify_url(request, name),
                pay_page_url=request.build_absolute_uri(reverse("api:fake-gateway-home")),
            )
        return Response(
            {
                "provider": order.provider,
                "out_trade_no": order.out_trade_no,
                "amount": f"{order.amount:.2f}",
                "pay_url": order.pay_url,
                "qr_text": order.qr_text,
                "qr_svg": _qr_svg(order.qr_text),
                "expires_at": order.expires_at,
            },
            status=status.HTTP_201_CREATED,
        )


class OnlineOrderStateView(StaffAPIView):
    """An order's state; a paid order whose notice went missing is posted now."""

    @extend_schema(
        parameters=[OpenApiParameter("provider", str)],
        responses=inline_serializer(
            "OnlineOrderState",
            {
                "out_trade_no": serializers.CharField(),
                "state": serializers.CharField(),
                "payment": PaymentDetailSerializer(allow_null=True),
            },
        ),
    )
    def get(self, request: Request, out_trade_no: str) -> Response:
        state, payment = gateway.order_check(
            actor=request.user,
            out_trade_no=out_trade_no,
            provider=request.query_params.get("provider") or None,
        )
        data = None
        if payment is not None:
            data = PaymentDetailSerializer(
                selectors.payment_get_for_user(request.user, payment.pk)
            ).data
        return Response({"out_trade_no": out_trade_no, "state": state, "payment": data})


class NotifyView(APIView):
    """The gateway's payment notice: verified, posted once, acknowledged as the provider expects."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema(request=None, responses={200: None})
    def post(self, request: Request, provider: str) -> Response:
        result = gateway.notice_post(
            provider=provider, headers=dict(request.headers.items()), body=request.body
        )
        response = Response(result.body, status=result.status)
        if result.payment is not None:
            response["X-PropDesk-Payment"] = str(result.payment.pk)
            response[REPLAYED_HEADER] = "true" if result.replayed else "false"
        return response


# The embedded fake gateway's pay page (demo only; the fake gateway is refused in production).


@csrf_exempt
def fake_pay_page(request: HttpRequest, token: str = "") -> HttpResponse:
    """PropDesk's own stand-in for a provider's cashier page: GET shows it, POST pays."""
    fake = gateway.adapter("fake")
    if not isinstance(fake, gateway.FakeGateway) or fake.url or not token:
        return HttpResponse(status=404)
    try:
        order = fake.read_pay_token(token)
    except NotFound:
        return HttpResponse(_("This payment link is not valid or has expired."), status=404)
    amount = Decimal(order["amount"])
    message = ""
    paid = Payment.objects.filter(
        idempotency_key=gateway.idempotency_key("fake", order["out_trade_no"])
    ).select_related("receipt")
    if request.method == "POST" and not paid.exists():
        headers, body = fake.notice_for(order["out_trade_no"], amount)
        result = gateway.notice_post(provider="fake", headers=headers, body=body)
        if result.status != 200:
            message = result.body.get("message", "")
    payment = paid.first()
    if payment is not None:
        receipt = getattr(payment, "receipt", None)
        message = _("Paid. Receipt %(number)s.") % {"number": receipt.number if receipt else ""}
        button = ""
    else:
        button = format_html(
            '<form method="post"><button type="submit" style="font-size:1.2em;padding:.6em 2em">'
            "{}</button></form>",
            _("Pay ¥%(amount)s") % {"amount": f"{amount:.2f}"},
        )
    page = format_html(
        '<!doctype html><html lang="zh-hans"><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<title>{title}</title><body style="font-family:sans-serif;max-width:28em;margin:2em auto">'
        "<h1>{title}</h1><p>{note}</p><p>{what}</p><p>{number}: {no}</p>"
        '<p style="font-size:2em">¥{amount}</p>{button}<p><strong>{message}</strong></p>'
        "</body></html>",
        title=_("Simulated payment"),
        note=_("Demo gateway: no money moves."),
        what=order["description"],
        number=_("Order"),
        no=order["out_trade_no"],
        amount=f"{amount:.2f}",
        button=button,
        message=message,
    )
    return HttpResponse(page)
