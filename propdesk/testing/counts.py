"""`row_counts()` – how many rows the foundation tables hold, to show a refusal wrote nothing."""

from __future__ import annotations

from django.apps import apps

FOUNDATION_MODELS = (
    "core.AuditEvent",
    "core.PiiAccess",
    "accounts.User",
    "accounts.StaffScope",
    "estates.Community",
    "estates.Building",
    "estates.House",
    "estates.Meter",
    "estates.MeterReading",
    "customers.Customer",
    "customers.Occupancy",
    "customers.ContactPoint",
    "customers.CustomerTag",
    "customers.Vehicle",
    "customers.Note",
    "customers.Document",
    "customers.TimelineEntry",
)


def row_counts(*labels: str) -> dict[str, int]:
    """Row count per model label (all foundation models when none are named)."""
    return {label: apps.get_model(label).objects.count() for label in (labels or FOUNDATION_MODELS)}
