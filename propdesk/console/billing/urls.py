from __future__ import annotations

from django.urls import path

from . import desk, fees, runs

app_name = "billing"

urlpatterns = [
    path("desk/", desk.desk, name="desk"),
    path("desk/pay/", desk.pay, name="pay"),
    path("receipts/<int:pk>/", desk.receipt, name="receipt"),
    path("receipts/<int:pk>/print/", desk.receipt_print, name="receipt-print"),
    path("payments/", desk.payments, name="payments"),
    path("payments/<int:pk>/void/", desk.payment_void, name="payment-void"),
    path("bills/<int:pk>/waive/", desk.bill_waive, name="bill-waive"),
    path("houses/<int:house>/refund/", desk.refund, name="refund"),
    path("houses/<int:house>/charge/", desk.charge, name="charge"),
    path("houses/<int:house>/statement/", desk.statement, name="statement"),
    path("runs/", runs.run_list, name="run-list"),
    path("runs/new/", runs.run_new, name="run-new"),
    path("runs/start/", runs.run_start, name="run-start"),
    path("runs/<int:pk>/", runs.run_detail, name="run-detail"),
    path("runs/<int:pk>/progress/", runs.run_progress, name="run-progress"),
    path("runs/<int:pk>/resume/", runs.run_resume, name="run-resume"),
    path("fees/", fees.fees, name="fees"),
    path("fees/items/new/", fees.fee_item_new, name="fee-item-new"),
    path("fees/standards/new/", fees.standard_new, name="standard-new"),
    path("fees/rules/", fees.rule_edit, name="rule-edit"),
]
