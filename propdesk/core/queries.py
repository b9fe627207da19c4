"""Small query helpers shared by the services."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Field, Lookup, Model, QuerySet

M = TypeVar("M", bound=Model)


def one_or_none(qs: QuerySet[M]) -> M | None:
    """The row a filter on a unique key selects, or None.

    `.first()` orders by primary key when the queryset has no order, which costs a
    compiled ORDER BY on every lookup of a row that is unique anyway (case intake
    does five of them per case).
    """
    return next(iter(qs.order_by()[:1]), None)


class AnyOf(Lookup):  # type: ignore[type-arg]
    """`field__any=[...]`: the `__in` test with the whole list as one parameter.

    On PostgreSQL `col = ANY(%s)` sends one array: the statement text is the same
    for every list, so psycopg converts it once and can prepare it, where `IN` with
    a thousand placeholders is a new statement each time. Elsewhere it is `IN`.
    """

    lookup_name = "any"

    def get_prep_lookup(self) -> list[Any]:
        prep = self.lhs.output_field.get_prep_value
        return [prep(v) for v in self.rhs]

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = list(self.rhs)
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", [*lhs_params, values]
        if not values:
            return "0 = 1", list(lhs_params)
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", [*lhs_params, *values]


Field.register_lookup(AnyOf)
