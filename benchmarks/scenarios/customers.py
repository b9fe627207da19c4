"""Console pages of customers, through the test client as the all-communities staff user."""

from __future__ import annotations

from typing import Any

from benchmarks.harness import Context, scenario

from ._sample import customer_ids


@scenario(
    "customer.page",
    description="GET /customers/<id>/ — the customer 360 page of a random customer.",
    runs=200,
    floor="floor.view",
)
def customer_page(ctx: Context) -> Any:
    client = ctx.client()
    ids = customer_ids(ctx, "customer.page")

    def call(i: int) -> None:
        response = client.get(f"/customers/{ids[i % len(ids)]}/")
        if response.status_code != 200:
            raise AssertionError(f"customer page answered {response.status_code}")

    return call


@scenario(
    "customer.list",
    description="GET /customers/?page=N — the customer list (50 rows) of the current "
    "community, pages 1-20.",
    runs=200,
    floor="floor.view",
)
def customer_list(ctx: Context) -> Any:
    client = ctx.client()

    def call(i: int) -> None:
        response = client.get(f"/customers/?page={i % 20 + 1}")
        if response.status_code != 200:
            raise AssertionError(f"customer list answered {response.status_code}")

    return call
