"""The foreign keys of accounts, bills and ledger entries hold on both databases.

On PostgreSQL they are set-based triggers (propdesk/core/setfk.py), on SQLite the
native deferred constraints; the same tests run on both. `checked` ends each write
the way a commit would: `check_constraints` makes SQLite's deferred keys report now
(on PostgreSQL the triggers have already failed the statement).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal

import psycopg
import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.loader import MigrationLoader

from propdesk.billing.models import Account, AccountKind, Bill, FeeItem, LedgerEntry
from propdesk.billing.tests.conftest import bill_row
from propdesk.core.setfk import SetBasedForeignKeys

D = Decimal
TABLES = ["billing_account", "billing_bill", "billing_ledgerentry"]
MISSING = 987_654_321


def checked(write: Callable[[], object]) -> None:
    with transaction.atomic():
        write()
        connection.check_constraints(table_names=TABLES)


def raw(statement: str, *params: object) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, list(params))


def bill(cast, fee_item, account, **keys) -> Bill:
    return bill_row(
        **{
            "community_id": cast.alpha.pk,
            "house_id": cast.house_a1.pk,
            "account_id": account.pk,
            "fee_item_id": fee_item.pk,
        }
        | keys
    )


def entry(cast, account, **keys) -> LedgerEntry:
    return LedgerEntry(
        community_id=cast.alpha.pk,
        account_id=keys.pop("account_id", account.pk),
        kind=keys.pop("kind", "charge"),
        amount=D("100"),
        due_delta=D("100"),
        at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
        **keys,
    )


@pytest.fixture
def keys(cast):
    fee_item = FeeItem.objects.create(
        community=cast.alpha, code="fk-test", name="FK test", kind="management"
    )
    account = Account.objects.create(
        community=cast.alpha, kind=AccountKind.HOUSE, house=cast.house_a1
    )
    return fee_item, account


@pytest.mark.parametrize("key", ["house_id", "account_id", "fee_item_id", "run_id"])
def test_a_bill_with_a_missing_key_is_refused_and_nothing_is_written(cast, keys, key):
    fee_item, account = keys
    good = bill(cast, fee_item, account)
    bad = bill(cast, fee_item, account, period="2026-12", **{key: MISSING})
    with pytest.raises(IntegrityError, match=key):
        checked(lambda: Bill.objects.bulk_create([good, bad]))
    assert not Bill.objects.filter(fee_item=fee_item).exists()


@pytest.mark.parametrize("key", ["account_id", "bill_id", "payment_id", "reverses_id", "actor_id"])
def test_an_entry_with_a_missing_key_is_refused_and_nothing_is_written(cast, keys, key):
    _fee_item, account = keys
    with pytest.raises(IntegrityError, match=key):
        checked(lambda: LedgerEntry.objects.bulk_create([entry(cast, account, **{key: MISSING})]))
    assert not LedgerEntry.objects.filter(account__pk=account.pk).exists()


@pytest.mark.parametrize("key", ["community_id", "house_id", "customer_id"])
def test_an_account_with_a_missing_key_is_refused_and_nothing_is_written(cast, key):
    # Neither house has an account yet: the only fault of `bad` is its missing key.
    assert not Account.objects.filter(house__in=[cast.house_a2, cast.house_b1]).exists()
    accounts = Account.objects.count()
    good = Account(community=cast.alpha, kind=AccountKind.HOUSE, house=cast.house_a2)
    bad = Account(community_id=cast.alpha.pk, kind=AccountKind.HOUSE, house_id=cast.house_b1.pk)
    if key == "customer_id":
        bad.kind = AccountKind.CUSTOMER
    setattr(bad, key, MISSING)
    with pytest.raises(IntegrityError, match=key):
        checked(lambda: Account.objects.bulk_create([good, bad]))
    assert Account.objects.count() == accounts


def test_entries_may_reference_each_other_and_existing_rows(cast, keys):
    """Keys that exist pass: a bill, a reversal pointing at an entry of the same table, and
    the actor and approver (two columns checked against one users table)."""
    fee_item, account = keys
    checked(lambda: Bill.objects.bulk_create([bill(cast, fee_item, account)]))
    charge = Bill.objects.get(fee_item=fee_item)
    first = entry(cast, account, bill=charge, actor=cast.admin)
    checked(first.save)
    reversal = entry(cast, account, kind="reversal", reverses=first, approver=cast.admin)
    checked(reversal.save)
    assert LedgerEntry.objects.filter(account=account).count() == 2


def test_changing_a_key_to_a_missing_row_is_refused(cast, keys):
    fee_item, account = keys
    checked(lambda: Bill.objects.bulk_create([bill(cast, fee_item, account)]))
    with pytest.raises(IntegrityError, match="account_id"):
        checked(lambda: Bill.objects.filter(fee_item=fee_item).update(account_id=MISSING))
    assert Bill.objects.get(fee_item=fee_item).account_id == account.pk
    # Other columns change freely (allocation updates `cleared` all day).
    checked(lambda: Bill.objects.filter(fee_item=fee_item).update(cleared=D("40")))
    assert Bill.objects.get(fee_item=fee_item).cleared == D("40")


def test_a_referenced_row_cannot_be_deleted_or_renumbered(cast, keys):
    """Raw SQL, past the ORM's PROTECT: the database itself refuses."""
    fee_item, account = keys
    checked(lambda: Bill.objects.bulk_create([bill(cast, fee_item, account)]))
    for statement in (
        "DELETE FROM billing_feeitem WHERE id = %s",
        "UPDATE billing_feeitem SET id = id + 1000000 WHERE id = %s",
    ):
        with pytest.raises(IntegrityError):
            checked(lambda statement=statement: raw(statement, fee_item.pk))
        assert FeeItem.objects.filter(pk=fee_item.pk).exists()
    # Unreferenced, it goes.
    Bill.objects.filter(fee_item=fee_item).delete()
    checked(lambda: FeeItem.objects.filter(pk=fee_item.pk).delete())
    assert not FeeItem.objects.filter(pk=fee_item.pk).exists()


# --- PostgreSQL: the triggers themselves --------------------------------------------


@pytest.fixture
def triggers(db):
    if connection.vendor != "postgresql":
        pytest.skip("set-based triggers are PostgreSQL's; SQLite keeps its native foreign keys")


def test_no_per_row_foreign_key_checks_are_left_on_the_ledger_tables(triggers):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname FROM pg_constraint"
            " WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s)",
            [TABLES],
        )
        assert cursor.fetchall() == []
        cursor.execute(
            "SELECT tgrelid::regclass::text, tgname FROM pg_trigger"
            " WHERE tgname LIKE %s AND tgrelid::regclass::text = ANY(%s) ORDER BY 2",
            ["%_fk_insert", TABLES],
        )
        assert [name for _t, name in cursor.fetchall()] == [
            "billing_account_fk_insert",
            "billing_bill_fk_insert",
            "billing_ledgerentry_fk_insert",
        ]


def test_the_migration_runs_backwards_to_the_built_in_constraints_and_forwards_again(
    triggers,
):
    loader = MigrationLoader(connection)
    migrations = [
        loader.get_migration("billing", "0007_set_based_foreign_keys"),
        loader.get_migration("billing", "0009_account_set_based_foreign_keys"),
    ]
    before = loader.project_state(("billing", "0006_community_copies_unconstrained"))
    after = loader.project_state(("billing", "0009_account_set_based_foreign_keys"))

    def foreign_keys() -> set[tuple[str, str]]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT conrelid::regclass::text, a.attname FROM pg_constraint c"
                " JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]"
                " WHERE c.contype = 'f' AND conrelid::regclass::text = ANY(%s)",
                [TABLES],
            )
            return set(cursor.fetchall())

    operations = [
        op for m in migrations for op in m.operations if isinstance(op, SetBasedForeignKeys)
    ]
    with connection.schema_editor() as editor:
        for op in reversed(operations):
            op.database_backwards("billing", editor, after, before)
    assert foreign_keys() == {
        ("billing_account", "community_id"),
        ("billing_account", "house_id"),
        ("billing_account", "customer_id"),
        ("billing_bill", "house_id"),
        ("billing_bill", "account_id"),
        ("billing_bill", "fee_item_id"),
        ("billing_bill", "run_id"),
        ("billing_ledgerentry", "account_id"),
        ("billing_ledgerentry", "bill_id"),
        ("billing_ledgerentry", "payment_id"),
        ("billing_ledgerentry", "reverses_id"),
        ("billing_ledgerentry", "actor_id"),
        ("billing_ledgerentry", "approver_id"),
    }
    with connection.schema_editor() as editor:
        for op in operations:
            op.database_forwards("billing", editor, before, after)
    assert foreign_keys() == set()
    # The test's transaction rolls all of this back.


# --- PostgreSQL: two connections racing -----------------------------------------------


def _connect() -> psycopg.Connection:
    s = connection.settings_dict
    return psycopg.connect(
        dbname=s["NAME"], user=s["USER"], host=s["HOST"] or None, port=s["PORT"] or None
    )


def _wait_until_blocked(pid: int) -> None:
    with _connect() as watcher:
        for _ in range(500):
            blockers = watcher.execute("SELECT pg_blocking_pids(%s)", [pid]).fetchone()
            if blockers and blockers[0]:
                return
            time.sleep(0.01)
    raise AssertionError(f"backend {pid} never waited for a lock")


@contextmanager
def _in_thread(work: Callable[[], None]) -> Iterator[dict[str, BaseException]]:
    outcome: dict[str, BaseException] = {}

    def run() -> None:
        try:
            work()
        except BaseException as exc:  # reported to the test, not lost in the thread
            outcome["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    try:
        yield outcome
    finally:
        thread.join(timeout=30)


INSERT_BILL = """
INSERT INTO billing_bill (community_id, house_id, account_id, fee_item_id, period,
    period_start, period_end, due_date, quantity, unit_price, gross, amount, cleared,
    note, source, created_at)
VALUES (%s, %s, %s, %s, '2026-11', '2026-11-01', '2026-11-30', '2026-11-30', 1, 100, 100,
    100, 0, '', '', now())
"""


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("first", ["insert", "delete"])
def test_a_delete_racing_an_insert_never_leaves_an_orphan(cast, keys, on_postgres, first):
    """`insert` first: the delete waits for the inserter's key-share lock and then sees the
    new bill. `delete` first: the insert waits for the deleter and then finds the row gone.
    Either way exactly one of the two fails and no bill points at a missing fee item."""
    fee_item, account = keys
    values = [cast.alpha.pk, cast.house_a1.pk, account.pk, fee_item.pk]
    delete = ("DELETE FROM billing_feeitem WHERE id = %s", [fee_item.pk])
    insert = (INSERT_BILL, values)
    early, late = (insert, delete) if first == "insert" else (delete, insert)
    with _connect() as a, _connect() as b:
        a.execute(*early)
        late_pid = b.info.backend_pid

        def second() -> None:
            with b.transaction():
                b.execute(*late)

        with _in_thread(second) as outcome:
            _wait_until_blocked(late_pid)
            a.commit()
    assert isinstance(outcome.get("error"), psycopg.errors.ForeignKeyViolation), outcome
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM billing_bill b WHERE NOT EXISTS"
            " (SELECT 1 FROM billing_feeitem f WHERE f.id = b.fee_item_id)"
        )
        assert cursor.fetchone() == (0,)
    assert FeeItem.objects.filter(pk=fee_item.pk).exists() == (first == "insert")
