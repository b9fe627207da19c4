"""Safe text templates: `{name}` placeholders and nothing else.

`str.format` would let a template read attributes (`{customer.__class__}`) or
index into values; staff edit these texts, so only plain names are accepted and
substitution is done here, piece by piece, never by `format`. `{{` and `}}` are
literal braces.
"""

from __future__ import annotations

import datetime as dt
import string
import zoneinfo
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

_FORMATTER = string.Formatter()


class TemplateSyntaxProblem(ValueError):
    """The text is not a valid template (the message says why, in the user's language)."""


def _pieces(text: str) -> list[tuple[str, str | None]]:
    try:
        parsed = list(_FORMATTER.parse(text))
    except ValueError:
        raise TemplateSyntaxProblem(
            _("Unbalanced braces: write {name} for a placeholder and {{ or }} for a brace.")
        ) from None
    pieces: list[tuple[str, str | None]] = []
    for literal, name, spec, conversion in parsed:
        if name is not None:
            if not name.isidentifier():
                raise TemplateSyntaxProblem(
                    _("“{%(name)s}” is not a placeholder: use a name such as {case_number}.")
                    % {"name": name}
                )
            if spec or conversion:
                raise TemplateSyntaxProblem(
                    _("“{%(name)s}” may not carry a format: write just {%(name)s}.")
                    % {"name": name}
                )
        pieces.append((literal, name))
    return pieces


def placeholders(text: str) -> list[str]:
    """The placeholder names a text uses, in order of first use (raises on bad syntax)."""
    seen: list[str] = []
    for _literal, name in _pieces(text):
        if name is not None and name not in seen:
            seen.append(name)
    return seen


def display_value(value: Any, *, tz: zoneinfo.ZoneInfo | None = None) -> str:
    """How a context value reads in a message: times in the community's zone, no seconds."""
    if isinstance(value, dt.datetime):
        if tz is not None and value.tzinfo is not None:
            value = value.astimezone(tz)
        return str(value.strftime("%Y-%m-%d %H:%M"))
    if isinstance(value, dt.date):
        return value.isoformat()
    return "" if value is None else str(value)


def substitute(
    text: str, context: Mapping[str, Any], *, tz: zoneinfo.ZoneInfo | None = None
) -> str:
    """Fill the placeholders of a valid template; a name missing from `context` raises KeyError."""
    out: list[str] = []
    for literal, name in _pieces(text):
        out.append(literal)
        if name is not None:
            out.append(display_value(context[name], tz=tz))
    return "".join(out)
