"""Fixtures shared by every app's tests."""

from __future__ import annotations

import pytest
from django.db import connection

pytest_plugins = ["propdesk.testing.browser"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--clock",
        metavar="ISO",
        help="run the suite as if the clock read this aware time and went on from there, "
        "e.g. 2027-02-28T16:30+00:00 (just after midnight of 1 March in Shanghai, still "
        "February in UTC). Python's clock only: the database's now() is not moved, so use "
        "it with SQLite.",
    )


def pytest_configure(config: pytest.Config) -> None:
    when = config.getoption("--clock")
    if when:
        import datetime as dt

        import time_machine

        moment = dt.datetime.fromisoformat(when)
        if moment.tzinfo is None:
            raise pytest.UsageError("--clock needs a time with its UTC offset")
        time_machine.travel(moment, tick=True).start()  # for the whole run


def _ensure_shipped_data() -> None:
    """The category trees and policies ship in data migrations; a transactional test's
    flush empties them for the tests after it, so put them back (idempotent)."""
    from propdesk.servicedesk.models import Category, ReplyTemplate
    from propdesk.servicedesk.seeds import seed
    from propdesk.sla.models import EscalationLevel, Policy
    from propdesk.sla.seeds import seed as seed_policies

    if not Category.objects.filter(company__isnull=True).exists():
        seed(Category, ReplyTemplate)
    if not Policy.objects.filter(community__isnull=True).exists():
        seed_policies(Policy, EscalationLevel)


@pytest.fixture(autouse=True)
def _fresh_memos():
    """Each test starts without the per-process memos (policy pools, intake routing)
    of another test's database rows."""
    from propdesk.core.memo import Memo

    Memo.clear_all()
    yield
    Memo.clear_all()


@pytest.fixture
def cast(db):
    """The named cast of users and data; see propdesk/testing/cast.py."""
    from propdesk.testing.cast import make_cast

    _ensure_shipped_data()
    return make_cast()


@pytest.fixture
def on_postgres(db):
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL row locks; SQLite serialises writers so there is no race to test"
        )
    return True


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The cast creates eight logins per test; PBKDF2 at production strength would
    # spend most of the suite hashing. Hash strength is not what these tests check.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
