from __future__ import annotations

from django.urls import path

from . import views

app_name = "servicedesk"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("new/", views.intake, name="intake"),
    path("bulk-assign/", views.bulk_assign, name="bulk-assign"),
    path("pick-customer/", views.pick_customer, name="pick-customer"),
    path("house-panel/", views.house_panel, name="house-panel"),
    path("technicians/", views.technicians, name="technicians"),
    path("jobs/", views.jobs, name="jobs"),
    path("jobs/<int:pk>/", views.job, name="job"),
    path("visits/", views.visits, name="visits"),
    path("visits/summary/", views.visit_summary, name="visit-summary"),
    path("<int:pk>/", views.case_page, name="case"),
    path("<int:pk>/act/<str:action>/", views.case_act, name="act"),
    path("<int:pk>/note/", views.case_note, name="note"),
    path("<int:pk>/attach/", views.case_attach, name="attach"),
    path("<int:pk>/files/<int:attachment_id>/", views.attachment_file, name="file"),
    path("<int:pk>/signature.png", views.signature_file, name="signature"),
    path("<int:pk>/work-order.pdf", views.work_order_pdf, name="work-order"),
]
