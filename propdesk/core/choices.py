"""Choice labels looked up once per language, for pages that list many rows.

`instance.get_status_display()` builds a dict of the field's choices on every
call, casting each lazy label (one gettext per choice): a 50-row queue with three
choice fields did about a thousand translations per request. `labels(Choices)`
casts each label once per language and process.
"""

from __future__ import annotations

from functools import cache

from django.db.models import Choices
from django.utils.translation import get_language


@cache
def _labels(choices: type[Choices], language: str | None) -> dict[str, str]:
    return {str(value): str(label) for value, label in choices.choices}


def labels(choices: type[Choices]) -> dict[str, str]:
    """{value: label} of a TextChoices class in the active language."""
    return _labels(choices, get_language())
