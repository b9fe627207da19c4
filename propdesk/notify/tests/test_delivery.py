"""The sender: channels, retries with backoff, dead letters, at-most-once per row."""

from __future__ import annotations

import datetime as dt
import socket

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from propdesk.notify.channels.sms import aliyun_string_to_sign, percent_encode
from propdesk.notify.delivery import outbox_deliver_due
from propdesk.notify.models import OutboxMessage, OutboxState, PortalMessage, StaffAlert
from propdesk.notify.services import outbox_enqueue

from .fakes import FakeAliyun

SECRET = "test-secret"


@pytest.fixture
def aliyun_settings(settings):
    settings.NOTIFY_SMS_BACKEND = "aliyun"
    settings.ALIYUN_SMS_ACCESS_KEY_ID = "test-id"
    settings.ALIYUN_SMS_ACCESS_KEY_SECRET = SECRET
    settings.ALIYUN_SMS_SIGN_NAME = "翠湖物业"
    settings.ALIYUN_SMS_TEMPLATE_CODE = "SMS_000001"
    settings.NOTIFY_RETRY_BASE_SECONDS = 10
    return settings


def _sms(cast, body="您的报修已派工", **kw):
    return outbox_enqueue(community_id=cast.alpha.id, channel="sms", body=body, **kw)


def test_demo_sms_records_what_it_would_send_as_sent_demo(cast):
    message = _sms(cast, customer_id=cast.alice.id)
    assert outbox_deliver_due() == 1
    message.refresh_from_db()
    assert message.state == OutboxState.SENT_DEMO
    assert message.backend == "sms-demo"
    assert "****" in message.delivered_to  # the phone, masked (R-CUS-3)
    assert message.attempts == 1
    assert message.sent_at is not None


def test_portal_message_lands_in_the_owners_inbox_once(cast):
    message = outbox_enqueue(
        community_id=cast.alpha.id,
        channel="portal",
        customer_id=cast.alice.id,
        subject="报修进度",
        body="师傅已出发",
        ref_type="case",
        ref_id="7",
    )
    outbox_deliver_due()
    inbox = PortalMessage.objects.get(customer=cast.alice)
    assert (inbox.subject, inbox.ref_id, inbox.outbox_id) == ("报修进度", "7", message.pk)
    message.refresh_from_db()
    assert message.state == OutboxState.SENT


def test_staff_alert_is_unread_for_the_staff_member(cast):
    outbox_enqueue(
        community_id=cast.alpha.id, channel="staff", staff_user_id=cast.desk_a.id, body="超时预警"
    )
    outbox_deliver_due()
    alert = StaffAlert.objects.get(user=cast.desk_a)
    assert alert.read_at is None


def test_sms_without_a_number_is_dead_at_once(cast):
    cast.bob.phone_cipher = ""
    cast.bob.save(update_fields=["phone_cipher"])
    message = _sms(cast, customer_id=cast.bob.id)
    outbox_deliver_due()
    message.refresh_from_db()
    assert message.state == OutboxState.DEAD
    assert "no mobile number" in message.last_error


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Inbox:
    def __init__(self) -> None:
        self.envelopes: list[object] = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def test_email_goes_through_django_smtp_to_a_real_smtp_server(cast, settings):
    inbox = _Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings.NOTIFY_EMAIL_BACKEND = "smtp"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = port
        message = outbox_enqueue(
            community_id=cast.alpha.id,
            channel="email",
            to="zhang.san@example.com",
            subject="缴费提醒",
            body="您本月物业费已出账。",
        )
        outbox_deliver_due()
    finally:
        controller.stop()
    message.refresh_from_db()
    assert message.state == OutboxState.SENT
    assert len(inbox.envelopes) == 1
    envelope = inbox.envelopes[0]
    assert envelope.rcpt_tos == ["zhang.san@example.com"]
    assert f"outbox-{message.pk}@propdesk".encode() in envelope.content


def test_email_to_a_closed_port_fails_and_is_retried_later(cast, settings):
    settings.NOTIFY_EMAIL_BACKEND = "smtp"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = _free_port()  # nothing listens there
    now = timezone.now()
    message = outbox_enqueue(
        community_id=cast.alpha.id, channel="email", to="a@example.com", body="x", now=now
    )
    outbox_deliver_due(now=now)
    message.refresh_from_db()
    assert message.state == OutboxState.FAILED
    assert message.next_attempt_at > now
    assert message.last_error


def test_aliyun_percent_encoding_follows_rfc3986():
    assert percent_encode("a b*c~d/é") == "a%20b%2Ac~d%2F%C3%A9"
    sts = aliyun_string_to_sign("POST", {"B": "2", "A": "1 2"})
    assert sts == "POST&%2F&A%3D1%25202%26B%3D2"


def test_aliyun_sendsms_signed_request_is_accepted_by_the_provider(cast, aliyun_settings):
    with FakeAliyun(SECRET) as fake:
        aliyun_settings.ALIYUN_SMS_ENDPOINT = fake.url
        message = _sms(cast, to="+8613800138000")
        outbox_deliver_due()
    message.refresh_from_db()
    assert message.state == OutboxState.SENT, message.last_error
    assert message.backend == "aliyun"
    assert message.provider_message_id.startswith("biz-")
    sent = fake.requests[0]
    assert sent["PhoneNumbers"] == "13800138000"
    assert sent["SignName"] == "翠湖物业"
    assert sent["TemplateCode"] == "SMS_000001"
    assert sent["TemplateParam"] == '{"content": "您的报修已派工"}'
    assert sent["OutId"] == str(message.pk)


def test_aliyun_wrong_secret_is_refused_and_retried(cast, aliyun_settings):
    with FakeAliyun("another-secret") as fake:
        aliyun_settings.ALIYUN_SMS_ENDPOINT = fake.url
        message = _sms(cast, to="+8613800138000")
        outbox_deliver_due()
    message.refresh_from_db()
    assert message.state == OutboxState.FAILED
    assert "SignatureDoesNotMatch" in message.last_error


def test_provider_failing_30_percent_delivers_everything_once(cast, aliyun_settings):
    aliyun_settings.NOTIFY_MAX_ATTEMPTS = 20
    now = timezone.now()
    with FakeAliyun(SECRET, fail_every=3) as fake:
        aliyun_settings.ALIYUN_SMS_ENDPOINT = fake.url
        ids = [_sms(cast, to="+8613800138000", body=f"通知 {i}").pk for i in range(20)]
        for step in range(30):
            outbox_deliver_due(now=now + dt.timedelta(hours=step))
            if not OutboxMessage.objects.exclude(state=OutboxState.SENT).exists():
                break
    assert set(OutboxMessage.objects.values_list("state", flat=True)) == {OutboxState.SENT}
    assert fake.delivered == {str(pk): 1 for pk in ids}
    assert fake.calls > 20  # some calls failed and were retried


def test_backoff_doubles_and_the_message_dies_after_max_attempts(cast, settings):
    settings.NOTIFY_EMAIL_BACKEND = "smtp"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = _free_port()
    settings.NOTIFY_MAX_ATTEMPTS = 3
    settings.NOTIFY_RETRY_BASE_SECONDS = 60
    now = timezone.now()
    message = outbox_enqueue(
        community_id=cast.alpha.id, channel="email", to="a@example.com", body="x", now=now
    )
    delays = []
    for _ in range(3):
        outbox_deliver_due(now=now)
        message.refresh_from_db()
        delays.append((message.next_attempt_at - now).total_seconds())
        now = message.next_attempt_at
    assert delays[:2] == [60, 120]
    assert message.state == OutboxState.DEAD
    assert message.attempts == 3
    assert outbox_deliver_due(now=now + dt.timedelta(days=1)) == 0  # dead stays dead


def test_not_due_yet_is_not_claimed(cast):
    now = timezone.now()
    outbox_enqueue(
        community_id=cast.alpha.id,
        channel="staff",
        staff_user_id=cast.desk_a.id,
        body="x",
        now=now + dt.timedelta(minutes=5),
    )
    assert outbox_deliver_due(now=now) == 0
    assert outbox_deliver_due(now=now + dt.timedelta(minutes=5)) == 1


def test_a_worker_that_died_mid_send_leaves_the_row_for_another_after_the_lease(cast, settings):
    settings.WORKER_LEASE_SECONDS = 300
    now = timezone.now()
    message = outbox_enqueue(
        community_id=cast.alpha.id, channel="portal", customer_id=cast.alice.id, body="x", now=now
    )
    # The first worker claims and dies before recording anything.
    OutboxMessage.objects.filter(pk=message.pk).update(
        state=OutboxState.SENDING, attempts=1, next_attempt_at=now + dt.timedelta(seconds=300)
    )
    assert outbox_deliver_due(now=now + dt.timedelta(seconds=299)) == 0
    assert outbox_deliver_due(now=now + dt.timedelta(seconds=300)) == 1
    message.refresh_from_db()
    assert (message.state, message.attempts) == (OutboxState.SENT, 2)
    assert PortalMessage.objects.filter(outbox=message).count() == 1


def test_staff_alert_badge_counts_unread_and_only_the_owner_marks_read(cast):
    from propdesk.notify.selectors import staff_alerts_unread_count
    from propdesk.notify.services import staff_alert_mark_read

    outbox_enqueue(
        community_id=cast.alpha.id, channel="staff", staff_user_id=cast.desk_a.id, body="x"
    )
    outbox_deliver_due()
    alert = StaffAlert.objects.get()
    assert staff_alerts_unread_count(cast.desk_a) == 1
    assert staff_alert_mark_read(actor=cast.steward_a, alert_id=alert.pk) == 0
    assert staff_alert_mark_read(actor=cast.desk_a, alert_id=alert.pk) == 1
    assert staff_alerts_unread_count(cast.desk_a) == 0


def test_r_cus_3_demo_sms_never_stores_the_full_number(cast):
    message = _sms(cast, customer_id=cast.alice.id)
    outbox_deliver_due()
    message.refresh_from_db()
    from propdesk.core.crypto import decrypt

    full = decrypt(cast.alice.phone_cipher)
    assert full[-4:] in message.delivered_to
    assert full.removeprefix("+86") not in message.delivered_to
    assert message.to == ""  # the number is resolved at send time, never copied
