"""outbox_enqueue_event: the recipient's language and channel preferences decide."""

from __future__ import annotations

import pytest
from django.db import transaction

from propdesk.core.errors import Forbidden, Invalid, NotFound
from propdesk.core.models import AuditEvent
from propdesk.notify.events import EVENTS
from propdesk.notify.models import ChannelPreference, CustomerNotifyProfile, OutboxMessage
from propdesk.notify.services import (
    ScopePreference,
    customer_notify_preferences_set,
    outbox_enqueue_event,
)

CASE = {k: v for k, v in EVENTS["case.completed"].sample.items() if k not in {"customer_name"}}
BILL = {
    k: v
    for k, v in EVENTS["billing.reminder"].sample.items()
    if k not in {"customer_name", "community_name", "service_phone"}
}


def _prefs(cast, *prefs, language="zh-hans", sms_opt_out=False, customer=None, actor=None):
    return customer_notify_preferences_set(
        actor=actor or cast.desk_a,
        customer_id=(customer or cast.alice).id,
        language=language,
        sms_opt_out=sms_opt_out,
        preferences=list(prefs),
    )


def _send(cast, event="case.completed", context=None, customer=None, **kw):
    return outbox_enqueue_event(
        event=event,
        context=CASE if context is None else context,
        community_id=cast.alpha.id,
        customer_id=(customer or cast.alice).id,
        **kw,
    )


def _channels(messages):
    return sorted(m.channel for m in messages)


def test_without_preferences_the_events_default_channels_in_chinese(cast):
    messages = _send(cast, ref_type="case", ref_id="9")
    assert _channels(messages) == ["portal", "sms"]
    sms = next(m for m in messages if m.channel == "sms")
    assert sms.event == "case.completed"
    assert "A-2026-000123" in sms.body
    assert "已处理完成" in sms.body
    assert (sms.ref_type, sms.ref_id) == ("case", "9")


def test_community_and_customer_values_are_filled_in(cast):
    cast.alpha.phone = "0571-12345678"
    cast.alpha.save(update_fields=["phone"])
    context = {k: v for k, v in CASE.items() if k not in {"community_name", "service_phone"}}
    _portal, sms = sorted(
        _send(cast, context=context, channels=["sms", "portal"]), key=lambda m: m.channel
    )
    assert "0571-12345678" in sms.body
    email = _send(cast, context=context, channels=["email"])
    assert email == []  # alice has no e-mail address: the channel is dropped
    cast.alice.email = "zhang.wei@example.com"
    cast.alice.save(update_fields=["email"])
    (email,) = _send(cast, context=context, channels=["email"])
    assert email.body.startswith("张伟，您好")
    assert cast.alpha.name in email.body


def test_english_speaker_gets_english(cast):
    _prefs(cast, language="en")
    messages = _send(cast)
    assert all("completed" in m.body for m in messages)


def test_category_preference_replaces_the_defaults_and_the_event_one_wins(cast):
    cast.alice.email = "zhang.wei@example.com"
    cast.alice.save(update_fields=["email"])
    _prefs(
        cast,
        ScopePreference(scope="service", channels=["email", "portal"]),
        ScopePreference(scope="case.completed", channels=["portal"]),
    )
    assert _channels(_send(cast, event="case.completed")) == ["portal"]
    received = EVENTS["case.received"].sample
    assert _channels(_send(cast, event="case.received", context=received)) == ["email", "portal"]
    # Billing is another category: the defaults apply.
    assert _channels(_send(cast, event="billing.reminder", context=BILL)) == ["portal", "sms"]


def test_preferred_channel_alone_when_reachable(cast):
    _prefs(cast, ScopePreference(scope="", channels=["sms", "portal"], preferred_channel="sms"))
    assert _channels(_send(cast)) == ["sms"]


def test_sms_opt_out_drops_non_essential_sms_only(cast):
    _prefs(cast, sms_opt_out=True)
    assert _channels(_send(cast)) == ["portal"]
    assert _channels(_send(cast, event="billing.reminder", context=BILL)) == ["portal", "sms"]
    assert _channels(_send(cast, urgent=True, dedupe_key="burst")) == ["portal", "sms"]


def test_essential_message_reaches_the_portal_when_preferences_leave_nothing(cast):
    _prefs(cast, ScopePreference(scope="", channels=[]))
    assert _send(cast) == []  # the customer wants nothing that is not essential
    assert _channels(_send(cast, event="billing.reminder", context=BILL)) == ["portal"]


def test_staff_recipient_in_their_language_on_staff_channels(cast):
    cast.supervisor_a.language = "en"
    cast.supervisor_a.email = ""
    cast.supervisor_a.save(update_fields=["language", "email"])
    sample = EVENTS["sla.breach"].sample
    (alert,) = outbox_enqueue_event(
        event="sla.breach",
        context=sample,
        community_id=cast.alpha.id,
        staff_user_id=cast.supervisor_a.id,
        channels=["staff", "email", "sms"],  # no address: e-mail dropped; sms not a staff channel
        dedupe_key="sla:1:breach",
    )
    assert alert.channel == "staff"
    assert alert.subject == "R-CMP-4 overdue: A-2026-000123"
    assert alert.dedupe_key == "sla:1:breach:staff"


def test_dedupe_key_is_per_channel_and_a_repeat_sends_nothing_new(cast):
    first = _send(cast, dedupe_key="case:9:completed")
    again = _send(cast, dedupe_key="case:9:completed")
    assert {m.pk for m in first} == {m.pk for m in again}
    assert OutboxMessage.objects.count() == 2


def test_bad_calls_are_refused_naming_the_field_and_nothing_is_written(cast):
    with pytest.raises(Invalid) as exc:
        outbox_enqueue_event(event="nope", context={}, community_id=cast.alpha.id)
    assert set(exc.value.errors) == {"event", "customer_id"}
    with pytest.raises(Invalid) as exc:
        _send(cast, context={"case_number": "A-1"})
    assert "context.case_title" in exc.value.errors
    with pytest.raises(Invalid) as exc:
        _send(cast, customer=cast.carol_b)
    assert "customer_id" in exc.value.errors
    with pytest.raises(Invalid) as exc:
        _send(cast, channels=["fax"])
    assert "channels" in exc.value.errors
    assert OutboxMessage.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_rolled_back_caller_leaves_no_message(cast):
    def change_that_fails():
        with transaction.atomic():
            _send(cast)
            raise RuntimeError("the caller's change failed")

    with pytest.raises(RuntimeError):
        change_that_fails()
    assert OutboxMessage.objects.count() == 0


# --- the preferences service ----------------------------------------------------------


def test_preferences_replace_the_previous_ones_and_are_audited(cast):
    _prefs(cast, ScopePreference(scope="service", channels=["portal"]), sms_opt_out=True)
    _prefs(cast, ScopePreference(scope="billing", channels=["sms"], preferred_channel="sms"))
    assert list(
        ChannelPreference.objects.values_list("scope", "channels", "preferred_channel")
    ) == [("billing", ["sms"], "sms")]
    profile = CustomerNotifyProfile.objects.get(customer=cast.alice)
    assert profile.sms_opt_out is False
    assert profile.community_id == cast.alpha.id
    assert AuditEvent.objects.filter(object_type="notify.customernotifyprofile").count() == 2


@pytest.mark.parametrize(
    ("prefs", "language", "field"),
    [
        ([], "fr", "language"),
        ([ScopePreference(scope="parking", channels=["sms"])], "en", "preferences.parking"),
        ([ScopePreference(scope="", channels=["staff"])], "en", "preferences.*.channels"),
        ([ScopePreference(scope="", channels=["email"])], "en", "preferences.*.channels"),
        (
            [ScopePreference(scope="billing", channels=["portal"], preferred_channel="sms")],
            "en",
            "preferences.billing.preferred_channel",
        ),
        (
            [ScopePreference(scope="", channels=[]), ScopePreference(scope="", channels=[])],
            "en",
            "preferences.*",
        ),
    ],
)
def test_bad_preferences_are_refused_naming_the_field_and_nothing_is_written(
    cast, prefs, language, field
):
    with pytest.raises(Invalid) as exc:
        _prefs(cast, *prefs, language=language)
    assert field in exc.value.errors
    assert not CustomerNotifyProfile.objects.exists()
    assert not ChannelPreference.objects.exists()
    assert not AuditEvent.objects.filter(object_type="notify.customernotifyprofile").exists()


def test_who_may_set_preferences(cast):
    with pytest.raises(Forbidden):
        _prefs(cast, actor=cast.tech_a)  # may view customers, not change them
    with pytest.raises(NotFound):
        _prefs(cast, actor=cast.desk_b)  # another community's customer
    with pytest.raises(Forbidden):
        _prefs(cast, actor=cast.owner_alice)  # owners do not use the console service
    assert not CustomerNotifyProfile.objects.exists()
