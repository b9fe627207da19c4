"""API of the front desk: keys, parcels and mail, storage, release passes, handovers.

Reads come from the scoped selectors; each write picks the documented fields from the
body and calls one service, which validates (400 naming the field), checks the
capability (403) and the scope (404), and refuses a transition its state table does
not allow (409). Mounted under /api/frontdesk/.
"""

from __future__ import annotations

import inspect
from typing import Any

from django.http import HttpResponse
from django.urls import include, path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from propdesk.accounts.roles import Cap
from propdesk.accounts.selectors import user_can
from propdesk.core.errors import Invalid
from propdesk.frontdesk import pdf, selectors, services
from propdesk.frontdesk.models import (
    DeskEvent,
    DeskRefusal,
    Handover,
    Key,
    KeyAudit,
    KeyLend,
    Parcel,
    ReleasePass,
    StorageItem,
)
from propdesk.frontdesk.workflow import allowed_actions

from .foundation import StaffViewSet, _int_param, _required_int
from .permissions import IsStaff


class CanViewDesk(BasePermission):
    message = "You do not have the permission for this action."

    def has_permission(self, request: Any, view: Any) -> bool:
        return user_can(request.user, Cap.FRONTDESK_VIEW)


class DeskViewSet(StaffViewSet):
    permission_classes = [IsStaff, CanViewDesk]


def _pick(fn: Any, data: Any, *names: str) -> dict[str, Any]:
    """The named body fields for service `fn`; a missing one is left to the service's default,
    or passed as None when it has none, so the service names it in a 400 (never a 500)."""
    params = inspect.signature(fn).parameters
    picked: dict[str, Any] = {}
    for name in names:
        if name in data:
            picked[name] = data.get(name)
        elif params[name].default is inspect.Parameter.empty:
            picked[name] = None
    return picked


def _flag(value: Any) -> bool:
    return value in {True, "1", "true", "on", "yes"}


class EventSerializer(serializers.ModelSerializer[DeskEvent]):
    class Meta:
        model = DeskEvent
        fields = ["id", "at", "actor", "action", "from_status", "to_status", "note", "data"]


class KeyLendSerializer(serializers.ModelSerializer[KeyLend]):
    class Meta:
        model = KeyLend
        fields = [
            "id",
            "key",
            "borrower_kind",
            "borrower_name",
            "borrower_phone",
            "purpose",
            "out_at",
            "promised_back_at",
            "back_at",
            "lent_by",
            "received_by",
            "approval",
            "consent",
            "overdue_alerted_at",
        ]


class KeySerializer(serializers.ModelSerializer[Key]):
    house_label = serializers.CharField(source="house.label", read_only=True)
    allowed_actions = serializers.SerializerMethodField()

    class Meta:
        model = Key
        fields = [
            "id",
            "community",
            "house",
            "house_label",
            "customer",
            "kind",
            "status",
            "tag_number",
            "cabinet_slot",
            "depositor_name",
            "identity_method",
            "identity_note",
            "condition",
            "copies",
            "paper_form_number",
            "deposited_at",
            "deposited_by",
            "released_at",
            "note",
            "allowed_actions",
        ]

    def get_allowed_actions(self, obj: Key) -> list[str]:
        return allowed_actions("key", obj.status)


class KeyAuditSerializer(serializers.ModelSerializer[KeyAudit]):
    class Meta:
        model = KeyAudit
        fields = ["id", "community", "auditor", "at", "note", "present", "missing", "misplaced"]


class ParcelSerializer(serializers.ModelSerializer[Parcel]):
    house_label = serializers.CharField(source="house.label", read_only=True)

    class Meta:
        model = Parcel
        fields = [
            "id",
            "community",
            "kind",
            "carrier",
            "tracking_number",
            "house",
            "house_label",
            "customer",
            "size",
            "shelf",
            "perishable",
            "status",
            "pickup_code",
            "received_at",
            "escalate_at",
            "escalated_at",
            "collected_at",
            "collected_by_name",
            "pickup_method",
            "undeliverable_reason",
            "return_due_at",
            "returned_at",
            "postal_worker",
        ]


class StorageSerializer(serializers.ModelSerializer[StorageItem]):
    class Meta:
        model = StorageItem
        fields = [
            "id",
            "community",
            "house",
            "customer",
            "owner_name",
            "description",
            "label_number",
            "status",
            "deposited_at",
            "collected_at",
            "collected_by_name",
        ]


class RefusalSerializer(serializers.ModelSerializer[DeskRefusal]):
    class Meta:
        model = DeskRefusal
        fields = [
            "id",
            "community",
            "kind",
            "house",
            "customer",
            "person_name",
            "description",
            "reason",
            "at",
        ]


class PassSerializer(serializers.ModelSerializer[ReleasePass]):
    house_label = serializers.CharField(source="house.label", read_only=True)
    allowed_actions = serializers.SerializerMethodField()

    class Meta:
        model = ReleasePass
        fields = [
            "id",
            "community",
            "number",
            "house",
            "house_label",
            "applicant",
            "applicant_name",
            "owner_consent_note",
            "items",
            "reason",
            "valid_on",
            "status",
            "warnings",
            "applied_at",
            "decided_at",
            "decided_by",
            "decision_note",
            "used_at",
            "used_by",
            "gate",
            "allowed_actions",
        ]

    def get_allowed_actions(self, obj: ReleasePass) -> list[str]:
        return allowed_actions("pass", obj.status)


class HandoverSerializer(serializers.ModelSerializer[Handover]):
    class Meta:
        model = Handover
        fields = [
            "id",
            "community",
            "outgoing",
            "incoming",
            "created_at",
            "confirmed_at",
            "snapshot",
            "notes",
        ]


def _created(data: Any) -> Response:
    return Response(data, status=status.HTTP_201_CREATED)


COMMUNITY = OpenApiParameter("community", int, description="community id")


class KeyViewSet(mixins.ListModelMixin, DeskViewSet):
    """Keys in the cabinet (R-KEY-1..5): deposit, lend, take back, consent, approve, release."""

    serializer_class = KeySerializer

    def get_queryset(self) -> Any:
        p = self.request.query_params
        return selectors.keys_visible_to(
            self.request.user,
            community_id=_int_param(p, "community"),
            status=p.get("status") or None,
            query=p.get("q") or None,
            include_released=p.get("status") == "released",
        )

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(KeySerializer(selectors.key_get_for_user(request.user, pk)).data)

    @extend_schema(request=None, responses=KeySerializer)
    def create(self, request: Request) -> Response:
        d = request.data
        key = services.key_deposit(
            actor=request.user,
            house_id=_required_int(d, "house"),
            **_pick(
                services.key_deposit,
                d,
                "kind",
                "depositor_name",
                "identity_method",
                "condition",
                "tag_number",
                "cabinet_slot",
                "customer_id",
                "identity_note",
                "copies",
                "signature",
                "paper_form_number",
                "note",
            ),
        )
        return _created(KeySerializer(key).data)

    @extend_schema(request=None, responses=KeyLendSerializer)
    @action(detail=True, methods=["post"])
    def lend(self, request: Request, pk: str) -> Response:
        lend = services.key_lend(
            actor=request.user,
            key_id=pk,
            **_pick(
                services.key_lend,
                request.data,
                "borrower_kind",
                "borrower_name",
                "borrower_phone",
                "purpose",
                "promised_back_at",
            ),
        )
        return _created(KeyLendSerializer(lend).data)

    @extend_schema(request=None, responses=KeyLendSerializer)
    @action(detail=True, methods=["post"], url_path="take-back")
    def take_back(self, request: Request, pk: str) -> Response:
        lend = services.key_take_back(
            actor=request.user,
            key_id=pk,
            **_pick(services.key_take_back, request.data, "back_at", "note"),
        )
        return Response(KeyLendSerializer(lend).data)

    @extend_schema(request=None, responses=None)
    @action(detail=True, methods=["post"])
    def consent(self, request: Request, pk: str) -> Response:
        consent = services.key_consent_record(
            actor=request.user,
            key_id=pk,
            **_pick(
                services.key_consent_record,
                request.data,
                "method",
                "given_by",
                "given_at",
                "purpose",
            ),
        )
        return _created({"id": consent.pk, "key": consent.key_id})

    @extend_schema(request=None, responses=None)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        approval = services.key_approval_grant(
            actor=request.user,
            key_id=pk,
            **_pick(services.key_approval_grant, request.data, "until", "reason"),
        )
        return _created({"id": approval.pk, "key": approval.key_id, "until": approval.until})

    @extend_schema(request=None, responses=KeySerializer)
    @action(detail=True, methods=["post"])
    def release(self, request: Request, pk: str) -> Response:
        key = services.key_release(
            actor=request.user,
            key_id=pk,
            **_pick(
                services.key_release,
                request.data,
                "receiver_name",
                "signature",
                "paper_form_number",
                "note",
            ),
        )
        return Response(KeySerializer(key).data)

    @extend_schema(responses=EventSerializer(many=True))
    @action(detail=True, methods=["get"])
    def events(self, request: Request, pk: str) -> Response:
        key = selectors.key_get_for_user(request.user, pk)
        return Response(EventSerializer(selectors.events_of("key", key.pk), many=True).data)

    @extend_schema(responses=KeyLendSerializer(many=True), parameters=[COMMUNITY])
    @action(detail=False, methods=["get"])
    def out(self, request: Request) -> Response:
        lends = selectors.lends_open(
            request.user, community_id=_int_param(request.query_params, "community")
        )
        return Response(KeyLendSerializer(lends, many=True).data)


class KeyAuditViewSet(mixins.ListModelMixin, DeskViewSet):
    """Cabinet audits (R-KEY-5): `results` maps key id → {result, found_slot, note}."""

    serializer_class = KeyAuditSerializer

    def get_queryset(self) -> Any:
        return selectors.key_audits(
            self.request.user, community_id=_int_param(self.request.query_params, "community")
        )

    @extend_schema(request=None, responses=KeyAuditSerializer)
    def create(self, request: Request) -> Response:
        results = request.data.get("results")
        if not isinstance(results, dict):
            raise Invalid.field("results", "Give an object: key id → {result, found_slot, note}.")
        audit = services.key_audit_record(
            actor=request.user,
            community_id=_required_int(request.data, "community"),
            results=results,
            note=str(request.data.get("note", "")),
        )
        return _created(KeyAuditSerializer(audit).data)


class ParcelViewSet(mixins.ListModelMixin, DeskViewSet):
    """The mail register (R-PCL-1..3): receive, pick up, undeliverable, return to the post."""

    serializer_class = ParcelSerializer

    def get_queryset(self) -> Any:
        p = self.request.query_params
        return selectors.parcels_visible_to(
            self.request.user,
            community_id=_int_param(p, "community"),
            status=p.get("status") or None,
            query=p.get("q") or None,
        )

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(ParcelSerializer(selectors.parcel_get_for_user(request.user, pk)).data)

    @extend_schema(request=None, responses=ParcelSerializer)
    def create(self, request: Request) -> Response:
        d = request.data
        parcel = services.parcel_receive(
            actor=request.user,
            house_id=_required_int(d, "house"),
            perishable=_flag(d.get("perishable")),
            photo=request.FILES.get("photo"),
            **_pick(
                services.parcel_receive,
                d,
                "tracking_number",
                "carrier",
                "customer_id",
                "kind",
                "size",
                "shelf",
            ),
        )
        return _created(ParcelSerializer(parcel).data)

    @extend_schema(request=None, responses=ParcelSerializer)
    @action(detail=True, methods=["post"])
    def pickup(self, request: Request, pk: str) -> Response:
        parcel = services.parcel_pickup(
            actor=request.user,
            parcel_id=pk,
            **_pick(
                services.parcel_pickup,
                request.data,
                "method",
                "code",
                "collector_name",
                "identity_note",
                "signature",
                "paper_form_number",
            ),
        )
        return Response(ParcelSerializer(parcel).data)

    @extend_schema(request=None, responses=ParcelSerializer)
    @action(detail=False, methods=["post"], url_path="pickup-by-code")
    def pickup_by_code(self, request: Request) -> Response:
        parcel = services.parcel_pickup(
            actor=request.user,
            community_id=_required_int(request.data, "community"),
            **_pick(
                services.parcel_pickup,
                request.data,
                "method",
                "code",
                "collector_name",
                "identity_note",
                "signature",
                "paper_form_number",
            ),
        )
        return Response(ParcelSerializer(parcel).data)

    @extend_schema(request=None, responses=ParcelSerializer)
    @action(detail=True, methods=["post"])
    def undeliverable(self, request: Request, pk: str) -> Response:
        parcel = services.parcel_mark_undeliverable(
            actor=request.user, parcel_id=pk, reason=str(request.data.get("reason", ""))
        )
        return Response(ParcelSerializer(parcel).data)

    @extend_schema(responses=ParcelSerializer(many=True), parameters=[COMMUNITY])
    @action(detail=False, methods=["get"], url_path="to-return")
    def to_return(self, request: Request) -> Response:
        """The daily list of undeliverable mail due back at the post office (R-PCL-3)."""
        rows = selectors.mail_return_list(
            request.user, community_id=_required_int(request.query_params, "community")
        )
        return Response(ParcelSerializer(rows, many=True).data)

    @extend_schema(request=None, responses=ParcelSerializer(many=True))
    @action(detail=False, methods=["post"], url_path="return-to-post")
    def return_to_post(self, request: Request) -> Response:
        ids = request.data.get("parcel_ids")
        parcels = services.parcel_return_to_post(
            actor=request.user,
            community_id=_required_int(request.data, "community"),
            parcel_ids=ids if isinstance(ids, list) else [],
            **_pick(
                services.parcel_return_to_post,
                request.data,
                "postal_worker",
                "postal_receipt_number",
            ),
        )
        return Response(ParcelSerializer(parcels, many=True).data)

    @extend_schema(request=None, responses=None)
    @action(detail=False, methods=["post"])
    def consent(self, request: Request) -> Response:
        """Record a customer's consent (or refusal) to the desk receiving parcels (R-PCL-1)."""
        consent = services.parcel_consent_set(
            actor=request.user,
            customer_id=_required_int(request.data, "customer_id"),
            granted=_flag(request.data.get("granted", True)),
            **_pick(services.parcel_consent_set, request.data, "method", "note"),
        )
        return Response({"customer": consent.customer_id, "granted": consent.granted})


class StorageViewSet(mixins.ListModelMixin, DeskViewSet):
    """Temporary storage (R-STO-1): take in, collect, follow up; `?held=1` is the end-of-day list."""

    serializer_class = StorageSerializer

    def get_queryset(self) -> Any:
        p = self.request.query_params
        return selectors.storage_visible_to(
            self.request.user,
            community_id=_int_param(p, "community"),
            status="held" if p.get("held") else (p.get("status") or None),
        )

    @extend_schema(request=None, responses=StorageSerializer)
    def create(self, request: Request) -> Response:
        d = request.data
        item = services.storage_deposit(
            actor=request.user,
            community_id=_required_int(d, "community"),
            valuable=_flag(d.get("valuable")),
            **_pick(
                services.storage_deposit,
                d,
                "owner_name",
                "description",
                "label_number",
                "owner_phone",
                "customer_id",
                "house_id",
            ),
        )
        return _created(StorageSerializer(item).data)

    @extend_schema(request=None, responses=StorageSerializer)
    @action(detail=True, methods=["post"])
    def collect(self, request: Request, pk: str) -> Response:
        item = services.storage_collect(
            actor=request.user,
            item_id=pk,
            collected_by_name=str(request.data.get("collected_by_name", "")),
        )
        return Response(StorageSerializer(item).data)

    @extend_schema(request=None, responses=None)
    @action(detail=True, methods=["post"], url_path="follow-up")
    def follow_up(self, request: Request, pk: str) -> Response:
        follow = services.storage_follow_up(
            actor=request.user,
            item_id=pk,
            **_pick(services.storage_follow_up, request.data, "method", "outcome"),
        )
        return _created({"id": follow.pk, "item": follow.item_id})


class RefusalViewSet(mixins.ListModelMixin, DeskViewSet):
    """What the desk declined to hold (valuables) and why."""

    serializer_class = RefusalSerializer

    def get_queryset(self) -> Any:
        return selectors.refusals_visible_to(
            self.request.user, community_id=_int_param(self.request.query_params, "community")
        )

    @extend_schema(request=None, responses=RefusalSerializer)
    def create(self, request: Request) -> Response:
        d = request.data
        refusal = services.refusal_record(
            actor=request.user,
            community_id=_required_int(d, "community"),
            **_pick(
                services.refusal_record,
                d,
                "kind",
                "person_name",
                "description",
                "reason",
                "house_id",
                "customer_id",
            ),
        )
        return _created(RefusalSerializer(refusal).data)


class ReleasePassViewSet(mixins.ListModelMixin, DeskViewSet):
    """Release passes (R-REL-1): apply, approve/reject, cancel, PDF, gate check and use."""

    serializer_class = PassSerializer

    def get_queryset(self) -> Any:
        p = self.request.query_params
        return selectors.passes_visible_to(
            self.request.user,
            community_id=_int_param(p, "community"),
            status=p.get("status") or None,
            query=p.get("q") or None,
        )

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(PassSerializer(selectors.pass_get_for_user(request.user, pk)).data)

    @extend_schema(request=None, responses=PassSerializer)
    def create(self, request: Request) -> Response:
        d = request.data
        release = services.pass_apply(
            actor=request.user,
            house_id=_required_int(d, "house"),
            **_pick(
                services.pass_apply,
                d,
                "applicant_name",
                "items",
                "reason",
                "valid_on",
                "applicant_customer_id",
                "applicant_phone",
                "owner_consent_note",
            ),
        )
        return _created(PassSerializer(release).data)

    @extend_schema(request=None, responses=PassSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        release = services.pass_decide(
            actor=request.user, pass_id=pk, approve=True, note=str(request.data.get("note", ""))
        )
        return Response(PassSerializer(release).data)

    @extend_schema(request=None, responses=PassSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str) -> Response:
        release = services.pass_decide(
            actor=request.user, pass_id=pk, approve=False, note=str(request.data.get("note", ""))
        )
        return Response(PassSerializer(release).data)

    @extend_schema(request=None, responses=PassSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        release = services.pass_cancel(
            actor=request.user, pass_id=pk, note=str(request.data.get("note", ""))
        )
        return Response(PassSerializer(release).data)

    @extend_schema(responses={(200, "application/pdf"): bytes})
    @action(detail=True, methods=["get"])
    def pdf(self, request: Request, pk: str) -> HttpResponse:
        release = selectors.pass_get_for_user(request.user, pk)
        if not release.number:
            from propdesk.core.errors import Conflict

            raise Conflict("The pass has no number until it is approved.")
        return HttpResponse(pdf.pass_pdf(release), content_type="application/pdf")

    @extend_schema(
        parameters=[COMMUNITY, OpenApiParameter("number", str)],
        responses=None,
    )
    @action(detail=False, methods=["get"])
    def check(self, request: Request) -> Response:
        """The gate's read-only check: valid / used / expired / not_yet / not_approved / unknown."""
        verdict = selectors.pass_verdict(
            request.user,
            community_id=_required_int(request.query_params, "community"),
            number=request.query_params.get("number", ""),
        )
        return Response(
            {
                "code": verdict.code,
                "message": verdict.message,
                "pass": PassSerializer(verdict.release).data if verdict.release else None,
            }
        )

    @extend_schema(request=None, responses=PassSerializer)
    @action(detail=False, methods=["post"])
    def use(self, request: Request) -> Response:
        """Let the goods out: one use only; a second gate gets 409 with code `used`."""
        release = services.pass_use(
            actor=request.user,
            community_id=_required_int(request.data, "community"),
            number=str(request.data.get("number", "")),
            gate=str(request.data.get("gate", "")),
        )
        return Response(PassSerializer(release).data)


class HandoverViewSet(mixins.ListModelMixin, DeskViewSet):
    """Shift handovers (R-PCL-4); `now` is what the desk holds at this moment."""

    serializer_class = HandoverSerializer

    def get_queryset(self) -> Any:
        p = self.request.query_params
        return selectors.handovers_visible_to(
            self.request.user, community_id=_int_param(p, "community"), query=p.get("q") or None
        )

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(HandoverSerializer(selectors.handover_get_for_user(request.user, pk)).data)

    @extend_schema(request=None, responses=HandoverSerializer)
    def create(self, request: Request) -> Response:
        handover = services.handover_create(
            actor=request.user,
            community_id=_required_int(request.data, "community"),
            notes=str(request.data.get("notes", "")),
        )
        return _created(HandoverSerializer(handover).data)

    @extend_schema(request=None, responses=HandoverSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str) -> Response:
        handover = services.handover_confirm(
            actor=request.user, handover_id=pk, signature=str(request.data.get("signature", ""))
        )
        return Response(HandoverSerializer(handover).data)

    @extend_schema(parameters=[COMMUNITY], responses=None)
    @action(detail=False, methods=["get"])
    def now(self, request: Request) -> Response:
        from propdesk.estates.selectors import community_get_for_user

        community = community_get_for_user(
            request.user, _required_int(request.query_params, "community")
        )
        return Response(selectors.desk_snapshot(community))


router = DefaultRouter()
router.include_root_view = False
router.register("keys", KeyViewSet, basename="fd-key")
router.register("key-audits", KeyAuditViewSet, basename="fd-key-audit")
router.register("parcels", ParcelViewSet, basename="fd-parcel")
router.register("storage", StorageViewSet, basename="fd-storage")
router.register("refusals", RefusalViewSet, basename="fd-refusal")
router.register("release-passes", ReleasePassViewSet, basename="fd-pass")
router.register("handovers", HandoverViewSet, basename="fd-handover")

urlpatterns = [path("", include(router.urls))]
