from __future__ import annotations

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from . import billing, foundation, notify, search, servicedesk

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
router.register("fee-items", billing.FeeItemViewSet, basename="fee-item")
router.register("price-standards", billing.PriceStandardViewSet, basename="price-standard")
router.register("bills", billing.BillViewSet, basename="bill")
router.register("payments", billing.PaymentViewSet, basename="payment")
router.register("receipts", billing.ReceiptViewSet, basename="receipt")
router.register("billing-runs", billing.BillingRunViewSet, basename="billing-run")
router.register("deposits", billing.DepositViewSet, basename="deposit")
# Later domains register their viewsets here, one line each.

urlpatterns = [
    path("auth/token/", foundation.StaffTokenView.as_view(), name="token"),
    path("search/", search.SearchView.as_view(), name="search"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("frontdesk/", include("propdesk.api.frontdesk")),
    # Billing paths the router does not make (before it, so "payments/<pk>/" does not catch them).
    path("houses/<int:pk>/billing/", billing.HouseBillingView.as_view(), name="house-billing"),
    path("houses/<int:pk>/statement/", billing.StatementView.as_view(), name="house-statement"),
    path("charges/", billing.ChargeView.as_view(), name="charge"),
    path("refunds/", billing.RefundView.as_view(), name="refund"),
    path("billing-approvals/", billing.ApprovalView.as_view(), name="billing-approval"),
    path("payments/online/", billing.OnlineOrderView.as_view(), name="payment-online"),
    path(
        "payments/online/<str:out_trade_no>/",
        billing.OnlineOrderStateView.as_view(),
        name="payment-online-state",
    ),
    path("payments/notify/<str:provider>/", billing.NotifyView.as_view(), name="payment-notify"),
    path("payments/fake-gateway/", billing.fake_pay_page, name="fake-gateway-home"),
    path("payments/fake-gateway/<str:token>/", billing.fake_pay_page, name="fake-gateway-pay"),
    path("", include(router.urls)),
]
