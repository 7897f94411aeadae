"""Masking personal data inside an appeal's free text (Art. 41).

Title, content and address leave intake (in events, and to the units that handle
the appeal) with mobile and landline numbers, ID numbers, email addresses and the
citizen's own name masked; intake's own store keeps what the citizen wrote. Each mask
keeps the kind of data visible, so a clerk still reads "a phone number was here":
`138****5678`, `0755-****9260`, `[身份证号]`, `[邮箱]`, `张*`.

The text is already normalised (full-width digits are ASCII). Ordinary numbers stay
as they are: lamp-post ids (SJ-0231), dates (2020/1/6), amounts (3000元) and house
numbers (12栋1203) are never long enough, or never shaped like, the numbers masked.
"""

from __future__ import annotations

import re

# Email first: a mailbox name may itself be a phone number (13800138000@qq.com).
_EMAIL = re.compile(
    r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
)

# A resident ID number (居民身份证号码): region, birth date, sequence, check digit;
# the groups may be written apart by a space or a dash. Before phone numbers, whose
# digits it contains.
_ID_NUMBER = re.compile(
    r"(?<![0-9A-Za-z])"
    r"[1-9]\d{5}[ \-]?(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
    r"[ \-]?\d{3}[0-9Xx]"
    r"(?![0-9A-Za-z])"
)

# Between digits of a phone number people write a space or a dash (ASCII or
# full-width, which normalisation keeps).
_SEP = r"[ \-\uff0d]?"
_COUNTRY = rf"(?:(?:\+|00)86{_SEP}|86)"

# A mainland mobile number: 1[3-9] and nine more digits, optionally after +86 or
# 0086 (then perhaps a space) or a bare 86 written against the number.
_MOBILE = re.compile(
    rf"(?<![0-9+])(?P<country>{_COUNTRY})?(?P<number>1[3-9](?:{_SEP}\d){{9}})(?!\d)"
)

# A landline with its area code: 010, 02x or a three-digit code after the 0 (0755),
# in brackets or not, or after the country code without its 0 (or with it in
# brackets: +86 (0)755); then a local number
# of seven or eight digits that does not start with 0 or 1.
_AREA = r"(?:10|2\d|[3-9]\d{2})"
_LANDLINE = re.compile(
    r"(?<![0-9+])"
    rf"(?:{_COUNTRY}(?:[(（]0[)）]{_SEP})?[(（]?0?|[(（]?0)(?P<area>{_AREA})[)）]?{_SEP}"
    rf"(?P<local>[2-9]\d{{2,3}}{_SEP}\d{{4}})"
    r"(?!\d)"
)

ID_NUMBER_MASK = "[身份证号]"
EMAIL_MASK = "[邮箱]"

# A one-character name would mask that character everywhere it is used as a word.
_SHORTEST_NAME = 2


def redact(text: str, *, name: str | None = None) -> str:
    """`text` with personal data masked; `name` is the citizen's own name, masked
    wherever it appears."""
    text = _EMAIL.sub(EMAIL_MASK, text)
    text = _ID_NUMBER.sub(ID_NUMBER_MASK, text)
    text = _MOBILE.sub(_mask_mobile, text)
    text = _LANDLINE.sub(_mask_landline, text)
    if name and len(name) >= _SHORTEST_NAME:
        text = _name_pattern(name).sub(mask_name(name), text)
    return text


def redact_optional(text: str | None, *, name: str | None = None) -> str | None:
    """Like `redact`, for a field that may be absent (the address)."""
    return None if text is None else redact(text, name=name)


def mask_name(name: str) -> str:
    """A name with only its first character visible: 张三 → 张*, 欧阳娜娜 → 欧***."""
    visible = name[:1]
    return visible + "".join(" " if c == " " else "*" for c in name[1:])


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value)


def _mask_mobile(match: re.Match[str]) -> str:
    digits = _digits(match.group("number"))
    return f"{digits[:3]}****{digits[-4:]}"


def _mask_landline(match: re.Match[str]) -> str:
    local = _digits(match.group("local"))
    return f"0{match.group('area')}-****{local[-4:]}"


def _name_pattern(name: str) -> re.Pattern[str]:
    # A Latin name is matched as a whole word and in any case; a Chinese name as
    # written (Chinese has no word boundaries to look for).
    before = r"(?<![A-Za-z])" if name[0].isascii() and name[0].isalpha() else ""
    after = r"(?![A-Za-z])" if name[-1].isascii() and name[-1].isalpha() else ""
    return re.compile(before + re.escape(name) + after, re.IGNORECASE)
