from __future__ import annotations

from propdesk.core.crypto import blind_index, decrypt, encrypt


def test_encryption_round_trip_and_ciphertext_hides_value():
    token = encrypt("11010519491231002X")
    assert "11010519491231002X" not in token
    assert decrypt(token) == "11010519491231002X"
    # A fresh nonce each time: equal values do not produce equal ciphertexts.
    assert encrypt("11010519491231002X") != token


def test_blind_index_is_deterministic_keyed_and_purpose_separated(settings):
    a = blind_index("110101199003074477", purpose="customer.id_number")
    assert a == blind_index("110101199003074477", purpose="customer.id_number")
    assert a != blind_index("110101199003074477", purpose="customer.phone")
    settings.PROPDESK_FIELD_KEY = "another-key"
    assert blind_index("110101199003074477", purpose="customer.id_number") != a
