from __future__ import annotations

from django.urls import path

from . import views

app_name = "sla"

urlpatterns = [
    path("policies/", views.policies, name="policies"),
    path("policies/<int:pk>/", views.policy_edit, name="policy-edit"),
    path("policies/<int:pk>/customise/", views.policy_customise, name="policy-customise"),
    path("calendar/", views.calendar, name="calendar"),
    path("calendar/hours/", views.hours, name="hours"),
    path("calendar/dates/", views.override_add, name="override-add"),
    path("calendar/dates/<int:pk>/delete/", views.override_delete, name="override-delete"),
    path("report/", views.report, name="report"),
    path("report.xlsx", views.report_xlsx, name="report-xlsx"),
]
