"""Encryption of stored Audible credentials (Fernet, several keys for rotation).

The whole Audible auth state is one secret: with it anyone can read and change
the library. It is stored only as Fernet ciphertext; the key lives outside the
database, in ``AUDIBLE_TRACKER_ENCRYPTION_KEY``. Several comma-separated keys,
newest first, let an operator rotate: new ciphertext always uses the first key,
old ciphertext still opens with a later one until ``audible-tracker rotate-key``
has re-encrypted everything.

No message, repr or exception raised here contains key material or ciphertext:
these errors end up in Dagster run logs and sync log rows.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

ENCRYPTION_KEY_ENV = "AUDIBLE_TRACKER_ENCRYPTION_KEY"


class CipherError(RuntimeError):
    """Base for every credential-encryption problem; messages are safe to log."""


class EncryptionKeyMissing(CipherError):
    def __init__(self) -> None:
        super().__init__(
            f"no encryption key configured: set {ENCRYPTION_KEY_ENV}; "
            "generate one with `audible-tracker keygen`"
        )


class EncryptionKeyInvalid(CipherError):
    def __init__(self, position: int, count: int, length: int) -> None:
        # Position and length help find a copy-paste mistake; the key itself
        # must never be echoed.
        where = f"key {position} of {count}" if count > 1 else "the key"
        super().__init__(
            f"{ENCRYPTION_KEY_ENV}: {where} is not a valid Fernet key "
            f"(expected 44 url-safe base64 characters, got {length}); "
            "generate one with `audible-tracker keygen`"
        )


class DecryptionFailed(CipherError):
    def __init__(self, account: str | None = None) -> None:
        who = f"account {account!r}" if account else "this account"
        super().__init__(
            f"the stored credentials for {who} cannot be decrypted with the configured key(s) "
            f"in {ENCRYPTION_KEY_ENV}; if you rotated keys, list the old key after the new one "
            "(new,old); if the key is lost, log in again with `audible-tracker auth login`"
        )


def generate_key() -> str:
    """A new random Fernet key, as text ready for the environment variable."""
    return Fernet.generate_key().decode("ascii")


def parse_keys(raw: str | None) -> list[Fernet]:
    """Comma-separated keys, newest first; blanks around and between are ignored."""
    if raw is None or not raw.strip():
        raise EncryptionKeyMissing()
    parts = [part.strip() for part in raw.split(",") if part.strip()]
    if not parts:
        raise EncryptionKeyMissing()
    fernets: list[Fernet] = []
    for position, part in enumerate(parts, start=1):
        try:
            fernets.append(Fernet(part.encode("ascii")))
        except (ValueError, UnicodeEncodeError):
            # `from None`: the chained error would carry nothing useful, and a
            # traceback is the place secrets tend to leak from.
            raise EncryptionKeyInvalid(position, len(parts), len(part)) from None
    return fernets


class Cipher:
    """MultiFernet over the configured keys. Encrypts with the newest key."""

    def __init__(self, keys: str | None = None) -> None:
        """``keys``: the key list as text; None reads the environment variable now."""
        raw = os.environ.get(ENCRYPTION_KEY_ENV) if keys is None else keys
        self._fernets = parse_keys(raw)
        self._multi = MultiFernet(self._fernets)

    def __repr__(self) -> str:
        return f"Cipher(keys={len(self._fernets)})"

    @property
    def key_count(self) -> int:
        return len(self._fernets)

    def encrypt_json(self, obj: Mapping[str, Any]) -> str:
        data = json.dumps(obj, separators=(",", ":"), sort_keys=True).encode("utf-8")
        return self._multi.encrypt(data).decode("ascii")

    def decrypt_json(self, token: str, account: str | None = None) -> dict[str, Any]:
        try:
            data = self._multi.decrypt(_as_bytes(token, account))
        except InvalidToken:
            raise DecryptionFailed(account) from None
        try:
            obj = json.loads(data)
        except ValueError:
            raise DecryptionFailed(account) from None
        if not isinstance(obj, dict):
            raise DecryptionFailed(account)
        return obj

    def rotate(self, token: str, account: str | None = None) -> str:
        """Re-encrypt with the newest key (whichever configured key opens it)."""
        try:
            return self._multi.rotate(_as_bytes(token, account)).decode("ascii")
        except InvalidToken:
            raise DecryptionFailed(account) from None

    def opens_with_newest_key(self, token: str) -> bool:
        """Whether the newest key alone decrypts ``token`` (False: rotation pending)."""
        try:
            self._fernets[0].decrypt(token.encode("ascii"))
        except (InvalidToken, UnicodeEncodeError, AttributeError):
            return False
        return True


def _as_bytes(token: str, account: str | None) -> bytes:
    if not isinstance(token, str) or not token:
        raise DecryptionFailed(account)
    try:
        return token.encode("ascii")
    except UnicodeEncodeError:
        raise DecryptionFailed(account) from None


def encrypt_json(obj: Mapping[str, Any], keys: str | None = None) -> str:
    return Cipher(keys).encrypt_json(obj)


def decrypt_json(token: str, keys: str | None = None, account: str | None = None) -> dict[str, Any]:
    return Cipher(keys).decrypt_json(token, account)


def rotate(token: str, keys: str | None = None, account: str | None = None) -> str:
    return Cipher(keys).rotate(token, account)
