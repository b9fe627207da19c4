"""The application's URLs plus the floor view, used only while benchmarks run."""

from __future__ import annotations

from django.urls import path

from propdesk.urls import urlpatterns as app_urlpatterns

from .views import floor_view

urlpatterns = [path("__bench__/floor/<int:pk>/", floor_view), *app_urlpatterns]
