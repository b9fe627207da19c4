from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _forget_policies(**_kwargs: Any) -> None:
    """`migrate` and `flush` (a demo --reset) end with post_migrate: the policies this
    process cached may be gone, and their ids reused by others."""
    from .services import policies_cache_clear

    policies_cache_clear()


class SlaConfig(AppConfig):
    name = "propdesk.sla"
    label = "sla"
    verbose_name = _("Service standards")

    def ready(self) -> None:
        post_migrate.connect(_forget_policies, dispatch_uid="propdesk.sla.forget_policies")
