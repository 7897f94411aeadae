"""Hashing and checking API keys and passwords.

An API key is `ms_<key id>_<secret>`: the id finds the record, the secret is checked
against its SHA-256 (keys are long and random, so a fast hash is enough and lets every
request be checked cheaply). Passwords are people's and short: Argon2id.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_PREFIX = "ms"
_HASHER = PasswordHasher()


@dataclass(frozen=True)
class NewKey:
    key_id: str
    plain: str
    secret_hash: str


def new_api_key() -> NewKey:
    """A fresh key; its plain form is shown once and never stored."""
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return NewKey(
        key_id=key_id,
        plain=f"{_PREFIX}_{key_id}_{secret}",
        secret_hash=hash_secret(secret),
    )


def split_api_key(plain: str) -> tuple[str, str] | None:
    """(key id, secret), or None when the text is not shaped like our keys."""
    parts = plain.split("_", 2)
    if len(parts) != 3 or parts[0] != _PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def hash_secret(secret: str) -> str:
    return "sha256:" + hashlib.sha256(secret.encode("utf-8")).hexdigest()


def secret_matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def password_matches(password: str, stored_hash: str) -> bool:
    try:
        return _HASHER.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False
