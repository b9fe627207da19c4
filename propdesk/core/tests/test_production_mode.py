"""Production mode refuses to start without its secrets and is clean under `check --deploy`.

Each case starts a fresh interpreter, because settings are read once at start-up.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

MANAGE = Path(__file__).resolve().parents[3] / "manage.py"
STRONG_SECRET = "x7Gq-9vLr2!mWp4zT8kYc0sNf3hJd6bVa1eRu5oQi_Zl+XyPgK"
FIELD_KEY = "cHJvZHVjdGlvbi1maWVsZC1rZXktZm9yLXRlc3RzLW9ubHk="


def run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "PROPDESK_FIELD_KEY", "ALLOWED_HOSTS", "DEBUG", "PROPDESK_ENV"}
        and not k.startswith("PYTEST")
    }
    clean.update(
        {"PROPDESK_ENV": "production", "PROPDESK_VAR_DIR": str(tmp_path), "DEBUG": ""}, **env
    )
    return subprocess.run(  # noqa: S603 - fixed argv, our own interpreter
        [sys.executable, *args],
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("given", "missing"),
    [
        ({}, "SECRET_KEY and PROPDESK_FIELD_KEY"),
        ({"PROPDESK_FIELD_KEY": FIELD_KEY}, "SECRET_KEY"),
        ({"SECRET_KEY": STRONG_SECRET}, "PROPDESK_FIELD_KEY"),
    ],
)
def test_production_refuses_to_start_naming_the_missing_secret(tmp_path, given, missing):
    result = run(
        ["-c", "import django; import os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', "
         "'propdesk.settings'); django.setup()"],
        tmp_path,
        **given,
    )  # fmt: skip
    assert result.returncode != 0
    assert f"refuses to start without {missing}." in result.stderr


def test_manage_py_check_fails_in_production_without_the_field_key(tmp_path):
    result = run([str(MANAGE), "check"], tmp_path, SECRET_KEY=STRONG_SECRET)
    assert result.returncode != 0
    assert "PROPDESK_FIELD_KEY" in result.stderr


def test_production_refuses_the_development_keys(tmp_path):
    from django.conf import settings

    result = run(
        [str(MANAGE), "check"],
        tmp_path,
        SECRET_KEY=STRONG_SECRET,
        PROPDESK_FIELD_KEY=settings.PROPDESK_FIELD_KEY,  # the development default
    )
    assert result.returncode != 0
    assert "development keys" in result.stderr


def test_check_deploy_is_clean_with_secrets_and_hosts(tmp_path):
    result = run(
        [str(MANAGE), "check", "--deploy", "--fail-level", "WARNING"],
        tmp_path,
        SECRET_KEY=STRONG_SECRET,
        PROPDESK_FIELD_KEY=FIELD_KEY,
        ALLOWED_HOSTS="propdesk.example.com",
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_check_deploy_flags_debug_left_on_in_production(tmp_path):
    # The guard is real: the same check fails when DEBUG is switched on.
    result = run(
        [str(MANAGE), "check", "--deploy", "--fail-level", "WARNING"],
        tmp_path,
        SECRET_KEY=STRONG_SECRET,
        PROPDESK_FIELD_KEY=FIELD_KEY,
        ALLOWED_HOSTS="propdesk.example.com",
        DEBUG="true",
    )
    assert result.returncode != 0
    assert "security.W018" in result.stderr + result.stdout
