"""Show where a message went without showing the whole address (R-CUS-3)."""

from __future__ import annotations

from propdesk.core.identity import mask_phone


def mask_address(value: str) -> str:
    """`+8613812345678` → `138****5678`; `zhang.san@example.com` → `z***@example.com`."""
    value = value.strip()
    if not value:
        return ""
    if "@" in value:
        local, _, domain = value.partition("@")
        return (local[:1] + "***@" + domain) if local else "***@" + domain
    digits = value.replace(" ", "").replace("-", "")
    if digits.lstrip("+").isdigit():
        return mask_phone(digits)
    return value[:1] + "***"
