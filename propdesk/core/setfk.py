"""Set-based foreign keys on PostgreSQL: one check per statement, not one per row.

A built-in foreign key checks each inserted row on its own (one `SELECT … FOR KEY
SHARE` per row and key, run at commit when deferred). A billing run inserts a
million bills and a million ledger entries (and the first one a million accounts),
thirteen keys between them: those per-row checks were most of a run's time (see
docs/billing.md, "Speed").

`SetBasedForeignKeys` replaces the listed foreign-key constraints of one table by
triggers that enforce the same rule a set at a time:

- on the table itself, after each INSERT statement: the distinct keys of the new
  rows are looked up in each referenced table in one statement and locked
  `FOR KEY SHARE` (as the built-in check locks them), and a key that is missing
  fails the statement;
- before an UPDATE that changes a key column: the same check for that row;
- on each referenced table, after each DELETE statement: a deleted row that is
  still referenced fails the statement; before an UPDATE of its id, likewise.

A failure is SQLSTATE 23503 (foreign_key_violation) with a message and detail
worded like PostgreSQL's own (`Key (house_id)=(7) is not present in table …`), so
Django raises `IntegrityError` and the transaction writes nothing.

How it differs from a built-in constraint (all outside what PropDesk does):
- the check runs at the end of each statement, not deferred to commit: a child row
  cannot be written before its parent within a transaction;
- a deleting transaction at REPEATABLE READ or above checks against its own
  snapshot (the built-in check uses a fresh one), so it may miss a reference
  committed after its snapshot was taken;
- TRUNCATE of a referenced table is not guarded.

The lock order makes the usual races safe at READ COMMITTED: an inserter holds a
key-share lock on each parent it references, so a concurrent DELETE waits for it
and then, in a fresh snapshot, sees the new child; an inserter arriving after an
uncommitted DELETE waits on that row, finds it gone and fails
(`billing/tests/test_setfk.py` runs both orders on two connections).

SQLite keeps its native (deferred) foreign keys: the operation does nothing there,
and the model fields stay `ForeignKey(db_constraint=True)`, so Django's state is
the same on both databases. A later `AlterField` on one of these fields drops no
constraint (Django looks them up by introspection and finds none) and adds none.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import ProjectState

# One function serves every table: the trigger's arguments name the pairs
# (key column, referenced table) it checks. Keys are bigint (BigAutoField).
FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION propdesk_fk_check_inserted() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
    i int := 0;
    col text;
    parent text;
    keys bigint[];
    found bigint;
    missing bigint;
BEGIN
    WHILE i < TG_NARGS LOOP
        col := TG_ARGV[i];
        parent := TG_ARGV[i + 1];
        i := i + 2;
        EXECUTE format('SELECT array_agg(DISTINCT %I) FROM new_rows WHERE %I IS NOT NULL',
                       col, col) INTO keys;
        CONTINUE WHEN keys IS NULL;
        EXECUTE format('SELECT count(*) FROM (SELECT 1 FROM %I p WHERE p.id = ANY($1)'
                       ' FOR KEY SHARE OF p) s', parent) INTO found USING keys;
        IF found <> cardinality(keys) THEN
            EXECUTE format('SELECT k FROM unnest($1) k WHERE NOT EXISTS'
                           ' (SELECT 1 FROM %I p WHERE p.id = k) LIMIT 1', parent)
                INTO missing USING keys;
            RAISE EXCEPTION 'insert or update on table "%" violates foreign key "%_%"',
                TG_TABLE_NAME, TG_TABLE_NAME, col
                USING ERRCODE = 'foreign_key_violation',
                      DETAIL = format('Key (%s)=(%s) is not present in table "%s".',
                                      col, coalesce(missing::text, '?'), parent);
        END IF;
    END LOOP;
    RETURN NULL;
END
$fn$;

CREATE OR REPLACE FUNCTION propdesk_fk_check_changed() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
    col text := TG_ARGV[0];
    parent text := TG_ARGV[1];
    wanted bigint;
    found bigint;
BEGIN
    EXECUTE format('SELECT ($1).%I', col) INTO wanted USING NEW;
    EXECUTE format('SELECT id FROM %I WHERE id = $1 FOR KEY SHARE', parent)
        INTO found USING wanted;
    IF found IS NULL THEN
        RAISE EXCEPTION 'insert or update on table "%" violates foreign key "%_%"',
            TG_TABLE_NAME, TG_TABLE_NAME, col
            USING ERRCODE = 'foreign_key_violation',
                  DETAIL = format('Key (%s)=(%s) is not present in table "%s".',
                                  col, wanted, parent);
    END IF;
    RETURN NEW;
END
$fn$;

CREATE OR REPLACE FUNCTION propdesk_fk_check_deleted() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
    i int := 0;
    child text;
    col text;
    key bigint;
BEGIN
    WHILE i < TG_NARGS LOOP
        child := TG_ARGV[i];
        col := TG_ARGV[i + 1];
        i := i + 2;
        IF TG_LEVEL = 'STATEMENT' THEN
            EXECUTE format('SELECT o.id FROM old_rows o WHERE EXISTS'
                           ' (SELECT 1 FROM %I c WHERE c.%I = o.id) LIMIT 1', child, col)
                INTO key;
        ELSE
            EXECUTE format('SELECT c.%I FROM %I c WHERE c.%I = $1 LIMIT 1', col, child, col)
                INTO key USING OLD.id;
        END IF;
        IF key IS NOT NULL THEN
            RAISE EXCEPTION 'update or delete on table "%" violates foreign key "%_%" on table "%"',
                TG_TABLE_NAME, child, col, child
                USING ERRCODE = 'foreign_key_violation',
                      DETAIL = format('Key (id)=(%s) is still referenced from table "%s".',
                                      key, child);
        END IF;
    END LOOP;
    IF TG_LEVEL = 'ROW' THEN
        RETURN NEW;
    END IF;
    RETURN NULL;
END
$fn$;
"""


class SetBasedForeignKeys(migrations.operations.base.Operation):
    """Enforce the named foreign keys of `model_name` by set-based triggers (PostgreSQL)."""

    reduces_to_sql = True
    reversible = True

    def __init__(self, model_name: str, fields: list[str]) -> None:
        self.model_name = model_name
        self.fields = fields

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return self.__class__.__name__, [], {"model_name": self.model_name, "fields": self.fields}

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        """Django's model state is unchanged: the fields stay foreign keys."""

    def describe(self) -> str:
        return f"Set-based foreign keys for {self.model_name}: {', '.join(self.fields)}"

    @property
    def migration_name_fragment(self) -> str:
        return f"{self.model_name.lower()}_set_based_fks"

    def _keys(self, app_label: str, state: ProjectState) -> tuple[str, list[tuple[str, str, Any]]]:
        model = state.apps.get_model(app_label, self.model_name)
        keys = []
        for name in self.fields:
            field = model._meta.get_field(name)
            if field.target_field.column != "id":  # the trigger functions join on `id`
                raise ValueError(f"{self.model_name}.{name} must reference an `id` column")
            keys.append((field.column, field.related_model._meta.db_table, field))
        return model._meta.db_table, keys

    def database_forwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        table, keys = self._keys(app_label, to_state)
        schema_editor.execute(FUNCTIONS, params=None)
        with schema_editor.connection.cursor() as cursor:
            constraints = schema_editor.connection.introspection.get_constraints(cursor, table)
        for name, info in constraints.items():
            if info["foreign_key"] and info["columns"][0] in {c for c, _t, _f in keys}:
                schema_editor.execute(f"ALTER TABLE {_q(table)} DROP CONSTRAINT {_q(name)}")
        for name, _on, definition in _triggers(table, keys):
            schema_editor.execute(f"CREATE TRIGGER {_q(name)} {definition}")

    def database_backwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        table, keys = self._keys(app_label, from_state)
        for name, on, _definition in _triggers(table, keys):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {_q(name)} ON {_q(on)}")
        model = from_state.apps.get_model(app_label, self.model_name)
        # The constraint Django's own `AddField` makes (same name, deferrable): the
        # method is what `_alter_field` calls; the stubs do not declare it.
        create_fk = schema_editor._create_fk_sql  # type: ignore[attr-defined]
        for _column, _parent, field in keys:
            schema_editor.execute(create_fk(model, field, "_fk_%(to_table)s_%(to_column)s"))


def _triggers(table: str, keys: list[tuple[str, str, Any]]) -> list[tuple[str, str, str]]:
    """(name, table it is on, definition) of each trigger that
    enforces `keys` of `table`: made by the forwards migration, dropped by the backwards."""
    args = ", ".join(f"'{column}', '{parent}'" for column, parent, _f in keys)
    triggers = [
        (
            f"{table}_fk_insert",
            table,
            f"AFTER INSERT ON {_q(table)} REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT"
            f" EXECUTE FUNCTION propdesk_fk_check_inserted({args})",
        )
    ]
    for column, parent, _f in keys:
        col = _q(column)
        triggers.append(
            (
                f"{table}_fk_{column}",
                table,
                f"BEFORE UPDATE OF {col} ON {_q(table)} FOR EACH ROW"
                f" WHEN (NEW.{col} IS NOT NULL AND NEW.{col} IS DISTINCT FROM OLD.{col})"
                f" EXECUTE FUNCTION propdesk_fk_check_changed('{column}', '{parent}')",
            )
        )
    parents: dict[str, list[str]] = {}
    for column, parent, _f in keys:
        parents.setdefault(parent, []).append(column)
    for parent, columns in parents.items():
        pairs = ", ".join(f"'{table}', '{column}'" for column in columns)
        triggers += [
            (
                f"{table}_fk_delete",
                parent,
                f"AFTER DELETE ON {_q(parent)} REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT"
                f" EXECUTE FUNCTION propdesk_fk_check_deleted({pairs})",
            ),
            (
                f"{table}_fk_rekey",
                parent,
                f"BEFORE UPDATE OF id ON {_q(parent)} FOR EACH ROW"
                " WHEN (NEW.id IS DISTINCT FROM OLD.id)"
                f" EXECUTE FUNCTION propdesk_fk_check_deleted({pairs})",
            ),
        ]
    return triggers


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
