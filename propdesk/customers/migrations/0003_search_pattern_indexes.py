"""Prefix search on PostgreSQL: LIKE 'x%' uses a btree only with a pattern opclass
(the database collation is not C). SQLite's default indexes already serve it."""

from __future__ import annotations

from django.db import migrations

INDEXES = [
    ("customer_pinyin_like", "customers_customer", "name_pinyin varchar_pattern_ops"),
    ("customer_initials_like", "customers_customer", "name_initials varchar_pattern_ops"),
    ("customer_name_like", "customers_customer", "community_id, name varchar_pattern_ops"),
    ("house_label_like", "estates_house", "community_id, label varchar_pattern_ops"),
    ("house_room_idx", "estates_house", "community_id, room"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table, columns in INDEXES:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _columns in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("customers", "0002_customer_unique_id_number"), ("estates", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
