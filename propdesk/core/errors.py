"""Domain errors: what services raise and every interface translates.

A service refuses bad input by raising one of these *before* it writes, inside
its transaction, so a refused operation leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.functional import Promise


class DomainError(Exception):
    """Base of every refusal a service makes."""

    code = "error"

    def __init__(
        self,
        message: str | Promise,
        *,
        code: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(str(message))
        self.message = message
        # Machine-readable facts for clients, e.g. {"allowed": ["dispatch", "cancel"]}.
        self.details = dict(details or {})
        if code:
            self.code = code


class Invalid(DomainError):
    """Input failed validation; `errors` maps each field to its reasons."""

    code = "invalid"

    def __init__(
        self,
        errors: Mapping[str, str | Promise | Iterable[str | Promise]],
        *,
        code: str | None = None,
    ) -> None:
        normalised: dict[str, list[str | Promise]] = {}
        for field, reasons in errors.items():
            if isinstance(reasons, str | Promise):
                normalised[field] = [reasons]
            else:
                normalised[field] = list(reasons)
        self.errors = normalised
        first = next(iter(normalised.values()), ["invalid"])[0]
        super().__init__(first, code=code)

    @classmethod
    def field(cls, field: str, message: str | Promise, *, code: str | None = None) -> Invalid:
        return cls({field: message}, code=code)

    def as_list(self) -> list[dict[str, Any]]:
        return [
            {"field": field, "code": self.code, "message": str(message)}
            for field, messages in self.errors.items()
            for message in messages
        ]


class NotFound(DomainError):
    """The object does not exist *for this actor* (scoping hides it)."""

    code = "not_found"


class Forbidden(DomainError):
    """The actor may see the object but lacks the permission for this action."""

    code = "permission_denied"


class Conflict(DomainError):
    """The object's state does not allow the action, or another actor won a race."""

    code = "conflict"


class ErrorCollector:
    """Collects field errors during validation so all are reported at once."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str | Promise]] = {}

    def add(self, field: str, message: str | Promise) -> None:
        self.errors.setdefault(field, []).append(message)

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_if_any(self) -> None:
        if self.errors:
            raise Invalid(self.errors)
