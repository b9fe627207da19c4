"""The approver's password of a billing correction locks after repeated wrong tries."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from propdesk.billing.models import Payment

from .conftest import login, pay

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)


def test_five_wrong_approver_passwords_lock_the_approver(client, cast, billed):
    payment = pay(cast, amount="467.50")
    login(client, cast.cashier_a)
    url = reverse("console:billing:payment-void", args=[payment.pk])
    form = {"reason": "收错户", "approver": cast.director_a.pk}
    with time_machine.travel(T0, tick=False):
        for _ in range(5):
            response = client.post(url, {**form, "approver_password": "guess"})
            assert response.status_code == 400
        response = client.post(url, {**form, "approver_password": "demo-pass-123"})
        assert response.status_code == 400
        [message] = response.context["out"].errors["approver_password"]
        assert "17:15" in str(message)
        assert not Payment.objects.get(pk=payment.pk).voided_at
    with time_machine.travel(T0 + dt.timedelta(minutes=16), tick=False):
        response = client.post(url, {**form, "approver_password": "demo-pass-123"})
        assert response.status_code == 302
        assert Payment.objects.get(pk=payment.pk).voided_at
