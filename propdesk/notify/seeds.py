"""Copy the built-in message texts into the table as the editable defaults (community = null)."""

from __future__ import annotations

from typing import Any

from .events import BUILTIN_TEMPLATES


def seed(model: Any) -> int:
    """Add the default rows that are missing (idempotent); return how many were added."""
    have = set(
        model.objects.filter(community__isnull=True).values_list("event", "channel", "language")
    )
    rows = [
        model(event=event, channel=channel, language=language, subject=subject, body=body)
        for (event, channel, language), (subject, body) in sorted(BUILTIN_TEMPLATES.items())
        if (event, channel, language) not in have
    ]
    model.objects.bulk_create(rows)
    return len(rows)


def seed_templates(apps: Any, schema_editor: Any) -> None:
    seed(apps.get_model("notify", "MessageTemplate"))


def unseed_templates(apps: Any, schema_editor: Any) -> None:
    apps.get_model("notify", "MessageTemplate").objects.filter(community=None).delete()
