"""Write a new row and the rows that point at it, in one statement where the database allows.

A case taken at the desk is several rows: the case, its deadline clocks, its first
event and the customer's timeline entry. Written one model at a time that is one
INSERT each, each a round trip to the database and a pass through Django's SQL
compiler. `insert_family` writes them together:

- on PostgreSQL in **one statement**: the parent's INSERT … RETURNING id and one
  data-modifying CTE per child that takes the parent's id from it;
- elsewhere (SQLite) with `bulk_create`, the parent first, then its children by model.

Either way each value is prepared by the model field itself (`pre_save`, so
`auto_now_add` stamps; `get_db_prep_save`, so JSON and dates), every row comes back
with its primary key, and — as with `bulk_create` — no model signals are sent and
`save()` is not called: use it for rows whose models have no receivers (it refuses
a model that has some) and no custom `save()`. Call it inside the caller's
`transaction.atomic()`; one failing row fails the statement and the caller's
transaction writes nothing.

How a child points at the parent:
- a foreign key: build the child with the parent *object* (`CaseEvent(case=case)`,
  the case not yet saved); the key gets the parent's new id;
- any other column that stores the id (a generic reference such as the timeline's
  `ref_id`): give it `PARENT_ID_TEXT`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connections
from django.db.models import ForeignKey, Model
from django.db.models.signals import post_save, pre_save


class _ParentIdText:
    """Stands for the parent's new id, as text, in a child's column."""

    def __repr__(self) -> str:
        return "PARENT_ID_TEXT"


PARENT_ID_TEXT: Any = _ParentIdText()


def insert_family(parent: Model, children: Sequence[Model], *, using: str = "default") -> None:
    """Insert `parent` (not yet saved) and `children`; primary keys are set on all."""
    if parent.pk is not None:
        raise ValueError("insert_family writes a new parent: its primary key must be empty")
    for model in {type(parent), *(type(child) for child in children)}:
        if pre_save.has_listeners(model) or post_save.has_listeners(model):
            # They would be skipped without a word: write these rows with save().
            raise RuntimeError(f"{model.__name__} has save signal receivers")
    links = [_links(child, parent) for child in children]
    connection = connections[using]
    if connection.vendor == "postgresql":
        ids = _insert_postgresql(connection, parent, children, links)
        parent.pk = ids[0]
        for child, pk in zip(children, ids[1:], strict=True):
            child.pk = pk
        _point(parent, children, links)
    else:
        type(parent)._base_manager.using(using).bulk_create([parent])
        _point(parent, children, links)
        by_model: dict[type[Model], list[Model]] = {}
        for child in children:
            by_model.setdefault(type(child), []).append(child)
        for model, rows in by_model.items():
            model._base_manager.using(using).bulk_create(rows)
    for row in (parent, *children):
        row._state.adding = False
        row._state.db = using


def _links(child: Model, parent: Model) -> dict[str, bool]:
    """The child's columns that take the parent's id: {attname: as_text}."""
    links: dict[str, bool] = {}
    for field in child._meta.concrete_fields:
        if getattr(child, field.attname) is PARENT_ID_TEXT:
            links[field.attname] = True
        elif (
            isinstance(field, ForeignKey)
            and field.is_cached(child)
            and field.get_cached_value(child) is parent
        ):
            links[field.attname] = False
    if not links:
        raise ValueError(f"{type(child).__name__} does not point at the parent row")
    return links


def _point(parent: Model, children: Sequence[Model], links: list[dict[str, bool]]) -> None:
    for child, columns in zip(children, links, strict=True):
        for attname, as_text in columns.items():
            setattr(child, attname, str(parent.pk) if as_text else parent.pk)


def _insert_postgresql(
    connection: Any, parent: Model, children: Sequence[Model], links: list[dict[str, bool]]
) -> list[int]:
    qn = connection.ops.quote_name
    params: list[Any] = []
    parts = []
    for n, (row, columns) in enumerate(zip((parent, *children), ({}, *links), strict=True)):
        meta = row._meta
        names, placeholders = [], []
        for field in meta.local_concrete_fields:
            if getattr(field, "generated", False):
                continue
            if field.primary_key and getattr(row, field.attname) is None:
                continue  # the database numbers it
            names.append(qn(field.column))
            if field.attname in columns:
                as_text = columns[field.attname]
                placeholders.append(
                    "(SELECT id FROM r0)::text" if as_text else "(SELECT id FROM r0)"
                )
                continue
            value = field.pre_save(row, add=True)
            if hasattr(value, "resolve_expression"):
                raise TypeError(f"{meta.label}.{field.name}: expressions are not supported here")
            params.append(field.get_db_prep_save(value, connection=connection))
            placeholders.append("%s")
        table, pk = qn(meta.db_table), qn(meta.pk.column)
        columns_sql, values_sql = ", ".join(names), ", ".join(placeholders)
        # Names come from the models; every value is a parameter.
        insert = f"INSERT INTO {table} ({columns_sql}) VALUES ({values_sql})"  # noqa: S608
        parts.append(f"r{n} AS ({insert} RETURNING {pk} AS id)")
    select = " UNION ALL ".join(f"SELECT {n}, id FROM r{n}" for n in range(len(parts)))  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {', '.join(parts)} {select}", params)
        found = dict(cursor.fetchall())
    return [found[n] for n in range(len(parts))]
