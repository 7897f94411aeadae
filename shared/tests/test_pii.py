"""Citizens' personal data: encryption with rotating keys, keyed hashes, masking."""

from __future__ import annotations

import pytest

from minsheng_common.errors import MinshengError
from minsheng_common.pii import PiiKeyError, PiiVault, keyed_hash, mask, new_key

CONTACT = "张三 13812345678 广东省深圳市坪山区坪山大道1号"


def test_encrypt_then_decrypt_gives_back_chinese_text() -> None:
    vault = PiiVault([new_key()])

    token = vault.encrypt(CONTACT)

    assert token.isascii()
    assert "13812345678" not in token
    assert vault.decrypt(token) == CONTACT


def test_encrypting_twice_gives_different_tokens() -> None:
    vault = PiiVault([new_key()])

    assert vault.encrypt(CONTACT) != vault.encrypt(CONTACT)


def test_vault_needs_a_key() -> None:
    with pytest.raises(ValueError, match="at least one"):
        PiiVault([])


def test_vault_with_new_and_old_key_reads_old_tokens() -> None:
    old, new = new_key(), new_key()
    old_token = PiiVault([old]).encrypt(CONTACT)

    rotated_vault = PiiVault([new, old])

    assert rotated_vault.decrypt(old_token) == CONTACT
    # The newest key encrypts: a vault with only the old key cannot read new tokens.
    with pytest.raises(PiiKeyError):
        PiiVault([old]).decrypt(rotated_vault.encrypt(CONTACT))


def test_rotate_re_encrypts_under_the_newest_key() -> None:
    old, new = new_key(), new_key()
    old_token = PiiVault([old]).encrypt(CONTACT)

    rotated = PiiVault([new, old]).rotate(old_token)

    assert rotated != old_token
    assert PiiVault([new]).decrypt(rotated) == CONTACT
    with pytest.raises(PiiKeyError):
        PiiVault([old]).decrypt(rotated)


def test_a_wrong_key_raises_pii_key_error() -> None:
    token = PiiVault([new_key()]).encrypt(CONTACT)

    with pytest.raises(PiiKeyError) as caught:
        PiiVault([new_key()]).decrypt(token)

    assert isinstance(caught.value, MinshengError)
    assert caught.value.code == "pii_key_error"
    assert CONTACT not in str(caught.value)


def test_rotating_a_token_of_an_unknown_key_raises_pii_key_error() -> None:
    token = PiiVault([new_key()]).encrypt(CONTACT)

    with pytest.raises(PiiKeyError):
        PiiVault([new_key()]).rotate(token)


def test_a_damaged_token_raises_pii_key_error() -> None:
    vault = PiiVault([new_key()])
    token = vault.encrypt(CONTACT)

    with pytest.raises(PiiKeyError):
        vault.decrypt(token[:-4] + "AAAA")


def test_keyed_hash_is_stable() -> None:
    key = new_key()

    digest = keyed_hash(key, "13812345678")

    assert digest == keyed_hash(key, "13812345678")
    assert len(digest) == 64
    assert int(digest, 16) >= 0
    assert "13812345678" not in digest


def test_keyed_hash_depends_on_the_key_and_the_value() -> None:
    key = new_key()

    assert keyed_hash(key, "13812345678") != keyed_hash(new_key(), "13812345678")
    assert keyed_hash(key, "13812345678") != keyed_hash(key, "13812345679")


def test_keyed_hash_reads_chinese_text() -> None:
    key = new_key()

    assert keyed_hash(key, "张三") == keyed_hash(key, "张三")
    assert keyed_hash(key, "张三") != keyed_hash(key, "张四")


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("13812345678", "138****5678"),
        ("+8613812345678", "+86 138****5678"),
        ("+8675528339260", "+86 755****9260"),
        ("zhang3@example.cn", "z***@example.cn"),
        ("A00074011", "A*******1"),
        ("张三丰", "张*丰"),
        ("张三", "**"),
        ("a", "*"),
        ("", ""),
    ],
)
def test_mask_hides_all_but_a_hint(value: str, shown: str) -> None:
    assert mask(value) == shown


def test_strip_invisible_removes_controls_but_keeps_lines() -> None:
    from minsheng_common.text import strip_invisible

    raw = "已受理\x00\u202e测试\u200b\ufeff\n第二行\t完"
    assert strip_invisible(raw) == "已受理测试\n第二行\t完"
