"""Deterministic samples of the generated dataset for the scenarios' inputs."""

from __future__ import annotations

from typing import Any


def customer_ids(ctx: Any, name: str, n: int = 200) -> list[int]:
    """`n` customer ids spread over the whole dataset (ids are 1..customers)."""
    rng = ctx.rng(name)
    total = ctx.params.customers
    return [rng.randint(1, total) for _ in range(min(n, total))]


def vehicle_ids(ctx: Any, name: str, n: int = 200) -> list[int]:
    from propdesk.customers.models import Vehicle

    top = Vehicle.objects.order_by("-id").values_list("id", flat=True).first() or 0
    rng = ctx.rng(name)
    return [rng.randint(1, top) for _ in range(min(n, top))]
