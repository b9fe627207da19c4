"""The authentication backend: Django's model backend behind the lock-out of throttle.py."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from . import throttle


class ThrottledModelBackend(ModelBackend):
    """Refuses a locked user name without checking the password; counts wrong passwords."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is None or password is None:
            return None
        key = throttle.login_key(username)
        if throttle.locked_until(key) is not None:
            return None
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            throttle.failure_record(key)
        else:
            throttle.failures_clear(key)
        return user
