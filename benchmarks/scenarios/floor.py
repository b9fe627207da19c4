"""Floors: the cheapest request of each kind, so every figure reads as a ratio."""

from __future__ import annotations

from typing import Any

from benchmarks.harness import Context, scenario

from ._sample import customer_ids


@scenario(
    "floor.view",
    description="A bare Django view (same middleware, logged-in staff session) doing one "
    "primary-key SELECT on customers_customer, through the test client.",
    runs=500,
    small_runs=200,
)
def floor_view(ctx: Context) -> Any:
    client = ctx.client()
    ids = customer_ids(ctx, "floor.view")

    def call(i: int) -> None:
        response = client.get(f"/__bench__/floor/{ids[i % len(ids)]}/")
        if response.status_code != 200:
            raise AssertionError(f"floor view answered {response.status_code}")

    return call


@scenario(
    "floor.select",
    description="One primary-key SELECT on customers_customer through the ORM, "
    "called like quick_search (no HTTP).",
    runs=500,
    small_runs=200,
)
def floor_select(ctx: Context) -> Any:
    from propdesk.customers.models import Customer

    ids = customer_ids(ctx, "floor.select")

    def call(i: int) -> None:
        Customer.objects.filter(pk=ids[i % len(ids)]).values_list("name", flat=True).first()

    return call
