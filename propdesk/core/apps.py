from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "propdesk.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from . import queries  # noqa: F401 - registers the `__any` lookup on every field
