"""Read-only API of the notification outbox (staff with notify.view, own communities)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from propdesk.notify.masking import mask_address
from propdesk.notify.models import Channel, OutboxMessage, OutboxState
from propdesk.notify.selectors import outbox_get_for_user, outbox_visible_to

from .permissions import IsStaff


class OutboxMessageSerializer(serializers.ModelSerializer[OutboxMessage]):
    """The address only masked (R-CUS-3); the body as it was or would be sent."""

    to = serializers.SerializerMethodField()

    class Meta:
        model = OutboxMessage
        fields = [
            "id",
            "community",
            "channel",
            "to",
            "customer",
            "staff_user",
            "subject",
            "body",
            "ref_type",
            "ref_id",
            "state",
            "attempts",
            "next_attempt_at",
            "last_error",
            "backend",
            "sent_at",
            "provider_message_id",
            "created_at",
        ]
        read_only_fields = fields

    def get_to(self, obj: OutboxMessage) -> str:
        return obj.delivered_to or mask_address(obj.to)


def _int_param(params: Any, name: str) -> int | None:
    raw = params.get(name, "")
    return int(raw) if raw.isdigit() else None


@extend_schema_view(
    retrieve=extend_schema(parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH)])
)
class OutboxViewSet(mixins.ListModelMixin, viewsets.GenericViewSet[Any]):
    """Filters: `community`, `state`, `channel`, `q` (subject, reference or customer)."""

    permission_classes = [IsStaff]
    serializer_class = OutboxMessageSerializer

    def get_queryset(self) -> Any:
        p = self.request.query_params
        state = p.get("state", "")
        channel = p.get("channel", "")
        return outbox_visible_to(
            self.request.user,
            community_id=_int_param(p, "community"),
            state=state if state in OutboxState.values else None,
            channel=channel if channel in Channel.values else None,
            query=p.get("q") or None,
        )

    def retrieve(self, request: Request, pk: str) -> Response:
        if not str(pk).isdigit():
            from propdesk.core.errors import NotFound

            raise NotFound("Message not found.")
        return Response(OutboxMessageSerializer(outbox_get_for_user(request.user, int(pk))).data)
