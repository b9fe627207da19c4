"""Which database and sizes a benchmark run uses, and Django set-up for it.

BENCH_SCALE=full (default)   1,000 communities / 1,000,000 houses / 2,500,000
                             customers on PostgreSQL: BENCH_DATABASE_URL, else
                             DATABASE_URL, else postgres://postgres@127.0.0.1:5432/propdesk_bench
BENCH_SCALE=small            10 / 10,000 / 25,000: BENCH_DATABASE_URL, else SQLite
                             at var/bench/small.sqlite3 (never the development database)
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/propdesk_bench"


def scale_from_env() -> str:
    scale = os.environ.get("BENCH_SCALE", "full").strip().lower() or "full"
    if scale not in {"full", "small"}:
        raise SystemExit(f"BENCH_SCALE must be full or small, not {scale!r}")
    return scale


def database_url_for(scale: str) -> str:
    explicit = os.environ.get("BENCH_DATABASE_URL", "").strip()
    if explicit:
        return explicit
    if scale == "small":
        return f"sqlite:///{BENCH_DIR / 'small.sqlite3'}"
    url = os.environ.get("DATABASE_URL", "").strip() or DEFAULT_PG_URL
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit(
            f"BENCH_SCALE=full runs on PostgreSQL; DATABASE_URL is {url!r}. "
            "Set BENCH_DATABASE_URL=postgres://… or use BENCH_SCALE=small."
        )
    return url


def _create_pg_database(url: str) -> None:
    """CREATE DATABASE when it does not exist yet (the server must be up)."""
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    info = conninfo_to_dict(url.replace("postgres://", "postgresql://", 1))
    name = info.get("dbname") or "postgres"
    admin = make_conninfo(**{**info, "dbname": "postgres"})
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(str(name))))


def setup_django(*, scale: str, database_url: str | None = None, migrate: bool = True) -> str:
    """Point Django at the benchmark database, set it up, migrate; returns the URL."""
    url = database_url or database_url_for(scale)
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "propdesk.settings")
    os.environ.setdefault("DEBUG", "0")
    if url.startswith(("postgres://", "postgresql://")):
        _create_pg_database(url)
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
    return url
