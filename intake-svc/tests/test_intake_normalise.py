"""Normalising text and contacts before any rule looks at them."""

from __future__ import annotations

import pytest

from minsheng_intake import normalise


def test_full_width_digits_and_letters_become_ascii_but_punctuation_stays() -> None:
    assert normalise.text("Ａ栋１２０３室，ｂ座") == "A栋1203室，b座"


def test_stray_whitespace_is_trimmed_and_blank_runs_collapse() -> None:
    raw = "\n\t\t\t\u3000\u3000路灯坏了\t\t很久\n\n\n\n\t请修理\u3000\n\t"
    assert normalise.text(raw) == "路灯坏了 很久\n\n请修理"


def test_none_becomes_empty_text() -> None:
    assert normalise.text(None) == ""


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("13800012345", "+8613800012345"),
        ("１３８ ０００１ ２３４５", "+8613800012345"),
        ("+86 166 0000 1234", "+8616600001234"),
        ("0086-17700001234", "+8617700001234"),
        ("8619900001234", "+8619900001234"),
        ("0755-2833 9260", "+8675528339260"),
    ],
)
def test_phone_numbers_are_stored_in_e164(raw: str, e164: str) -> None:
    assert normalise.contact("phone", raw).value == e164


@pytest.mark.parametrize("raw", ["12345", "1380001234", "abc", "   "])
def test_invalid_phone_numbers_are_refused_with_a_reason(raw: str) -> None:
    with pytest.raises(normalise.InvalidContact):
        normalise.contact("phone", raw)


def test_email_domain_is_lowercased_and_checked() -> None:
    assert (
        normalise.contact("email", " Citizen@Example.CN ").value == "Citizen@example.cn"
    )
    with pytest.raises(normalise.InvalidContact):
        normalise.contact("email", "not-an-address")


def test_forum_account_is_kept_as_given() -> None:
    contact = normalise.contact("forum_account", "A00074011")
    assert contact.lookup_key() == "forum_account:A00074011"


def test_an_emails_mailbox_name_keeps_its_case_and_its_domain_does_not() -> None:
    contact = normalise.contact("email", "Zhang.San@Example.COM")
    assert contact.value == "Zhang.San@example.com"


def test_a_local_number_needs_the_area_code_it_is_given() -> None:
    assert normalise.contact("phone", "2833 9260", area_code="0755").value == (
        "+8675528339260"
    )
    with pytest.raises(normalise.InvalidContact):
        normalise.contact("phone", "28339260")
