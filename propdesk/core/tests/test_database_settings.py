"""PostgreSQL statements are bound on the server and prepared per connection (PROPDESK_DB_PREPARED).

The settings cases start a fresh interpreter, because settings are read once at start-up.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[3]
SHOW = (
    "import json, django; django.setup(); from django.conf import settings; "
    "print(json.dumps(settings.DATABASES['default'].get('OPTIONS', {}), default=str))"
)


def options(tmp_path: Path, url: str, **env: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if k != "PROPDESK_DB_PREPARED"}
    clean.update(
        DATABASE_URL=url,
        PROPDESK_VAR_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="propdesk.settings",
        **env,
    )
    done = subprocess.run(  # noqa: S603 - fixed argv, our own interpreter
        [sys.executable, "-c", SHOW],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_postgresql_prepares_statements_unless_switched_off(tmp_path):
    url = "postgres://nobody@127.0.0.1:5432/nowhere"  # read, never connected to
    on = options(tmp_path, url)
    assert (on["server_side_binding"], on["prepare_threshold"]) == (True, 5)
    off = options(tmp_path, url, PROPDESK_DB_PREPARED="0")
    assert "server_side_binding" not in off
    assert "prepare_threshold" not in off
    sqlite = options(tmp_path, f"sqlite:///{tmp_path / 'x.sqlite3'}")
    assert "server_side_binding" not in sqlite


def test_the_live_postgresql_connection_prepares_a_statement_run_often(db):
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are a PostgreSQL setting")
    if not connection.settings_dict.get("OPTIONS", {}).get("prepare_threshold"):
        pytest.skip("switched off here (PROPDESK_DB_PREPARED=0)")
    with connection.cursor() as cursor:
        for _ in range(6):
            cursor.execute("SELECT %s::int + 1", [41])
        # This very statement, not any other the connection happened to prepare.
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement = %s",
            ["SELECT $1::int + 1"],
        )
        assert cursor.fetchone()[0] == 1
