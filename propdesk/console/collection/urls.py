from __future__ import annotations

from django.urls import path

from . import views

app_name = "collection"

urlpatterns = [
    path("", views.worklist, name="worklist"),
    path("run/", views.run_now, name="run"),
    path("arrears/", views.arrears, name="arrears"),
    path("rate/", views.rate, name="rate"),
    path("houses/<int:pk>/", views.house, name="house"),
    path("letters/<int:pk>/pdf/", views.letter_pdf, name="letter-pdf"),
    path("legal/", views.legal_files, name="legal"),
    path("ladder/", views.steps, name="steps"),
    path("statements/", views.statements, name="statements"),
    path("statements/<int:pk>/", views.statement, name="statement"),
]
