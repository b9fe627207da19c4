"""Notification settings, read at call time so tests can override them.

Each value comes from Django settings when set there, else from the environment
(documented in `.env.example`), else the default below. A bad value fails loudly.
"""

from __future__ import annotations

import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def _raw(name: str) -> str | None:
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name)
    return None if value in (None, "") else str(value)


def conf_str(name: str, default: str) -> str:
    return _raw(name) or default


def conf_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = _raw(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}")
    return value


def max_attempts() -> int:
    """Attempts before a message is parked as dead."""
    return conf_int("NOTIFY_MAX_ATTEMPTS", 6, minimum=1)


def retry_base_seconds() -> int:
    return conf_int("NOTIFY_RETRY_BASE_SECONDS", 60, minimum=1)


def retry_max_seconds() -> int:
    return conf_int("NOTIFY_RETRY_MAX_SECONDS", 6 * 3600, minimum=1)


def send_timeout_seconds() -> int:
    return conf_int("NOTIFY_SEND_TIMEOUT", 10, minimum=1)


def sms_backend() -> str:
    value = conf_str("NOTIFY_SMS_BACKEND", "demo")
    if value not in {"demo", "aliyun"}:
        raise ImproperlyConfigured(f"NOTIFY_SMS_BACKEND must be demo or aliyun, not {value!r}")
    return value


def email_backend() -> str:
    value = conf_str("NOTIFY_EMAIL_BACKEND", "demo")
    if value not in {"demo", "smtp", "django"}:
        raise ImproperlyConfigured(
            f"NOTIFY_EMAIL_BACKEND must be demo, smtp or django, not {value!r}"
        )
    return value


def backoff_seconds(attempts: int) -> int:
    """Delay before the next attempt after `attempts` failed ones: base·2^(n−1), capped."""
    exponent = max(0, attempts - 1)
    return int(min(retry_max_seconds(), retry_base_seconds() * (2 ** min(exponent, 30))))


def digest_threshold() -> int:
    """Alerts or e-mails one staff member gets individually within the window (0: no digests)."""
    return conf_int("NOTIFY_DIGEST_THRESHOLD", 5, minimum=0)


def digest_window_minutes() -> int:
    """The burst window, and how long held messages wait before their digest goes out."""
    return conf_int("NOTIFY_DIGEST_WINDOW_MINUTES", 10, minimum=1)
