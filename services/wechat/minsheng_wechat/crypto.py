"""WeChat's message signatures and its safe-mode (安全模式) encryption.

Signature: the SHA-1 (hex) of the token, the timestamp and the nonce, sorted as
strings and joined; the safe mode's `msg_signature` adds the `Encrypt` element to
the four.

Encryption: the AES key is the EncodingAESKey (43 characters) and an '=' read as
Base64, 32 bytes; AES-256-CBC with the key's first 16 bytes as the IV; the
plaintext is 16 random bytes, the message's length as 4 bytes big-endian, the
message, and the AppID, padded PKCS#7-style to a multiple of 32 bytes (1 to 32
bytes of padding, each the padding's length); the ciphertext travels in Base64.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct
from collections.abc import Callable
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from minsheng_common.auth.webhooks import BadSignature
from minsheng_wechat.errors import UndecryptableMessage, WrongAppId

BLOCK_BITS = 256
"""WeChat pads to 32-byte blocks, not AES's 16."""
RANDOM_BYTES = 16


def signature(*parts: str) -> str:
    """WeChat's signature of `parts`: SHA-1 of their sorted concatenation."""
    joined = "".join(sorted(parts))
    # SHA-1 because WeChat specifies it; the signature is compared, not stored.
    return hashlib.sha1(joined.encode("utf-8"), usedforsecurity=False).hexdigest()


def check(given: str | None, *parts: str, field: str) -> str:
    """`given` when it is the signature of `parts`; `BadSignature` naming the query
    parameter `field` otherwise."""
    if not given:
        raise BadSignature(f"the query parameter {field} is missing", field=field)
    expected = signature(*parts)
    if not hmac.compare_digest(expected, given.strip().lower()):
        raise BadSignature(
            f"{field} does not match the token, timestamp and nonce", field=field
        )
    return expected


@dataclass(frozen=True)
class MessageCrypt:
    """Encrypts and decrypts the safe mode's messages of one account."""

    key: bytes
    app_id: str
    random: Callable[[int], bytes] = field(default=os.urandom, repr=False)

    def encrypt(self, message: bytes) -> str:
        """`message` (the XML) as the `Encrypt` element's Base64 text."""
        plain = (
            self.random(RANDOM_BYTES)
            + struct.pack(">I", len(message))
            + message
            + self.app_id.encode("utf-8")
        )
        padder = padding.PKCS7(BLOCK_BITS).padder()
        padded = padder.update(plain) + padder.finalize()
        encryptor = self._cipher().encryptor()
        return base64.b64encode(encryptor.update(padded) + encryptor.finalize()).decode(
            "ascii"
        )

    def decrypt(self, encrypted: str) -> bytes:
        """The message (the XML) inside an `Encrypt` element; `UndecryptableMessage`
        when it cannot be read, `WrongAppId` when it names another account."""
        try:
            cipher_text = base64.b64decode(encrypted.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise UndecryptableMessage("Encrypt is not Base64") from None
        if not cipher_text or len(cipher_text) % 16:
            raise UndecryptableMessage("Encrypt is not whole AES blocks")

        decryptor = self._cipher().decryptor()
        padded = decryptor.update(cipher_text) + decryptor.finalize()
        unpadder = padding.PKCS7(BLOCK_BITS).unpadder()
        try:
            plain = unpadder.update(padded) + unpadder.finalize()
        except ValueError:
            raise UndecryptableMessage(
                "Encrypt does not decrypt with the EncodingAESKey"
            ) from None

        if len(plain) < RANDOM_BYTES + 4:
            raise UndecryptableMessage("Encrypt holds no message")
        (length,) = struct.unpack(">I", plain[RANDOM_BYTES : RANDOM_BYTES + 4])
        start = RANDOM_BYTES + 4
        if start + length > len(plain):
            raise UndecryptableMessage("Encrypt's message length is wrong")
        message = plain[start : start + length]
        app_id = plain[start + length :]
        if not hmac.compare_digest(app_id, self.app_id.encode("utf-8")):
            raise WrongAppId("the encrypted message is for another account's AppID")
        return message

    def _cipher(self) -> Cipher[modes.CBC]:
        return Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16]))
