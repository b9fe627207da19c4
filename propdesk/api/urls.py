from __future__ import annotations

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from . import foundation, notify, search, servicedesk

app_name = "api"

router = DefaultRouter()
router.register("communities", foundation.CommunityViewSet, basename="community")
router.register("buildings", foundation.BuildingViewSet, basename="building")
router.register("houses", foundation.HouseViewSet, basename="house")
router.register("customers", foundation.CustomerViewSet, basename="customer")
router.register("occupancies", foundation.OccupancyViewSet, basename="occupancy")
router.register("cases", servicedesk.CaseViewSet, basename="case")
router.register("return-visits", servicedesk.ReturnVisitViewSet, basename="return-visit")
router.register("outbox", notify.OutboxViewSet, basename="outbox")
# Later domains register their viewsets here, one line each.

urlpatterns = [
    path("auth/token/", foundation.StaffTokenView.as_view(), name="token"),
    path("search/", search.SearchView.as_view(), name="search"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("frontdesk/", include("propdesk.api.frontdesk")),
    path("", include(router.urls)),
]
