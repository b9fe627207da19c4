"""Upload checks shared by every domain: size, and type by content (not by name)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.utils.translation import gettext as _

from .errors import Invalid

# The first bytes of each accepted format; the client's claimed type is ignored.
_SIGNATURES: tuple[tuple[bytes, int, str, str], ...] = (
    (b"%PDF-", 0, "application/pdf", "pdf"),
    (b"\xff\xd8\xff", 0, "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png", "png"),
    (b"WEBP", 8, "image/webp", "webp"),
)
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
DOCUMENT_TYPES = IMAGE_TYPES | {"application/pdf"}


@dataclass(frozen=True)
class CheckedUpload:
    content_type: str
    extension: str
    size: int
    sha256: str


def check_upload(
    upload: IO[bytes],
    *,
    field: str = "file",
    allowed: frozenset[str] = DOCUMENT_TYPES,
    max_bytes: int | None = None,
) -> CheckedUpload:
    """Refuse empty, oversized or wrongly typed files; name the field and the reason."""
    limit = max_bytes or settings.PROPDESK_UPLOAD_MAX_BYTES
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, 2)
        size = upload.tell()
    upload.seek(0)
    if size == 0:
        raise Invalid.field(field, _("The file is empty."))
    if size > limit:
        raise Invalid.field(
            field,
            _("The file is %(size).1f MB; at most %(limit).1f MB is allowed.")
            % {"size": size / 1048576, "limit": limit / 1048576},
        )
    head = upload.read(16)
    upload.seek(0)
    for magic, offset, content_type, extension in _SIGNATURES:
        if head[offset : offset + len(magic)] == magic and content_type in allowed:
            digest = hashlib.sha256()
            for chunk in iter(lambda: upload.read(65536), b""):
                digest.update(chunk)
            upload.seek(0)
            return CheckedUpload(content_type, extension, size, digest.hexdigest())
    names = ", ".join(sorted(ext for _m, _o, ct, ext in _SIGNATURES if ct in allowed))
    raise Invalid.field(
        field, _("This file type is not accepted; allowed: %(types)s.") % {"types": names}
    )


SIGNATURE_MAX_BYTES = 512 * 1024


def signature_from_data_url(data_url: str, *, field: str = "signature") -> bytes:
    """Decode a signature drawn on a canvas (`data:image/png;base64,…`) and check it is a PNG."""
    import base64
    import binascii
    import io

    prefix = "data:image/png;base64,"
    if not data_url.startswith(prefix):
        raise Invalid.field(field, _("The signature must be a PNG image drawn on the screen."))
    try:
        raw = base64.b64decode(data_url[len(prefix) :], validate=True)
    except (binascii.Error, ValueError):
        raise Invalid.field(field, _("The signature image is damaged.")) from None
    check_upload(
        io.BytesIO(raw),
        field=field,
        allowed=frozenset({"image/png"}),
        max_bytes=SIGNATURE_MAX_BYTES,
    )
    return raw
