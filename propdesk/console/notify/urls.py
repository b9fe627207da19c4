from __future__ import annotations

from django.urls import path

from . import views

app_name = "notify"

urlpatterns = [
    path("", views.outbox_list, name="outbox"),
    path("<int:pk>/", views.outbox_detail, name="outbox-detail"),
    path("<int:pk>/retry/", views.outbox_retry_view, name="outbox-retry"),
]
