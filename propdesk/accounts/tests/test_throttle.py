"""Lock-out after wrong passwords: console log-in, the API token endpoint, the approver."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from propdesk.accounts.models import AuthFailure
from propdesk.testing.cast import PASSWORD

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)


def log_in(client, username, password):
    return client.post(reverse("console:login"), {"username": username, "password": password})


def test_five_wrong_passwords_lock_the_user_name_even_for_the_right_one(client, cast):
    with time_machine.travel(T0, tick=False):
        for _ in range(5):
            assert log_in(client, "desk_a", "wrong").status_code == 200
        response = log_in(client, "DESK_A", PASSWORD)  # the name, not its spelling
        assert response.status_code == 200
        assert "_auth_user_id" not in client.session
        errors = response.context["form"].non_field_errors().as_data()
        assert [e.code for e in errors] == ["locked"]
        assert "17:15" in str(errors[0].message % errors[0].params)  # 09:15 UTC in Shanghai
        assert "17:15" in response.content.decode()  # and the page says so
    with time_machine.travel(T0 + dt.timedelta(minutes=15, seconds=1), tick=False):
        assert log_in(client, "desk_a", PASSWORD).status_code == 302
        assert AuthFailure.objects.count() == 0  # the right password clears the count


def test_failures_older_than_the_window_do_not_count(client, cast):
    for minute in range(4):
        with time_machine.travel(T0 + dt.timedelta(minutes=minute), tick=False):
            log_in(client, "desk_a", "wrong")
    with time_machine.travel(T0 + dt.timedelta(minutes=16), tick=False):
        log_in(client, "desk_a", "wrong")  # the first has aged out: 4 in the window
        assert log_in(client, "desk_a", PASSWORD).status_code == 302


def test_another_user_name_is_not_locked(client, cast):
    with time_machine.travel(T0, tick=False):
        for _ in range(6):
            log_in(client, "desk_a", "wrong")
        assert log_in(client, "desk_b", PASSWORD).status_code == 302


def test_the_api_token_endpoint_is_locked_too(cast):
    from rest_framework.test import APIClient

    api = APIClient()
    url = "/api/auth/token/"
    with time_machine.travel(T0, tick=False):
        for _ in range(5):
            assert api.post(url, {"username": "desk_a", "password": "x"}).status_code == 400
        assert api.post(url, {"username": "desk_a", "password": PASSWORD}).status_code == 400
    with time_machine.travel(T0 + dt.timedelta(minutes=20), tick=False):
        assert api.post(url, {"username": "desk_a", "password": PASSWORD}).status_code == 200


def test_limits_are_settings(client, cast, settings):
    settings.PROPDESK_AUTH_MAX_FAILURES = 2
    with time_machine.travel(T0, tick=False):
        log_in(client, "desk_a", "wrong")
        log_in(client, "desk_a", "wrong")
        assert log_in(client, "desk_a", PASSWORD).status_code == 200
    settings.PROPDESK_AUTH_MAX_FAILURES = 0  # 0 switches the lock-out off
    with time_machine.travel(T0, tick=False):
        assert log_in(client, "desk_a", PASSWORD).status_code == 302


def test_an_administrator_unlocks_a_name_by_deleting_its_failures(client, cast, django_user_model):
    with time_machine.travel(T0, tick=False):
        for _ in range(5):
            log_in(client, "desk_a", "wrong")
        root = django_user_model.objects.create_superuser("root", password="x-Root-pass-9")
        client.force_login(root)
        page = client.get(reverse("admin:accounts_authfailure_changelist"))
        assert page.status_code == 200
        assert "login:desk_a" in page.content.decode()
        ids = list(AuthFailure.objects.filter(key="login:desk_a").values_list("pk", flat=True))
        client.post(
            reverse("admin:accounts_authfailure_changelist"),
            {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
        )
        client.logout()
        assert log_in(client, "desk_a", PASSWORD).status_code == 302
