"""API of the foundation domains: estates and customers.

Querysets come only from the scoped selectors; writes call the services. A
staff member of another community gets 404, a missing capability 403.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from propdesk.accounts.selectors import communities_visible_to
from propdesk.customers.models import Customer, Occupancy
from propdesk.customers.selectors import (
    customer_get_for_user,
    customers_visible_to,
    occupancies_visible_to,
)
from propdesk.customers.services import customer_create, customer_reveal_pii, occupancy_add
from propdesk.estates.models import Building, Community, House
from propdesk.estates.selectors import (
    building_get_for_user,
    buildings_visible_to,
    house_get_for_user,
    houses_visible_to,
)
from propdesk.estates.services import house_create

from .permissions import IsStaff


class CommunitySerializer(serializers.ModelSerializer[Community]):
    class Meta:
        model = Community
        fields = ["id", "code", "name", "address", "time_zone"]


class BuildingSerializer(serializers.ModelSerializer[Building]):
    class Meta:
        model = Building
        fields = ["id", "community", "code", "name", "floors", "basement_floors", "units"]


class HouseSerializer(serializers.ModelSerializer[House]):
    class Meta:
        model = House
        fields = [
            "id",
            "community",
            "building",
            "unit",
            "room",
            "label",
            "floor",
            "area",
            "kind",
            "status",
            "handover_date",
        ]
        read_only_fields = ["community", "label"]


class HouseCreateSerializer(serializers.Serializer[Any]):
    building = serializers.IntegerField()
    unit = serializers.CharField(required=False, allow_blank=True, default="")
    room = serializers.CharField()
    floor = serializers.CharField()
    area = serializers.CharField()
    kind = serializers.CharField(required=False, default="residence")
    status = serializers.CharField(required=False, default="unsold")


class CustomerSerializer(serializers.ModelSerializer[Customer]):
    """Personal data only masked; the full value needs the reveal action."""

    class Meta:
        model = Customer
        fields = [
            "id",
            "community",
            "kind",
            "name",
            "gender",
            "id_type",
            "id_number_masked",
            "phone_masked",
            "email",
        ]


class CustomerCreateSerializer(serializers.Serializer[Any]):
    community = serializers.IntegerField()
    name = serializers.CharField(allow_blank=True)
    kind = serializers.CharField(required=False, default="person")
    phone = serializers.CharField(required=False, allow_blank=True, default="")
    id_type = serializers.CharField(required=False, allow_blank=True, default="")
    id_number = serializers.CharField(required=False, allow_blank=True, default="")
    email = serializers.CharField(required=False, allow_blank=True, default="")


class RevealSerializer(serializers.Serializer[Any]):
    field = serializers.ChoiceField(choices=["id_number", "phone"])


class OccupancySerializer(serializers.ModelSerializer[Occupancy]):
    class Meta:
        model = Occupancy
        fields = [
            "id",
            "community",
            "house",
            "customer",
            "role",
            "start_date",
            "end_date",
            "is_primary_contact",
        ]
        read_only_fields = ["community"]


def _int_param(params: Any, name: str) -> int | None:
    """A numeric filter from the query string; anything else means "no filter"."""
    raw = params.get(name, "")
    return int(raw) if raw.isdigit() else None


def _required_int(data: Any, name: str) -> int:
    """An id from the request body; anything else is a 400 naming the field, not a 500."""
    from propdesk.core.errors import Invalid

    raw = str(data.get(name, "")).strip()
    if not raw.isdigit():
        raise Invalid.field(name, "Enter a whole number.")
    return int(raw)


class StaffViewSet(viewsets.GenericViewSet[Any]):
    permission_classes = [IsStaff]


class CommunityViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, StaffViewSet):
    serializer_class = CommunitySerializer

    def get_queryset(self) -> Any:
        return communities_visible_to(self.request.user)


class BuildingViewSet(mixins.ListModelMixin, StaffViewSet):
    serializer_class = BuildingSerializer

    def get_queryset(self) -> Any:
        return buildings_visible_to(self.request.user)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(BuildingSerializer(building_get_for_user(request.user, pk)).data)


class HouseViewSet(mixins.ListModelMixin, StaffViewSet):
    serializer_class = HouseSerializer

    def get_queryset(self) -> Any:
        p = self.request.query_params
        return houses_visible_to(
            self.request.user,
            community_id=_int_param(p, "community"),
            building_id=_int_param(p, "building"),
            status=p.get("status") or None,
            query=p.get("label") or None,
        )

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(HouseSerializer(house_get_for_user(request.user, pk)).data)

    @extend_schema(request=HouseCreateSerializer, responses=HouseSerializer)
    def create(self, request: Request) -> Response:
        data = HouseCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        house = house_create(
            actor=request.user,
            building_id=v["building"],
            unit=v["unit"],
            room=v["room"],
            floor=v["floor"],
            area=v["area"],
            kind=v["kind"],
            status=v["status"],
        )
        return Response(HouseSerializer(house).data, status=201)


class CustomerViewSet(mixins.ListModelMixin, StaffViewSet):
    serializer_class = CustomerSerializer

    def get_queryset(self) -> Any:
        p = self.request.query_params
        return customers_visible_to(
            self.request.user,
            community_id=_int_param(p, "community"),
            query=p.get("q") or None,
        )

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(CustomerSerializer(customer_get_for_user(request.user, pk)).data)

    @extend_schema(request=CustomerCreateSerializer, responses=CustomerSerializer)
    def create(self, request: Request) -> Response:
        data = CustomerCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        customer = customer_create(
            actor=request.user,
            community_id=v["community"],
            name=v["name"],
            kind=v["kind"],
            phone=v["phone"],
            id_type=v["id_type"],
            id_number=v["id_number"],
            email=v["email"],
        )
        return Response(CustomerSerializer(customer).data, status=201)

    @extend_schema(
        request=RevealSerializer,
        responses=inline_serializer(
            "Revealed", {"field": serializers.CharField(), "value": serializers.CharField()}
        ),
    )
    @action(detail=True, methods=["post"])
    def reveal(self, request: Request, pk: str) -> Response:
        """The full value of one protected field (R-CUS-3); every call is logged."""
        data = RevealSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        field = data.validated_data["field"]
        value = customer_reveal_pii(
            actor=request.user, customer_id=int(pk), field=field, channel="api"
        )
        return Response({"field": field, "value": value})


class OccupancyViewSet(mixins.ListModelMixin, StaffViewSet):
    serializer_class = OccupancySerializer

    def get_queryset(self) -> Any:
        p = self.request.query_params
        return occupancies_visible_to(
            self.request.user,
            house_id=_int_param(p, "house"),
            customer_id=_int_param(p, "customer"),
        )

    @extend_schema(request=OccupancySerializer, responses=OccupancySerializer)
    def create(self, request: Request) -> Response:
        raw = request.data
        occupancy = occupancy_add(
            actor=request.user,
            customer_id=_required_int(raw, "customer"),
            house_id=_required_int(raw, "house"),
            role=str(raw.get("role", "")),
            start_date=str(raw.get("start_date", "")),
            end_date=raw.get("end_date") or None,
            is_primary_contact=bool(raw.get("is_primary_contact")),
        )
        return Response(OccupancySerializer(occupancy).data, status=201)


class StaffTokenView(ObtainAuthToken):
    """Exchange a staff user name and password for an API token."""

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.serializer_class(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        if getattr(user, "kind", None) != "staff":
            return Response(
                {
                    "errors": [
                        {"field": None, "code": "permission_denied", "message": "Staff only."}
                    ]
                },
                status=403,
            )
        from rest_framework.authtoken.models import Token

        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})
