"""Normalising what arrives: text, contacts and times, before any rule looks at it."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import phonenumbers

from minsheng_common.errors import InvalidInput
from minsheng_common.text import strip_invisible

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
    value = strip_invisible(value)
    value = _FULL_WIDTH_ALNUM.sub(
        lambda m: unicodedata.normalize("NFKC", m.group()), value
    )
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    lines = [_SPACES.sub(" ", line).strip() for line in value.split("\n")]
    joined = "\n".join(lines)
    return _BLANK_LINES.sub("\n\n", joined).strip()


def required(value: str, *, field: str) -> str:
    """The text cleaned as `text` does; refused (422, with the field) when nothing
    visible is left, as for a value of control characters only."""
    cleaned = text(value)
    if not cleaned:
        raise InvalidInput(f"{field} holds no visible text", field=field)
    return cleaned


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


def reference(value: str) -> str:
    """A channel's reference as a key: invisible characters and surrounding spaces
    dropped, full-width digits and letters made ASCII, so the same reference typed
    twice is recognised."""
    cleaned = strip_invisible(value)
    cleaned = _FULL_WIDTH_ALNUM.sub(
        lambda m: unicodedata.normalize("NFKC", m.group()), cleaned
    )
    return cleaned.strip(" \t\n\u3000")


_MEANINGFUL = re.compile(r"[0-9A-Za-z\u3400-\u9fff\uf900-\ufaff]")


def has_substance(value: str) -> bool:
    """Whether a text says anything at all: at least one letter, digit or Chinese
    character, not only punctuation."""
    return _MEANINGFUL.search(value) is not None


def contact(kind: str, value: str, *, area_code: str | None = None) -> Contact:
    """Normalise a contact of a given kind, or raise `InvalidContact`.

    A phone number without area code is read in `area_code` (the district's own).
    """
    cleaned = text(value)
    if not cleaned:
        raise InvalidContact("the contact is empty")
    if kind == "phone":
        return Contact(kind="phone", value=_phone(cleaned, area_code))
    if kind == "email":
        if not _EMAIL.match(cleaned):
            raise InvalidContact("not an email address")
        local, _, domain = cleaned.rpartition("@")
        # Only the domain is case-insensitive; the mailbox name is the owner's.
        return Contact(kind="email", value=f"{local}@{domain.lower()}")
    return Contact(kind=kind, value=cleaned)


def _phone(raw: str, area_code: str | None) -> str:
    digits = re.sub(r"[\s\-()]", "", raw)
    if area_code and re.fullmatch(r"[2-9]\d{6,7}", digits):
        digits = area_code + digits
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
