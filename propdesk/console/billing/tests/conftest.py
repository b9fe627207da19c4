from __future__ import annotations

import pytest

from propdesk.accounts.roles import Role
from propdesk.billing import services
from propdesk.billing.tests.conftest import T0, fees  # noqa: F401
from propdesk.testing.cast import PASSWORD, _staff

BILLING_TABLES = (
    "billing.Bill",
    "billing.LedgerEntry",
    "billing.Payment",
    "billing.Receipt",
    "billing.Account",
    "billing.BillingRun",
    "billing.FeeItem",
    "billing.PriceStandard",
    "billing.AdjustmentRule",
    "jobs.Task",
)


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def cashier_b(cast):
    """A cashier of Beta: may collect, but not in Alpha."""
    return _staff("cashier_b", Role.CASHIER, cast.beta, company=cast.company)


@pytest.fixture
def billed(cast, fees):  # noqa: F811
    """Alpha billed for October and November 2026: 1-1-101 owes 2 × (223.75 + 10.00)."""
    for period in ("2026-10", "2026-11"):
        services.billing_run_start(
            actor=cast.director_a, community_id=cast.alpha.pk, period=period, now=T0
        )
    return fees


def pay(cast, amount="100.00", key="k1", method="cash", house=None, **kw):
    payment, _replayed = services.payment_post(
        actor=cast.cashier_a,
        house_id=(house or cast.house_a1).pk,
        amount=amount,
        method=method,
        idempotency_key=key,
        payer_name="张伟",
        **kw,
    )
    return payment
