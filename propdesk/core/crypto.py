"""Field encryption and keyed blind indexes for personal information (R-CUS-3).

Values are encrypted with AES-256-GCM under a key derived from
`settings.PROPDESK_FIELD_KEY`; a separate derived key feeds an HMAC-SHA256
"blind index" so an exact value (an ID number, a phone) can be looked up without
decrypting the table. Ciphertexts carry a version prefix so keys can rotate.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

_VERSION = "v1"


def _derive(purpose: bytes) -> bytes:
    master = settings.PROPDESK_FIELD_KEY.encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"propdesk", info=purpose).derive(master)


@lru_cache(maxsize=4)
def _keys(master: str) -> tuple[bytes, bytes]:
    # `master` is part of the cache key so tests that override the setting get fresh keys.
    return _derive(b"field-encryption"), _derive(b"blind-index")


def _current_keys() -> tuple[bytes, bytes]:
    return _keys(settings.PROPDESK_FIELD_KEY)


def encrypt(plaintext: str) -> str:
    """Encrypt a text value; returns an ASCII token safe to store in a text column."""
    if plaintext == "":
        return ""
    enc_key, _ = _current_keys()
    nonce = os.urandom(12)
    sealed = AESGCM(enc_key).encrypt(nonce, plaintext.encode("utf-8"), None)
    return _VERSION + ":" + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def decrypt(token: str) -> str:
    """Decrypt a token made by `encrypt`."""
    if token == "":
        return ""
    version, _, payload = token.partition(":")
    if version != _VERSION:
        raise ValueError(f"unknown ciphertext version {version!r}")
    raw = base64.urlsafe_b64decode(payload.encode("ascii"))
    enc_key, _ = _current_keys()
    return AESGCM(enc_key).decrypt(raw[:12], raw[12:], None).decode("utf-8")


def blind_index(value: str, *, purpose: str) -> str:
    """Keyed hash of a normalised value for exact lookup; `purpose` separates domains."""
    if value == "":
        return ""
    _, index_key = _current_keys()
    message = purpose.encode() + b"\x00" + value.encode("utf-8")
    return hmac.new(index_key, message, hashlib.sha256).hexdigest()
