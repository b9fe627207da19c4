"""API of the service desk: cases, their actions, events, return visits, attachments.

Reads come from the scoped selectors; every action calls the service named in
`servicedesk.actions.ACTIONS` — the same table the console's forms use. A
transition the state table does not allow answers 409 with the allowed actions.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response

from propdesk.core.errors import Invalid
from propdesk.servicedesk import services
from propdesk.servicedesk.actions import ACTIONS, run_action
from propdesk.servicedesk.models import Case, CaseEvent, ReturnVisit
from propdesk.servicedesk.selectors import (
    QUEUES,
    QueueFilters,
    allowed_transitions,
    case_events,
    case_get_for_user,
    case_queue,
    case_return_visits,
    return_visits_due,
)

from .cached import CachedModelSerializer
from .foundation import StaffViewSet, _int_param


class NoCountPagination(BasePagination):
    """limit/offset without COUNT(*): a queue over ten million cases stays one indexed read."""

    default_limit = 50
    max_limit = 200

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> list[Any]:
        limit = _int_param(request.query_params, "limit") or self.default_limit
        self.limit = min(limit, self.max_limit)
        self.offset = _int_param(request.query_params, "offset") or 0
        rows = list(queryset[self.offset : self.offset + self.limit + 1])
        self.has_next = len(rows) > self.limit
        return rows[: self.limit]

    def get_paginated_response(self, data: Any) -> Response:
        return Response(
            {
                "limit": self.limit,
                "offset": self.offset,
                "next_offset": self.offset + self.limit if self.has_next else None,
                "results": data,
            }
        )


class CaseListSerializer(CachedModelSerializer):
    place = serializers.CharField(source="place_label", read_only=True)
    category_name = serializers.CharField(source="category.name", default="", read_only=True)
    assignee_name = serializers.CharField(source="assignee.__str__", default="", read_only=True)

    class Meta:
        model = Case
        fields = [
            "id",
            "number",
            "kind",
            "channel",
            "status",
            "priority",
            "severity",
            "title",
            "community",
            "house",
            "building",
            "place",
            "category",
            "category_name",
            "department",
            "assignee",
            "assignee_name",
            "received_at",
            "due_at",
            "appointment_start",
            "appointment_end",
            "billing_basis",
        ]


class CaseEventSerializer(serializers.ModelSerializer[CaseEvent]):
    actor_name = serializers.CharField(source="actor.__str__", default="", read_only=True)

    class Meta:
        model = CaseEvent
        fields = [
            "id",
            "at",
            "actor",
            "actor_name",
            "action",
            "from_status",
            "to_status",
            "note",
            "is_public",
            "data",
        ]


class ReturnVisitSerializer(serializers.ModelSerializer[ReturnVisit]):
    case_number = serializers.CharField(source="case.number", read_only=True)

    class Meta:
        model = ReturnVisit
        fields = [
            "id",
            "case",
            "case_number",
            "created_at",
            "not_before",
            "due_at",
            "rule",
            "method",
            "result",
            "rating",
            "comment",
            "visited_by",
            "visited_at",
        ]


class CaseDetailSerializer(CaseListSerializer):
    class Meta(CaseListSerializer.Meta):
        fields = [
            *CaseListSerializer.Meta.fields,
            "description",
            "customer",
            "reporter_name",
            "reporter_phone_masked",
            "location",
            "complained_party",
            "requested_by",
            "service_item",
            "agreed_price",
            "immediate_action",
            "work_done",
            "labour_minutes",
            "leak_test_at",
            "signoff_kind",
            "signoff_form_number",
            "signed_at",
            "judgement",
            "responsibility",
            "cause_factors",
            "cause_analysis",
            "remedy",
            "result",
            "result_told_at",
            "result_told_way",
            "forwarded_at",
            "dispatched_at",
            "started_at",
            "completed_at",
            "closed_at",
            "first_answer_at",
            "rework_count",
        ]


CREATE_FIELDS = (
    "community",
    "kind",
    "channel",
    "description",
    "title",
    "house",
    "building",
    "location",
    "customer",
    "reporter_name",
    "reporter_phone",
    "category",
    "severity",
    "priority",
    "requested_by",
    "appointment_start",
    "appointment_end",
    "complained_party",
    "service_item",
    "quantity",
    "immediate_action",
)
_ID_FIELDS = {"community", "house", "building", "customer", "category", "service_item"}


class CaseViewSet(mixins.ListModelMixin, StaffViewSet):
    serializer_class = CaseListSerializer
    pagination_class = NoCountPagination

    def get_queryset(self) -> Any:
        p = self.request.query_params
        queue = p.get("queue", "open")
        return case_queue(
            self.request.user,
            queue=queue if queue in QUEUES else "open",
            community_id=_int_param(p, "community"),
            filters=QueueFilters.from_params(p),
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("queue", str, enum=list(QUEUES)),
            OpenApiParameter("community", int),
            OpenApiParameter("kind", str),
            OpenApiParameter("status", str),
            OpenApiParameter("category", int),
            OpenApiParameter("building", int),
            OpenApiParameter("assignee", int),
            OpenApiParameter("received_from", str),
            OpenApiParameter("received_to", str),
            OpenApiParameter("q", str),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def _detail(self, case: Case) -> dict[str, Any]:
        data = CaseDetailSerializer.represent(case)
        data["allowed_actions"] = [t.action for t in allowed_transitions(self.request.user, case)]
        return data

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(self._detail(case_get_for_user(request.user, pk)))

    @extend_schema(request=None, responses=CaseDetailSerializer)
    def create(self, request: Request) -> Response:
        data = request.data
        kwargs = {
            (f"{name}_id" if name in _ID_FIELDS else name): data[name]
            for name in CREATE_FIELDS
            if name in data
        }
        if "community_id" not in kwargs:
            raise Invalid.field("community", "This field is required.")
        case = services.case_create(
            actor=request.user, **{"kind": "", "channel": "", "description": "", **kwargs}
        )
        # The service hands back the case with its related rows attached: no second read.
        return Response(self._detail(case), status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["get"])
    def events(self, request: Request, pk: str) -> Response:
        case = case_get_for_user(request.user, pk)
        return Response(CaseEventSerializer(case_events(case), many=True).data)

    @action(detail=True, methods=["get"], url_path="return-visits")
    def return_visits(self, request: Request, pk: str) -> Response:
        case = case_get_for_user(request.user, pk)
        return Response(ReturnVisitSerializer(case_return_visits(case), many=True).data)

    @action(detail=True, methods=["post"])
    def notes(self, request: Request, pk: str) -> Response:
        public = str(request.data.get("public", "")).lower() in {"1", "true", "yes", "on"}
        event = services.case_note_add(
            actor=request.user, case_id=pk, text=request.data.get("text", ""), public=public
        )
        return Response(CaseEventSerializer(event).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def attachments(self, request: Request, pk: str) -> Response:
        upload = request.FILES.get("file")
        if upload is None:
            raise Invalid.field("file", "Attach a file.")
        attachment = services.case_attachment_add(
            actor=request.user,
            case_id=pk,
            upload=upload,
            filename=upload.name or "file",
            kind=request.data.get("kind", "photo"),
        )
        return Response(
            {
                "id": attachment.pk,
                "kind": attachment.kind,
                "size": attachment.size,
                "content_type": attachment.content_type,
            },
            status=status.HTTP_201_CREATED,
        )

    def _act(self, request: Request, pk: str, name: str) -> Response:
        data = request.data
        getter = data.getlist if hasattr(data, "getlist") and name in ("resolve",) else None
        run_action(name, actor=request.user, case_id=pk, data=data, list_getter=getter)
        return Response(self._detail(case_get_for_user(request.user, pk)))


def _make_action(name: str) -> Any:
    def handler(self: CaseViewSet, request: Request, pk: str) -> Response:
        return self._act(request, pk, name)

    # Named act_<name>: "dispatch" would shadow APIView.dispatch.
    handler.__name__ = f"act_{name}"
    handler.__doc__ = (ACTIONS[name].service.__doc__ or "").strip().splitlines()[0]
    fields = {f: serializers.JSONField(required=False) for f in ACTIONS[name].fields}
    body = type(f"Case{name.title().replace('_', '')}Input", (serializers.Serializer,), fields)
    return extend_schema(request=body, responses=CaseDetailSerializer)(
        action(detail=True, methods=["post"], url_path=name.replace("_", "-"))(handler)
    )


for _name in ACTIONS:
    setattr(CaseViewSet, f"act_{_name}", _make_action(_name))


class ReturnVisitViewSet(mixins.ListModelMixin, StaffViewSet):
    """Open return-visit tasks, soonest due first."""

    serializer_class = ReturnVisitSerializer
    pagination_class = NoCountPagination

    def get_queryset(self) -> Any:
        return return_visits_due(
            self.request.user, community_id=_int_param(self.request.query_params, "community")
        )
