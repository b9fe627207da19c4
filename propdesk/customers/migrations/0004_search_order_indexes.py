"""Indexes the one-box search reads in order, for a user serving a whole group.

Without a community filter PostgreSQL can walk one index in the order the results
are ranked and stop after the first 20 rows instead of sorting every match:
(initials, name) and (pinyin, name) with the pattern opclass first so that the same
index serves `=` and `LIKE 'zw%'`; (name, id) for an exact name anywhere in the
group; (label, community) for a label that 1,000 communities share, and
(room, label, community) for a room number or the end of a label (`2-1801`). They
replace 0003's single-column pinyin and initials indexes, which duplicated the
`_like` indexes Django makes for `db_index`. SQLite's indexes already serve its
small datasets.
"""

from __future__ import annotations

from django.db import migrations

DROP = [
    ("customer_pinyin_like", "customers_customer", "name_pinyin varchar_pattern_ops"),
    ("customer_initials_like", "customers_customer", "name_initials varchar_pattern_ops"),
]
CREATE = [
    ("customer_pinyin_name", "customers_customer", "name_pinyin varchar_pattern_ops, name, id"),
    (
        "customer_initials_name",
        "customers_customer",
        "name_initials varchar_pattern_ops, name, id",
    ),
    ("customer_name_group", "customers_customer", "name varchar_pattern_ops, id"),
    ("house_label_community", "estates_house", "label, community_id"),
    ("house_room_label", "estates_house", "room, label, community_id"),
]


def _create(schema_editor, indexes):
    for name, table, columns in indexes:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})")


def _drop(schema_editor, indexes):
    for name, _table, _columns in indexes:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        _drop(schema_editor, DROP)
        _create(schema_editor, CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        _drop(schema_editor, CREATE)
        _create(schema_editor, DROP)


class Migration(migrations.Migration):
    dependencies = [("customers", "0003_search_pattern_indexes")]

    operations = [migrations.RunPython(forwards, backwards)]
