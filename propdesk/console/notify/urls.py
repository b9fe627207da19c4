from __future__ import annotations

from django.urls import path

from . import config, views

app_name = "notify"

urlpatterns = [
    path("", views.outbox_list, name="outbox"),
    path("<int:pk>/", views.outbox_detail, name="outbox-detail"),
    path("<int:pk>/retry/", views.outbox_retry_view, name="outbox-retry"),
    path("alerts/", views.alert_list, name="alerts"),
    path("alerts/read/", views.alert_read, name="alert-read"),
    path("templates/", config.template_list, name="templates"),
    path("templates/edit/", config.template_edit, name="template-edit"),
    path("templates/preview/", config.template_preview, name="template-preview"),
    path("quiet-hours/", config.quiet_hours, name="quiet-hours"),
    # Link-ready for the customer page: {% url 'console:notify:customer-preferences' c.pk %}
    path(
        "customers/<int:customer_id>/preferences/",
        config.customer_preferences,
        name="customer-preferences",
    ),
]
