"""The floor: the cheapest request of the same kind as the console pages."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseForbidden

from propdesk.customers.models import Customer


def floor_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Same middleware and session login as a console page, then one primary-key SELECT."""
    if not request.user.is_authenticated:
        return HttpResponseForbidden()
    name = Customer.objects.filter(pk=pk).values_list("name", flat=True).first()
    return HttpResponse(name or "", content_type="text/plain; charset=utf-8")
