"""The credential cipher: round trips, rotation, and errors that never show secrets."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from resources import cipher
from resources.cipher import (
    ENCRYPTION_KEY_ENV,
    Cipher,
    DecryptionFailed,
    EncryptionKeyInvalid,
    EncryptionKeyMissing,
)

SECRET = {"access_token": "Atna|" + "x" * 60, "refresh_token": "Atnr|" + "y" * 60, "expires": 1.5}


def test_round_trip_with_generated_key() -> None:
    key = cipher.generate_key()
    Fernet(key.encode())  # a real Fernet key
    token = cipher.encrypt_json(SECRET, key)
    assert "Atna" not in token and "Atnr" not in token
    assert cipher.decrypt_json(token, key) == SECRET


def test_reads_key_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    key = cipher.generate_key()
    monkeypatch.setenv(ENCRYPTION_KEY_ENV, f"  {key} , ")
    assert Cipher().decrypt_json(Cipher().encrypt_json(SECRET)) == SECRET


def test_rotation_round_trip() -> None:
    old, new = cipher.generate_key(), cipher.generate_key()
    token_old = cipher.encrypt_json(SECRET, old)
    both = Cipher(f"{new},{old}")
    # Before rotation the old ciphertext opens with the list, not the new key alone.
    assert both.decrypt_json(token_old) == SECRET
    assert not both.opens_with_newest_key(token_old)
    rotated = both.rotate(token_old)
    assert rotated != token_old
    assert both.opens_with_newest_key(rotated)
    assert cipher.decrypt_json(rotated, new) == SECRET
    with pytest.raises(DecryptionFailed):
        cipher.decrypt_json(rotated, old)


def test_new_ciphertext_uses_the_first_key() -> None:
    old, new = cipher.generate_key(), cipher.generate_key()
    token = Cipher(f"{new},{old}").encrypt_json(SECRET)
    assert cipher.decrypt_json(token, new) == SECRET


def test_missing_key_names_the_variable_and_keygen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENCRYPTION_KEY_ENV, raising=False)
    with pytest.raises(EncryptionKeyMissing) as info:
        Cipher()
    assert ENCRYPTION_KEY_ENV in str(info.value)
    assert "audible-tracker keygen" in str(info.value)
    with pytest.raises(EncryptionKeyMissing):
        Cipher(" , ")


def test_malformed_key_is_not_echoed() -> None:
    good = cipher.generate_key()
    bad = "not-a-real-key-but-a-secret-looking-string"
    with pytest.raises(EncryptionKeyInvalid) as info:
        Cipher(f"{good},{bad}")
    message = str(info.value)
    assert bad not in message and good not in message
    assert "key 2 of 2" in message
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_wrong_key_gives_clear_error_without_ciphertext() -> None:
    token = cipher.encrypt_json(SECRET, cipher.generate_key())
    other = cipher.generate_key()
    with pytest.raises(DecryptionFailed) as info:
        cipher.decrypt_json(token, other, account="alice")
    message = str(info.value)
    assert "'alice'" in message and "old key after the new one" in message
    assert token not in message and other not in message
    assert token[:20] not in repr(info.value)
    with pytest.raises(DecryptionFailed):
        cipher.rotate(token, other, account="alice")


@pytest.mark.parametrize("garbage", ["", "not a token", "é", "gAAAAA"])
def test_garbage_ciphertext_is_a_decryption_failure(garbage: str) -> None:
    with pytest.raises(DecryptionFailed):
        cipher.decrypt_json(garbage, cipher.generate_key(), account="bob")


def test_non_object_payload_is_refused() -> None:
    key = cipher.generate_key()
    token = Fernet(key.encode()).encrypt(b"[1, 2]").decode()
    with pytest.raises(DecryptionFailed):
        cipher.decrypt_json(token, key)


def test_repr_shows_no_key_material() -> None:
    key = cipher.generate_key()
    assert repr(Cipher(f"{key},{cipher.generate_key()}")) == "Cipher(keys=2)"
