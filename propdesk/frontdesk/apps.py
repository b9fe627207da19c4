from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FrontdeskConfig(AppConfig):
    name = "propdesk.frontdesk"
    label = "frontdesk"
    verbose_name = _("Front desk")
