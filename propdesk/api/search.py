"""GET /api/search/?q=…&community=… — the front desk's one-box search."""

from __future__ import annotations

import dataclasses

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from propdesk.accounts.roles import Cap
from propdesk.accounts.selectors import require
from propdesk.customers.search import quick_search

from .foundation import _int_param
from .permissions import IsStaff


class SearchView(APIView):
    permission_classes = [IsStaff]

    @extend_schema(
        parameters=[OpenApiParameter("q", str), OpenApiParameter("community", int)],
        responses=None,
    )
    def get(self, request: Request) -> Response:
        require(request.user, Cap.CUSTOMERS_VIEW)
        hits = quick_search(
            request.user,
            request.query_params.get("q", ""),
            community_id=_int_param(request.query_params, "community"),
        )
        return Response({"results": [dataclasses.asdict(h) for h in hits]})
