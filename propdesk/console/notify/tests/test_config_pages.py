"""Console pages for message templates, quiet hours and a customer's preferences:
authorization matrix, validation shown with nothing written, the live preview."""

from __future__ import annotations

import pytest
from django.test import Client

from propdesk.core.models import AuditEvent
from propdesk.notify.models import (
    ChannelPreference,
    CustomerNotifyProfile,
    MessageTemplate,
    QuietHours,
)

TEMPLATES = "/outbox/templates/"
EDIT = "/outbox/templates/edit/"
PREVIEW = "/outbox/templates/preview/"
QUIET = "/outbox/quiet-hours/"
SMS_RECEIVED = {"event": "case.received", "channel": "sms", "language": "zh-hans"}


def _client(user):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _counts():
    return (
        MessageTemplate.objects.count(),
        QuietHours.objects.count(),
        CustomerNotifyProfile.objects.count(),
        ChannelPreference.objects.count(),
        AuditEvent.objects.count(),
    )


def _prefs_url(customer):
    return f"/outbox/customers/{customer.pk}/preferences/"


@pytest.mark.parametrize(
    "url", [TEMPLATES, EDIT + "?event=case.received&channel=sms&language=zh-hans", QUIET]
)
def test_configuration_pages_matrix(cast, url):
    assert _client(None).get(url).status_code == 302  # to the login page
    assert _client(cast.owner_alice).get(url).status_code == 403
    assert _client(cast.desk_a).get(url).status_code == 403  # no sla.configure
    assert _client(cast.tech_a).get(url).status_code == 403
    assert _client(cast.supervisor_a).get(url).status_code == 200
    assert _client(cast.director_a).get(url).status_code == 200
    assert _client(cast.admin).get(url).status_code == 200


def test_template_list_shows_every_event_and_where_its_text_comes_from(cast):
    html = _client(cast.supervisor_a).get(TEMPLATES).content.decode()
    for code in (
        "case.received",
        "case.completed",
        "billing.reminder",
        "sla.warning",
        "sla.breach",
    ):
        assert code in html
    assert "默认" in html  # the seeded defaults, shown in Chinese
    assert "消息模板" in html


def test_outbox_page_links_the_configuration_for_those_who_may_use_it(cast):
    assert "/outbox/templates/" in _client(cast.supervisor_a).get("/outbox/").content.decode()
    assert "/outbox/templates/" not in _client(cast.desk_a).get("/outbox/").content.decode()


def test_save_a_communitys_own_text_and_go_back_to_the_default(cast):
    client = _client(cast.supervisor_a)
    response = client.post(
        EDIT, {**SMS_RECEIVED, "scope": "community", "body": "阿尔法：{case_number} 已受理"}
    )
    assert response.status_code == 302
    row = MessageTemplate.objects.get(community=cast.alpha)
    assert row.body == "阿尔法：{case_number} 已受理"
    page = client.get(EDIT, SMS_RECEIVED).content.decode()
    assert "阿尔法：A-2026-000123 已受理" in page  # the preview with sample values
    html = client.get(TEMPLATES).content.decode()
    assert "本小区" in html
    response = client.post(EDIT, {**SMS_RECEIVED, "scope": "community", "action": "reset"})
    assert response.status_code == 302
    assert not MessageTemplate.objects.filter(community=cast.alpha).exists()


@pytest.mark.parametrize(
    ("body", "shown"),
    [
        ("工单 {case_no} 已受理", "{case_no}"),
        ("", "必填"),
        ("工单 {case_number", "{{"),
    ],
)
def test_bad_text_is_shown_with_its_reason_and_nothing_is_written(cast, body, shown):
    before = _counts()
    response = _client(cast.supervisor_a).post(
        EDIT, {**SMS_RECEIVED, "scope": "community", "body": body}
    )
    assert response.status_code == 400
    assert shown in response.content.decode()
    assert _counts() == before


def test_only_company_wide_staff_edit_the_default(cast):
    before = _counts()
    response = _client(cast.supervisor_a).post(
        EDIT, {**SMS_RECEIVED, "scope": "default", "body": "x {case_number}"}
    )
    assert response.status_code == 403
    assert _counts() == before
    response = _client(cast.admin).post(
        EDIT, {**SMS_RECEIVED, "scope": "default", "body": "全体：{case_number}"}
    )
    assert response.status_code == 302
    assert (
        MessageTemplate.objects.get(community__isnull=True, **SMS_RECEIVED).body
        == "全体：{case_number}"
    )


def test_denied_template_edits_change_nothing(cast):
    before = _counts()
    for user in (cast.desk_a, cast.owner_alice, cast.tech_a):
        response = _client(user).post(EDIT, {**SMS_RECEIVED, "scope": "community", "body": "x"})
        assert response.status_code == 403
    assert _client(None).post(EDIT, {**SMS_RECEIVED, "body": "x"}).status_code == 302
    assert _counts() == before


def test_unknown_event_is_404(cast):
    response = _client(cast.supervisor_a).get(
        EDIT, {"event": "x", "channel": "sms", "language": "en"}
    )
    assert response.status_code == 404


def test_live_preview_is_a_partial_filled_with_sample_values(cast):
    client = _client(cast.supervisor_a)
    response = client.post(
        PREVIEW,
        {
            "event": "billing.reminder",
            "channel": "sms",
            "subject": "",
            "body": "{customer_name} 欠费 {amount} 元",
        },
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "张伟 欠费 356.00 元" in html
    assert "<html" not in html
    bad = client.post(
        PREVIEW, {"event": "billing.reminder", "channel": "sms", "body": "{case_number}"}
    ).content.decode()
    assert "{case_number}" in bad
    assert (
        _client(cast.desk_a).post(PREVIEW, {"event": "billing.reminder", "body": "x"}).status_code
        == 403
    )


def test_quiet_hours_page_saves_and_shows_errors(cast):
    client = _client(cast.supervisor_a)
    page = client.get(QUIET).content.decode()
    assert 'value="22:00"' in page
    assert 'value="08:00"' in page
    assert "Asia/Shanghai" in page
    before = _counts()
    for start, end in (("25:00", "08:00"), ("22:00", "22:00"), ("", "08:00")):
        response = client.post(QUIET, {"enabled": "1", "start": start, "end": end})
        assert response.status_code == 400
        assert 'class="error"' in response.content.decode()
    assert _counts() == before
    response = client.post(QUIET, {"enabled": "1", "start": "21:30", "end": "07:00"})
    assert response.status_code == 302
    row = QuietHours.objects.get(community=cast.alpha)
    assert (f"{row.start:%H:%M}", f"{row.end:%H:%M}", row.enabled) == ("21:30", "07:00", True)
    assert _client(cast.desk_a).post(QUIET, {"start": "20:00", "end": "09:00"}).status_code == 403
    row.refresh_from_db()
    assert f"{row.start:%H:%M}" == "21:30"


def test_preferences_page_matrix(cast):
    url = _prefs_url(cast.alice)
    assert _client(None).get(url).status_code == 302
    assert _client(cast.owner_alice).get(url).status_code == 403
    assert _client(cast.desk_b).get(url).status_code == 404  # another community's customer
    assert _client(cast.cashier_a).get(url).status_code == 200  # may view customers
    read_only = _client(cast.tech_a).get(url).content.decode()
    assert "disabled" in read_only
    assert "<button>" not in read_only
    page = _client(cast.desk_a).get(url).content.decode()
    assert "消息偏好" in page
    assert cast.alice.name in page


def test_desk_saves_preferences_from_the_page(cast):
    url = _prefs_url(cast.alice)
    response = _client(cast.desk_a).post(
        url,
        {
            "language": "en",
            "sms_opt_out": "1",
            "billing-custom": "1",
            "billing-channels": ["sms", "portal"],
            "billing-preferred": "sms",
            "service-channels": ["sms"],  # not marked as an own choice: ignored
        },
    )
    assert response.status_code == 302
    profile = CustomerNotifyProfile.objects.get(customer=cast.alice)
    assert (profile.language, profile.sms_opt_out) == ("en", True)
    assert list(
        ChannelPreference.objects.values_list("scope", "channels", "preferred_channel")
    ) == [("billing", ["sms", "portal"], "sms")]
    page = _client(cast.desk_a).get(url).content.decode()
    assert 'name="billing-custom" value="1" checked' in page


def test_bad_preferences_are_shown_and_nothing_is_written(cast):
    url = _prefs_url(cast.alice)  # alice has no e-mail address
    before = _counts()
    response = _client(cast.desk_a).post(
        url, {"language": "zh-hans", "all-custom": "1", "all-channels": ["email"]}
    )
    assert response.status_code == 400
    assert "电子邮件地址" in response.content.decode()
    response = _client(cast.desk_a).post(url, {"language": "xx"})
    assert response.status_code == 400
    assert _counts() == before


def test_denied_preference_changes_change_nothing(cast):
    url = _prefs_url(cast.alice)
    before = _counts()
    assert _client(cast.tech_a).post(url, {"language": "en"}).status_code == 403
    assert _client(cast.cashier_a).post(url, {"language": "en"}).status_code == 403
    assert _client(cast.desk_b).post(url, {"language": "en"}).status_code == 404
    assert _client(cast.owner_alice).post(url, {"language": "en"}).status_code == 403
    assert _counts() == before


def test_template_list_query_count_does_not_grow_with_own_texts(cast):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = _client(cast.supervisor_a)
    client.get(TEMPLATES)  # warm the session and caches

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(TEMPLATES).status_code == 200
        return len(ctx.captured_queries)

    before = queries()
    for event in ("case.received", "case.completed", "billing.reminder"):
        for channel in ("sms", "email", "portal"):
            MessageTemplate.objects.create(
                event=event, channel=channel, language="en", community=cast.alpha, body="x"
            )
    assert queries() == before
