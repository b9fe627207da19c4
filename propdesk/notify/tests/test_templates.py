"""Message templates: safe placeholders, the lookup order, and staff edits validated."""

from __future__ import annotations

import pytest

from propdesk.core.errors import Forbidden, Invalid, NotFound
from propdesk.core.models import AuditEvent
from propdesk.notify.events import BUILTIN_TEMPLATES, EVENTS, LANGUAGE_CODES
from propdesk.notify.models import MessageTemplate
from propdesk.notify.rendering import TemplateSyntaxProblem, placeholders, substitute
from propdesk.notify.seeds import seed
from propdesk.notify.services import (
    message_preview,
    message_render,
    message_template_reset,
    message_template_save,
    normalise_language,
)

CTX = EVENTS["case.received"].sample


def _save(cast, actor=None, **kw):
    fields = {
        "actor": actor or cast.supervisor_a,
        "event": "case.received",
        "channel": "sms",
        "language": "zh-hans",
        "community_id": cast.alpha.id,
        "subject": "",
        "body": "阿尔法：工单 {case_number} 已受理",
    }
    fields.update(kw)
    return message_template_save(**fields)


def test_every_event_ships_a_text_for_each_of_its_channels_and_languages():
    for spec in EVENTS.values():
        for channel in spec.channels:
            for language in LANGUAGE_CODES:
                subject, body = BUILTIN_TEMPLATES[(spec.code, channel, language)]
                assert body
                used = set(placeholders(subject)) | set(placeholders(body))
                assert used <= set(spec.variables), (spec.code, channel, language)
                assert set(spec.sample) == set(spec.variables), spec.code


def test_placeholders_are_plain_names_only():
    assert placeholders("{a} and {b} and {a}, {{literal}}") == ["a", "b"]
    for bad in ("{customer.__class__}", "{0}", "{}", "{a[0]}", "{a!r}", "{a:>5}", "{a", "a}"):
        with pytest.raises(TemplateSyntaxProblem):
            placeholders(bad)


def test_substitute_never_reads_attributes_and_keeps_literal_braces():
    assert substitute("{{x}} {name}", {"name": "张伟"}) == "{x} 张伟"
    with pytest.raises(KeyError):
        substitute("{missing}", {})


def test_languages_are_normalised():
    assert normalise_language("zh-Hans") == "zh-hans"
    assert normalise_language("zh_CN") == "zh-hans"
    assert normalise_language("en-US") == "en"
    assert normalise_language("fr") == "zh-hans"  # the install's default
    assert normalise_language(None) == "zh-hans"


def test_the_data_migration_seeded_every_default_text(db):
    expected = {
        (e, c, lang) for e, s in EVENTS.items() for c in s.channels for lang in LANGUAGE_CODES
    }
    have = set(
        MessageTemplate.objects.filter(community__isnull=True).values_list(
            "event", "channel", "language"
        )
    )
    assert have == expected
    assert seed(MessageTemplate) == 0  # idempotent


def test_render_prefers_the_communitys_text_then_the_default_then_built_in(cast):
    rendered = message_render(event="case.received", channel="sms", language="zh-Hans", context=CTX)
    assert rendered.source == "default"
    assert "A-2026-000123" in rendered.body
    MessageTemplate.objects.filter(community__isnull=True).delete()  # as after a test flush
    assert (
        message_render(event="case.received", channel="sms", language="zh-hans", context=CTX).source
        == "builtin"
    )
    _save(cast)
    own = message_render(
        event="case.received",
        channel="sms",
        language="zh-hans",
        context=CTX,
        community_id=cast.alpha.id,
    )
    assert (own.source, own.body) == ("community", "阿尔法：工单 A-2026-000123 已受理")
    other = message_render(
        event="case.received",
        channel="sms",
        language="zh-hans",
        context=CTX,
        community_id=cast.beta.id,
    )
    assert other.source == "builtin"


def test_render_in_english_and_falls_back_to_chinese_for_unknown_languages(cast):
    en = message_render(
        event="case.completed",
        channel="portal",
        language="en",
        context={**EVENTS["case.completed"].sample},
    )
    assert en.subject == "Request completed: A-2026-000123"
    assert en.language == "en"
    fr = message_render(
        event="case.completed",
        channel="portal",
        language="fr",
        context=EVENTS["case.completed"].sample,
    )
    assert fr.language == "zh-hans"


def test_render_refuses_unknown_events_channels_and_missing_values(cast):
    with pytest.raises(Invalid) as exc:
        message_render(event="case.nope", channel="sms", language="en", context={})
    assert "event" in exc.value.errors
    with pytest.raises(Invalid) as exc:
        message_render(event="sla.breach", channel="sms", language="en", context={})
    assert "channel" in exc.value.errors
    with pytest.raises(Invalid) as exc:
        message_render(event="case.received", channel="sms", language="zh-hans", context={})
    assert any(f.startswith("context.") for f in exc.value.errors)


def test_staff_save_a_communitys_own_text_audited(cast):
    row = _save(cast, subject="")
    assert row.community_id == cast.alpha.id
    assert row.updated_by == cast.supervisor_a
    again = _save(cast, body="工单 {case_number}（{case_title}）已受理")
    assert again.pk == row.pk
    assert MessageTemplate.objects.filter(community=cast.alpha).count() == 1
    assert AuditEvent.objects.filter(object_type="notify.messagetemplate").count() == 2


@pytest.mark.parametrize(
    ("body", "subject", "field", "words"),
    [
        ("工单 {case_no} 已受理", "", "body", "{case_no}"),
        ("   ", "", "body", ""),
        ("工单 {case_number", "", "body", ""),
        ("工单 {case_number:>10}", "", "body", ""),
        ("工单 {case.number}", "", "body", ""),
        ("ok {case_number}", "{nope}", "subject", "{nope}"),
        ("ok", "x" * 201, "subject", "200"),
    ],
)
def test_bad_texts_are_refused_naming_the_field_and_nothing_is_written(
    cast, body, subject, field, words
):
    before = MessageTemplate.objects.count(), AuditEvent.objects.count()
    with pytest.raises(Invalid) as exc:
        _save(cast, body=body, subject=subject, channel="email")
    assert field in exc.value.errors
    assert words in " ".join(str(m) for m in exc.value.errors[field])
    assert (MessageTemplate.objects.count(), AuditEvent.objects.count()) == before


def test_unknown_placeholder_error_lists_what_the_event_offers(cast):
    with pytest.raises(Invalid) as exc:
        _save(cast, body="{amount}")
    message = str(exc.value.errors["body"][0])
    assert "{amount}" in message
    assert "{case_number}" in message


def test_unknown_event_channel_or_language_is_refused(cast):
    with pytest.raises(Invalid) as exc:
        _save(cast, event="x.y", language="fr")
    assert set(exc.value.errors) >= {"event", "language"}
    with pytest.raises(Invalid) as exc:
        _save(cast, event="sla.breach", channel="sms")
    assert "channel" in exc.value.errors


def test_who_may_edit_texts(cast):
    with pytest.raises(Forbidden):
        _save(cast, actor=cast.desk_a)  # no sla.configure
    with pytest.raises(NotFound):
        _save(cast, community_id=cast.beta.id)  # another community
    with pytest.raises(Forbidden):
        _save(cast, community_id=None)  # the default is every community's
    row = _save(cast, actor=cast.admin, community_id=None)
    assert row.community_id is None
    assert (
        MessageTemplate.objects.filter(community__isnull=True, event="case.received").count() == 6
    )


def test_reset_drops_the_own_text_then_the_default(cast):
    _save(cast)
    assert message_template_reset(
        actor=cast.supervisor_a,
        event="case.received",
        channel="sms",
        language="zh-hans",
        community_id=cast.alpha.id,
    )
    assert not MessageTemplate.objects.filter(community=cast.alpha).exists()
    assert not message_template_reset(
        actor=cast.supervisor_a,
        event="case.received",
        channel="sms",
        language="zh-hans",
        community_id=cast.alpha.id,
    )
    with pytest.raises(Forbidden):
        message_template_reset(
            actor=cast.supervisor_a,
            event="case.received",
            channel="sms",
            language="zh-hans",
            community_id=None,
        )


def test_preview_fills_sample_values_and_refuses_what_save_refuses(cast):
    shown = message_preview(
        actor=cast.supervisor_a,
        event="billing.reminder",
        channel="sms",
        subject="",
        body="{customer_name} 欠费 {amount} 元",
    )
    assert shown.body == "张伟 欠费 356.00 元"
    with pytest.raises(Invalid):
        message_preview(
            actor=cast.supervisor_a, event="billing.reminder", channel="sms", subject="", body="{x}"
        )
    with pytest.raises(Forbidden):
        message_preview(
            actor=cast.desk_a, event="billing.reminder", channel="sms", subject="", body="a"
        )
