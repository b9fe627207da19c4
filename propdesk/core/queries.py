"""Small query helpers shared by the services."""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)


def one_or_none(qs: QuerySet[M]) -> M | None:
    """The row a filter on a unique key selects, or None.

    `.first()` orders by primary key when the queryset has no order, which costs a
    compiled ORDER BY on every lookup of a row that is unique anyway (case intake
    does five of them per case).
    """
    return next(iter(qs.order_by()[:1]), None)
