"""Normalising what arrives: text, contacts and times, before any rule looks at it."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import phonenumbers

# Full-width digits and Latin letters become ASCII. Other full-width forms such as
# Chinese punctuation are kept: they are how Chinese text is written.
_FULL_WIDTH_ALNUM = re.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")
_SPACES = re.compile(r"[ \t\u3000\u00a0]+")
_BLANK_LINES = re.compile(r"\n\s*\n\s*(\n\s*)+")


def text(value: str | None) -> str:
    """Trim stray whitespace (tabs, ideographic spaces, blank lines) and turn full-width
    digits and letters into ASCII; nothing else in the text changes."""
    if value is None:
        return ""
    value = _FULL_WIDTH_ALNUM.sub(
        lambda m: unicodedata.normalize("NFKC", m.group()), value
    )
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    lines = [_SPACES.sub(" ", line).strip() for line in value.split("\n")]
    joined = "\n".join(lines)
    return _BLANK_LINES.sub("\n\n", joined).strip()


@dataclass(frozen=True)
class Contact:
    """A normalised contact: phone numbers in E.164, others trimmed."""

    kind: str
    value: str

    def lookup_key(self) -> str:
        return f"{self.kind}:{self.value}"


class InvalidContact(ValueError):
    """The contact given is not a usable number or address."""


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def contact(kind: str, value: str) -> Contact:
    """Normalise a contact of a given kind, or raise `InvalidContact`."""
    cleaned = text(value)
    if not cleaned:
        raise InvalidContact("the contact is empty")
    if kind == "phone":
        return Contact(kind="phone", value=_phone(cleaned))
    if kind == "email":
        if not _EMAIL.match(cleaned):
            raise InvalidContact("not an email address")
        return Contact(kind="email", value=cleaned.lower())
    return Contact(kind=kind, value=cleaned)


def _phone(raw: str) -> str:
    digits = re.sub(r"[\s\-()]", "", raw)
    if digits.startswith("0086"):
        digits = "+86" + digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = "+" + digits
    try:
        number = phonenumbers.parse(digits, "CN")
    except phonenumbers.NumberParseException as error:
        raise InvalidContact("not a telephone number") from error
    if not phonenumbers.is_valid_number(number):
        raise InvalidContact("not a valid telephone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
