"""The adapter's signatures and safe-mode encryption against the specification as
the tests write it (`conftest`): every message length, so padding to 32-byte blocks
(not AES's 16) is checked where the two differ, both ways."""

from __future__ import annotations

import pytest

from minsheng_common.auth.webhooks import BadSignature
from minsheng_wechat import crypto
from minsheng_wechat.crypto import MessageCrypt
from minsheng_wechat.errors import UndecryptableMessage, WrongAppId

from .conftest import APP_ID, TOKEN, wx_decrypt, wx_encrypt, wx_key, wx_signature

LENGTHS = range(0, 80)
"""With the 16 random bytes, 4 of length and 18 of AppID, lengths 26 and 58 make a
plaintext of whole 32-byte blocks: 32 bytes of padding, where AES's own blocks
would take 16; 10 and 42 take 16 either way."""


def crypt() -> MessageCrypt:
    return MessageCrypt(wx_key(), APP_ID)


@pytest.mark.parametrize("length", LENGTHS)
def test_wechat_what_the_adapter_encrypts_opens_by_the_specification(
    length: int,
) -> None:
    message = "测".encode() * (length // 3) + b"x" * (length % 3)

    opened = wx_decrypt(crypt().encrypt(message))

    assert opened == (message, APP_ID)


@pytest.mark.parametrize("length", LENGTHS)
def test_wechat_what_the_specification_encrypts_the_adapter_opens(length: int) -> None:
    message = b"x" * length

    assert crypt().decrypt(wx_encrypt(message)) == message


def test_wechat_another_accounts_message_is_refused() -> None:
    with pytest.raises(WrongAppId):
        crypt().decrypt(wx_encrypt(b"<xml/>", app_id="wx0000000000000000"))


@pytest.mark.parametrize("sealed", ["not base64!", "QUJD", "QUJDRA==" * 6])
def test_wechat_what_is_not_an_encrypted_message_is_refused(sealed: str) -> None:
    with pytest.raises(UndecryptableMessage):
        crypt().decrypt(sealed)


def test_wechat_signatures_are_wechats() -> None:
    parts = (TOKEN, "1714000000", "1320562132", "ENCRYPTED")

    assert crypto.signature(*parts) == wx_signature(*parts)
    assert crypto.signature(*parts) == crypto.signature(*reversed(parts))
    assert crypto.check(wx_signature(*parts[:3]), *parts[:3], field="s")
    with pytest.raises(BadSignature):
        crypto.check(wx_signature(*parts), *parts[:3], field="s")
