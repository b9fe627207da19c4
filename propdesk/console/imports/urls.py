from __future__ import annotations

from django.urls import path

from . import views

app_name = "imports"

urlpatterns = [
    path("", views.index, name="index"),
    path("template/<str:kind>.<str:fmt>", views.template_download, name="template"),
    path("<int:pk>/", views.job_detail, name="job"),
    path("<int:pk>/step/", views.job_step, name="step"),
    path("<int:pk>/commit/", views.job_commit, name="commit"),
    path("export/customers.xlsx", views.export_customers, name="export-customers"),
    path("export/houses.xlsx", views.export_houses, name="export-houses"),
]
