"""Root URLs: console at /, API at /api/, Django admin at /admin/."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("propdesk.api.urls")),
    path("", include("propdesk.console.urls")),
]
