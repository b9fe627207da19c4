"""One error shape for the whole API: {"errors": [{"field", "code", "message"}]}."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from propdesk.core.errors import Conflict, DomainError, Forbidden, Invalid, NotFound


def _flatten(detail: Any, field: str | None = None) -> list[dict[str, Any]]:
    if isinstance(detail, dict):
        out: list[dict[str, Any]] = []
        for key, value in detail.items():
            name = key if field is None else f"{field}.{key}"
            out.extend(_flatten(value, None if key == "non_field_errors" else name))
        return out
    if isinstance(detail, list):
        return [item for value in detail for item in _flatten(value, field)]
    code = getattr(detail, "code", "error")
    return [{"field": field, "code": code, "message": str(detail)}]


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, Invalid):
        return Response({"errors": exc.as_list()}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, NotFound):
        exc = exceptions.NotFound(str(exc.message))
    elif isinstance(exc, Forbidden):
        exc = exceptions.PermissionDenied(str(exc.message))
    elif isinstance(exc, Conflict):
        item = {"field": None, "code": exc.code, "message": str(exc.message), **exc.details}
        return Response({"errors": [item]}, status=status.HTTP_409_CONFLICT)
    elif isinstance(exc, DomainError):
        return Response(
            {"errors": [{"field": None, "code": exc.code, "message": str(exc.message)}]},
            status=status.HTTP_400_BAD_REQUEST,
        )
    response = drf_exception_handler(exc, context)
    if response is not None:
        detail = response.data
        if isinstance(detail, dict) and set(detail) == {"detail"}:
            detail = exc.detail if isinstance(exc, exceptions.APIException) else detail["detail"]
        response.data = {"errors": _flatten(detail)}
    return response
