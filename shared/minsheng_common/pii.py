"""Citizens' personal data: encryption for storage and events, keyed hashes for lookup.

Contact details travel only as a Fernet token that intake and notify can open. Several
keys may be configured: the first encrypts, all decrypt, so a key is rotated by putting
the new one first and re-encrypting at leisure.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from minsheng_common.errors import MinshengError


class PiiKeyError(MinshengError):
    """A token cannot be opened with any configured key."""

    status_code = 500
    code = "pii_key_error"


class PiiVault:
    """Encrypts and decrypts personal data with rotating keys."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("at least one encryption key is needed")
        self._fernet = MultiFernet([Fernet(key.encode("ascii")) for key in keys])

    def encrypt(self, plain: str) -> str:
        return self._fernet.encrypt(plain.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeEncodeError) as error:
            raise PiiKeyError(
                "personal data cannot be decrypted with any key"
            ) from error

    def rotate(self, token: str) -> str:
        """Re-encrypt `token` under the first (newest) key."""
        try:
            return self._fernet.rotate(token.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeEncodeError) as error:
            raise PiiKeyError("personal data cannot be rotated with any key") from error


def new_key() -> str:
    """A fresh encryption key, for local development and key rotation."""
    return Fernet.generate_key().decode("ascii")


def keyed_hash(key: str, value: str) -> str:
    """A keyed hash of a value, so equal contacts can be found without storing or
    comparing them in clear. Callers normalise the value first (intake hashes the
    E.164 number, not what the citizen typed)."""
    digest = hmac.new(key.encode("utf-8"), value.encode("utf-8"), hashlib.sha256)
    return digest.hexdigest()


_PHONE = re.compile(r"^\+?[\d\s-]{7,}$")


def mask(value: str) -> str:
    """Mask a contact for display: a phone number keeps its last four digits, an
    email its first letter and domain, anything else its first and last character."""
    if _PHONE.match(value):
        digits = value.replace(" ", "").replace("-", "")
        country = "+86 " if digits.startswith("+86") else ""
        national = digits.removeprefix("+86")
        return country + national[:3] + "*" * max(len(national) - 7, 1) + national[-4:]
    if "@" in value:
        local, _, domain = value.partition("@")
        return f"{local[:1]}***@{domain}"
    if len(value) <= 2:
        return "*" * len(value)
    return value[0] + "*" * (len(value) - 2) + value[-1]
