"""The log-in form: says when a locked user name may try again."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import throttle


class LoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("Wrong user name or password."),
    }

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        if username:
            until = throttle.locked_until(throttle.login_key(username))
            if until is not None:
                raise ValidationError(
                    _(
                        "Too many wrong passwords for this user name. "
                        "Try again after %(time)s, or ask an administrator to unlock it."
                    ),
                    code="locked",
                    params={"time": timezone.localtime(until).strftime("%H:%M")},
                )
        return super().clean()
