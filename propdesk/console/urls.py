from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import include, path

from propdesk.accounts.forms import LoginForm

from . import views

app_name = "console"

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="console/login.html",
            redirect_authenticated_user=True,
            authentication_form=LoginForm,
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.home, name="home"),
    path("community/", views.switch_community, name="switch-community"),
    path("community/search/", views.community_search, name="community-search"),
    path("search/", views.quick_search_view, name="search"),
    path("customers/", views.customer_list, name="customer-list"),
    path("customers/<int:pk>/", views.customer_detail, name="customer-detail"),
    path("customers/<int:pk>/reveal/<str:field>/", views.customer_reveal, name="customer-reveal"),
    path("houses/", views.house_list, name="house-list"),
    path("houses/<int:pk>/", views.house_detail, name="house-detail"),
    path("cases/", include("propdesk.console.servicedesk.urls")),
    path("outbox/", include("propdesk.console.notify.urls")),
    path("frontdesk/", include("propdesk.console.frontdesk.urls")),
    path("imports/", include("propdesk.console.imports.urls")),
    path("sla/", include("propdesk.console.sla.urls")),
    path("billing/", include("propdesk.console.billing.urls")),
    path("collection/", include("propdesk.console.collection.urls")),
]
