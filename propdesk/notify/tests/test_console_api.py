"""Outbox page, retry action and API: authorization matrix, masking, scoping."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from propdesk.core.models import AuditEvent
from propdesk.notify.models import OutboxMessage, OutboxState
from propdesk.notify.services import outbox_enqueue
from propdesk.testing.counts import row_counts

LIST = "/outbox/"


@pytest.fixture
def msgs(cast):
    sms = outbox_enqueue(
        community_id=cast.alpha.id, channel="sms", to="+8613812345678", subject="报修受理", body="a"
    )
    dead = outbox_enqueue(
        community_id=cast.alpha.id, channel="email", to="zhang.san@example.com", body="b"
    )
    OutboxMessage.objects.filter(pk=dead.pk).update(
        state=OutboxState.DEAD, attempts=6, last_error="SMTPConnectError"
    )
    beta = outbox_enqueue(
        community_id=cast.beta.id, channel="sms", to="+8613900001111", subject="贝塔通知", body="c"
    )
    return {"sms": sms, "dead": dead, "beta": beta}


def _console(user):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _api(user):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def test_outbox_page_matrix_and_r_cus_3_masking(cast, msgs):
    assert _console(None).get(LIST).status_code == 302  # to the login page
    assert _console(cast.owner_alice).get(LIST).status_code == 403
    assert _console(cast.tech_a).get(LIST).status_code == 403  # staff without notify.view
    page = _console(cast.desk_a).get(LIST)
    assert page.status_code == 200
    html = page.content.decode()
    assert "报修受理" in html
    assert "贝塔通知" not in html  # other community
    assert "138****5678" in html
    assert "13812345678" not in html  # R-CUS-3: addresses masked in lists
    assert "z***@example.com" in html
    other = _console(cast.desk_b).get(LIST).content.decode()
    assert "贝塔通知" in other
    assert "报修受理" not in other


def test_outbox_page_filters_by_state_and_channel(cast, msgs):
    html = _console(cast.desk_a).get(LIST, {"state": "dead"}).content.decode()
    assert "SMTPConnectError" in html
    assert "报修受理" not in html
    html = _console(cast.desk_a).get(LIST, {"channel": "sms"}).content.decode()
    assert "报修受理" in html
    assert "SMTPConnectError" not in html


def test_detail_of_another_communitys_message_is_404(cast, msgs):
    assert _console(cast.desk_b).get(f"{LIST}{msgs['sms'].pk}/").status_code == 404
    assert _console(cast.desk_a).get(f"{LIST}{msgs['sms'].pk}/").status_code == 200


def test_retry_matrix_and_denied_requests_change_nothing(cast, msgs):
    url = f"{LIST}{msgs['dead'].pk}/retry/"
    before = row_counts()
    assert _console(None).post(url).status_code == 302
    assert _console(cast.owner_alice).post(url).status_code == 403
    assert _console(cast.tech_a).post(url).status_code == 403
    assert _console(cast.desk_b).post(url).status_code == 404
    assert row_counts() == before
    msgs["dead"].refresh_from_db()
    assert msgs["dead"].state == OutboxState.DEAD
    response = _console(cast.desk_a).post(url)
    assert response.status_code == 302
    msgs["dead"].refresh_from_db()
    assert (msgs["dead"].state, msgs["dead"].attempts) == (OutboxState.PENDING, 0)
    assert AuditEvent.objects.filter(object_type="notify.outboxmessage", note="retry").exists()


def test_retry_of_a_pending_message_is_refused(cast, msgs):
    response = _console(cast.desk_a).post(f"{LIST}{msgs['sms'].pk}/retry/", follow=True)
    assert response.status_code == 200
    msgs["sms"].refresh_from_db()
    assert msgs["sms"].state == OutboxState.PENDING
    assert "只有" in response.content.decode() or "Only failed" in response.content.decode()


def test_nav_shows_the_outbox_to_staff_with_notify_view(cast):
    assert 'href="/outbox/"' in _console(cast.desk_a).get("/").content.decode()
    assert 'href="/outbox/"' not in _console(cast.tech_a).get("/").content.decode()


def test_api_outbox_matrix(cast, msgs):
    url = "/api/outbox/"
    assert _api(None).get(url).status_code in (401, 403)
    assert _api(cast.owner_alice).get(url).status_code == 403
    assert _api(cast.tech_a).get(url).status_code == 403
    rows = _api(cast.desk_a).get(url).json()["results"]
    assert {r["id"] for r in rows} == {msgs["sms"].pk, msgs["dead"].pk}
    assert {r["to"] for r in rows} == {"138****5678", "z***@example.com"}
    rows = _api(cast.desk_b).get(url).json()["results"]
    assert {r["id"] for r in rows} == {msgs["beta"].pk}
    assert _api(cast.desk_b).get(f"{url}{msgs['sms'].pk}/").status_code == 404
    assert _api(cast.desk_a).get(f"{url}{msgs['sms'].pk}/").json()["state"] == "pending"
    assert _api(cast.desk_a).get(url, {"state": "dead"}).json()["count"] == 1


def test_api_outbox_is_read_only(cast, msgs):
    client = _api(cast.desk_a)
    before = row_counts()
    assert client.post("/api/outbox/", {"body": "x"}).status_code == 405
    assert client.delete(f"/api/outbox/{msgs['sms'].pk}/").status_code == 405
    assert row_counts() == before
