"""Audit trail helpers: snapshot before, compare after, write one event row."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils import timezone

from .models import AuditAction, AuditEvent


def _jsonable(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, dt.datetime | dt.date | Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """Field values of `instance` as JSON-able data (FKs by id)."""
    data: dict[str, Any] = {}
    for name in fields:
        field = instance._meta.get_field(name)
        attname = getattr(field, "attname", name)
        data[name] = _jsonable(getattr(instance, attname))
    return data


def _object_type(instance: models.Model) -> str:
    return f"{instance._meta.app_label}.{instance._meta.model_name}"


def audit_record(
    *,
    actor: Any,
    instance: models.Model,
    action: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    community_id: int | None = None,
    note: str = "",
    at: dt.datetime | None = None,
) -> AuditEvent | None:
    """Append an audit event; for updates, only fields whose value changed are kept.

    Returns None (and writes nothing) for an update that changed nothing.
    """
    before = before or {}
    after = after or {}
    if action == AuditAction.UPDATE:
        changes = {k: [before.get(k), after.get(k)] for k in after if before.get(k) != after.get(k)}
        if not changes:
            return None
    elif action == AuditAction.CREATE:
        changes = {k: [None, v] for k, v in after.items()}
    else:
        changes = {k: [v, None] for k, v in before.items()}
    user = actor if getattr(actor, "pk", None) else None
    return AuditEvent.objects.create(
        at=at or timezone.now(),
        actor=user,
        actor_label=(user.get_full_name() or user.get_username()) if user else "system",
        community_id=community_id,
        object_type=_object_type(instance),
        object_id=str(instance.pk),
        object_label=str(instance)[:200],
        action=action,
        changes=changes,
        note=note[:500],
    )


def audit_trail(instance: models.Model, *, limit: int = 100) -> list[AuditEvent]:
    """The latest audit events of one object, newest first."""
    return list(
        AuditEvent.objects.filter(object_type=_object_type(instance), object_id=str(instance.pk))
        .select_related("actor")
        .order_by("-at", "-id")[:limit]
    )
