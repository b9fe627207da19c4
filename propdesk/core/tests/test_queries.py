"""The `__any` lookup selects what `__in` selects, with one parameter on PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import connection

from propdesk.estates.models import House

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("pick", [slice(0, 0), slice(0, 1), slice(0, None), slice(1, 3)])
def test_any_selects_the_rows_in_selects(cast, pick):
    ids = list(House.objects.order_by("id").values_list("id", flat=True))[pick]
    asked = [*ids, 987_654_321]  # a missing id selects nothing
    by_any = House.objects.filter(id__any=asked).order_by("id")
    assert list(by_any.values_list("id", flat=True)) == ids
    labels = list(House.objects.filter(id__in=ids).values_list("label", flat=True))
    assert sorted(House.objects.filter(label__any=labels).values_list("id", flat=True)) == sorted(
        House.objects.filter(label__in=labels).values_list("id", flat=True)
    )


def test_any_sends_one_array_on_postgresql_whatever_the_length(cast):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no arrays: `__any` is `IN` there")
    ids = list(House.objects.values_list("id", flat=True))
    sent: list[tuple[str, tuple]] = []

    def record(execute, sql, params, many, context):
        sent.append((sql, tuple(params)))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        list(House.objects.filter(id__any=ids[:1]))
        list(House.objects.filter(id__any=ids))
    (short_sql, short_params), (long_sql, long_params) = sent
    assert short_sql == long_sql  # one statement text, whatever the list's length
    assert "= ANY(%s)" in short_sql
    assert short_params == (ids[:1],)
    assert long_params == (ids,)
