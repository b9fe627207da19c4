from __future__ import annotations

from django.urls import path

from . import views

app_name = "frontdesk"

urlpatterns = [
    path("", views.desk, name="desk"),
    path("keys/", views.key_list, name="key-list"),
    path("keys/audit/", views.key_audit, name="key-audit"),
    path("keys/<int:pk>/", views.key_detail, name="key-detail"),
    path("parcels/", views.parcel_list, name="parcel-list"),
    path("parcels/find/", views.parcel_find, name="parcel-find"),
    path("parcels/returns/", views.mail_returns, name="mail-returns"),
    path("parcels/consent/", views.parcel_consent, name="parcel-consent"),
    path("parcels/<int:pk>/", views.parcel_detail, name="parcel-detail"),
    path("storage/", views.storage, name="storage"),
    path("passes/", views.pass_list, name="pass-list"),
    path("passes/<int:pk>/", views.pass_detail, name="pass-detail"),
    path("passes/<int:pk>/pdf/", views.pass_pdf, name="pass-pdf"),
    path("gate/", views.gate, name="gate"),
    path("handovers/", views.handover_list, name="handover-list"),
    path("handovers/<int:pk>/", views.handover_detail, name="handover-detail"),
]
