"""Fixtures shared by every app's tests."""

from __future__ import annotations

import pytest
from django.db import connection

pytest_plugins = ["propdesk.testing.browser"]


@pytest.fixture
def cast(db):
    """The named cast of users and data; see propdesk/testing/cast.py."""
    from propdesk.testing.cast import make_cast

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
