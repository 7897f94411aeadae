"""Masking personal data inside an appeal's free text (Art. 41).

Title, content and address leave intake (in events, and to the units that handle
the appeal) with mobile and landline numbers, ID numbers, email addresses and the
citizen's own name masked; intake's own store keeps what the citizen wrote. Each mask
keeps the kind of data visible, so a clerk still reads "a phone number was here":
`138****5678`, `0755-****9260`, `[身份证号]`, `[邮箱]`, `张*`.

People write numbers in many ways, so every rule reads a *shadow* of the text, of
the same length, in which full-width digits, letters and punctuation are ASCII and
Chinese numerals (一三八零…, 〇, 幺, 壹…) are digits; what a rule finds there is
masked in the text itself. Between the digits of a number people put a space, a
dash (also an em dash), a dot, a slash or an underscore.

Beyond the known shapes (mainland mobiles, landlines with an area code, ID numbers),
any run of seven or more digits that is not a date or a time is masked with its first
three and last two digits visible: a local landline, a Hong Kong or foreign number.
Masking a long order number too is the accepted price of never leaking a phone.
Ordinary numbers stay as they are: lamp-post ids (SJ-0231, SJ-0231-0232: capitals,
a dash and groups of at most four digits), dates (2020/1/6, 2026-12-04 10:00,
20200106), tracking codes (MS20261204000123), record ids (UUIDs), amounts (3000元)
and house numbers (12栋1203).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from urllib.parse import quote, quote_plus, unquote, unquote_plus, urlsplit, urlunsplit

ID_NUMBER_MASK = "[身份证号]"
EMAIL_MASK = "[邮箱]"


class _ShadowTable(dict[int, str]):
    """Same length in, same length out: the shadow's positions are the text's. Any
    decimal digit of any script is its ASCII digit."""

    def __missing__(self, code: int) -> str:
        value = unicodedata.decimal(chr(code), None)
        if value is None:
            raise LookupError(code)
        return str(value)


_SHADOW = _ShadowTable(
    str.maketrans(
        {
            **{chr(0xFF10 + n): str(n) for n in range(10)},
            **{chr(0xFF21 + n): chr(ord("A") + n) for n in range(26)},
            **{chr(0xFF41 + n): chr(ord("a") + n) for n in range(26)},
            **dict.fromkeys("零〇○", "0"),
            **dict.fromkeys("一幺壹", "1"),
            **dict.fromkeys("二贰", "2"),
            **dict.fromkeys("三叁", "3"),
            **dict.fromkeys("四肆", "4"),
            **dict.fromkeys("五伍", "5"),
            **dict.fromkeys("六陆", "6"),
            **dict.fromkeys("七柒", "7"),
            **dict.fromkeys("八捌", "8"),
            **dict.fromkeys("九玖", "9"),
            **dict.fromkeys("\u3000\u00a0\t", " "),
            **dict.fromkeys("－—–―‐‑−", "-"),
            "．": ".",
            "／": "/",
            "＿": "_",
            "＠": "@",
            "＋": "+",
            "：": ":",
            "（": "(",
            "）": ")",
            "［": "[",
            "］": "]",
            "【": "[",
            "】": "]",
        }
    )
)

# Between two digits: one space, or a dash, dot, slash or underscore, perhaps with a
# space either side ("138 - 0000 - 0113").
_SEP = r"(?: ?[\-./_] ?| )"
_SEP_CHARS = r"[ \-./_]"

# Email first: a mailbox name may itself be a phone number (13800138000@qq.com). The
# "@" may be written (at) or [at], a dot (dot) or [dot]; the domain may be in any
# script (例子.中国) or an address literal (x@[127.0.0.1]).
_AT = r"(?:@| ?[(\[] ?at ?[)\]] ?)"
_DOT = r"(?:\.| ?[(\[] ?dot ?[)\]] ?)"
_LABEL = r"[^\W_](?:[\w\-]*[^\W_])?"
_TLD = r"(?:[A-Za-z]{2,63}(?![A-Za-z0-9\-])|[^\W\d_A-Za-z]{2,})"
_EMAIL = re.compile(
    rf"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]+{_AT}"
    rf"(?:\[(?:IPv6:)?[0-9A-Fa-f:.]+\]|{_LABEL}(?:{_DOT}{_LABEL})*{_DOT}{_TLD})",
    re.IGNORECASE,
)

# A resident ID number (居民身份证号码): region, birth date, sequence, check digit;
# the groups may be written apart by a space or a dash. Before phone numbers, whose
# digits it contains. The digits of any run (below) that read as an ID number, 18 or
# the older 15 digits, are masked the same way.
_ID_NUMBER = re.compile(
    r"(?<![0-9A-Za-z])"
    r"[1-9]\d{5}[ \-]?(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
    r"[ \-]?\d{3}[0-9Xx]"
    r"(?![0-9A-Za-z])"
)
_MONTH_DAY = r"(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
_ID_DIGITS = re.compile(
    rf"[1-9]\d{{5}}(?:(?:18|19|20)\d{{2}}{_MONTH_DAY}\d{{3}}[0-9X]"
    rf"|\d{{2}}{_MONTH_DAY}\d{{3}})"
)

_COUNTRY = rf"(?:(?:\+|00)86{_SEP}?|86)"
# Not inside a longer number: no digit, nor a digit and a dash, dot, slash or
# underscore, right before or after (a space may part two numbers).
_BEFORE = r"(?<![0-9+])(?<!\d[\-./_])"
_AFTER = r"(?!\d)(?![\-./_]\d)"

# A mainland mobile number: 1[3-9] and nine more digits, optionally after +86 or
# 0086 (then perhaps a space) or a bare 86 written against the number.
_MOBILE = re.compile(
    rf"{_BEFORE}(?P<country>{_COUNTRY})?(?P<number>1[3-9](?:{_SEP}?\d){{9}}){_AFTER}"
)

# A landline with its area code: 010, 02x or a three-digit code after the 0 (0755),
# in brackets or not, or after the country code without its 0 (or with it in
# brackets: +86 (0)755); then a local number
# of seven or eight digits that does not start with 0 or 1.
_AREA = r"(?:10|2\d|[3-9]\d{2})"
_LANDLINE = re.compile(
    rf"{_BEFORE}"
    rf"(?:{_COUNTRY}(?:\(0\){_SEP}?)?\(?0?|\(?0)(?P<area>{_AREA})\)?{_SEP}?"
    rf"(?P<local>[2-9]\d{{2,3}}{_SEP}?\d{{4}})"
    rf"{_AFTER}"
)

# Digits written as one number: each digit may be apart from the next by a separator.
_RUN = re.compile(rf"\d(?:{_SEP}?\d)*(?:{_SEP}?[Xx])?")
# A code such as a lamp-post id (SJ-0231-0232): capitals, a dash, short groups.
_CODE_PREFIX = re.compile(r"[A-Z][\-_]")
_CODE_GROUP = 4
_SHORTEST_RUN = 7
_VISIBLE_HEAD, _VISIBLE_TAIL = 3, 2

# Dates and times are not phone numbers: 2020/1/6, 2024-03-15 08:00, 20200106, a
# span of years (2020-2024), and a date with six digits more, as in a time stamp
# (20260412093000) or the platform's tracking code (MS20260412000123), which no
# phone number is as long as. A date written against other digits (in an ID number
# written in groups) is not a date.
_YEAR = r"(?:19|20)\d{2}"
_DATE_TIME = re.compile(
    r"(?<!\d)(?<!\d[\-./_])"
    rf"{_YEAR}(?P<sep>[\-./])(?:0?[1-9]|1[0-2])(?P=sep)(?:0?[1-9]|[12]\d|3[01])"
    r"(?!\d)(?![\-./_]\d)"
    rf"|(?<!\d)(?<!\d{_SEP_CHARS}){_YEAR}{_MONTH_DAY}(?:\d{{6}})?"
    rf"(?!\d)(?!{_SEP_CHARS}\d)"
    rf"|(?<!\d)(?<!\d{_SEP_CHARS}){_YEAR} ?[\-~至到] ?{_YEAR}(?!\d)(?!{_SEP_CHARS}\d)"
    r"|(?<!\d)(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d)?(?!\d)"
)

# Record and event ids (UUIDs) and hex fingerprints are no one's number: log lines
# name them, and a log line is redacted like a text.
_HEX_IDENTIFIER = re.compile(
    r"(?<![0-9A-Za-z\-])"
    r"(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|(?=[0-9]*[a-fA-F])[0-9a-fA-F]{32,})"
    r"(?![0-9A-Za-z\-])"
)
_NOT_NUMBERS = (_HEX_IDENTIFIER,)

# A one-character name would mask that character everywhere it is used as a word.
_SHORTEST_NAME = 2

_Mask = Callable[[re.Match[str]], str | None]


def redact(text: str, *, name: str | None = None) -> str:
    """`text` with personal data masked; `name` is the citizen's own name, masked
    wherever it appears."""
    text = _replace(_EMAIL, text, lambda _match: EMAIL_MASK)
    text = _replace(_ID_NUMBER, text, lambda _match: ID_NUMBER_MASK, _NOT_NUMBERS)
    text = _replace(_RUN, text, _mask_id_number, _NOT_NUMBERS)
    text = _replace(_MOBILE, text, _mask_mobile, _NOT_NUMBERS)
    text = _replace(_LANDLINE, text, _mask_landline, _NOT_NUMBERS)
    text = _replace(_RUN, text, _mask_long_number, (*_NOT_NUMBERS, _DATE_TIME))
    if name and len(name) >= _SHORTEST_NAME:
        text = _name_pattern(name).sub(mask_name(name), text)
    return text


def redact_optional(text: str | None, *, name: str | None = None) -> str | None:
    """Like `redact`, for a field that may be absent (the address)."""
    return None if text is None else redact(text, name=name)


def redact_identifier(text: str) -> str:
    """A channel's reference (or any identifier) with personal data masked as in
    `redact`: some channels build references from the caller's phone number."""
    return redact(text)


def redact_url(url: str) -> str:
    """A link (an attachment) with numbers and emails masked in its path, query and
    fragment, and in a user name before the host; a password there is dropped. The
    host stays as it is, so the link still says where the file is."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        user, _, host = netloc.rpartition("@")
        user = user.split(":", 1)[0]
        netloc = f"{_redact_component(user, quote, unquote)}@{host}"
    path = "/".join(
        _redact_component(segment, quote, unquote) for segment in parts.path.split("/")
    )
    query = "&".join(
        "=".join(
            _redact_component(side, quote_plus, unquote_plus)
            for side in pair.split("=", 1)
        )
        for pair in parts.query.split("&")
    )
    fragment = _redact_component(parts.fragment, quote, unquote)
    return urlunsplit((parts.scheme, netloc, path, query, fragment))


def mask_name(name: str) -> str:
    """A name with only its first character visible: 张三 → 张*, 欧阳娜娜 → 欧***."""
    visible = name[:1]
    return visible + "".join(" " if c == " " else "*" for c in name[1:])


def _replace(
    pattern: re.Pattern[str],
    text: str,
    mask: _Mask,
    keep: tuple[re.Pattern[str], ...] = (),
) -> str:
    """`text` with what `pattern` finds in its shadow replaced by `mask` of it (None
    leaves that match as written); what a pattern of `keep` finds is never part of a
    match."""
    shadow = text.translate(_SHADOW)
    for kept in keep:
        shadow = kept.sub(lambda match: "#" * len(match.group()), shadow)
    pieces: list[str] = []
    written_up_to = 0
    for match in pattern.finditer(shadow):
        masked = mask(match)
        if masked is None:
            continue
        pieces += [text[written_up_to : match.start()], masked]
        written_up_to = match.end()
    pieces.append(text[written_up_to:])
    return "".join(pieces)


def _redact_component(
    component: str,
    encode: Callable[..., str],
    decode: Callable[[str], str],
) -> str:
    # A part of a link is masked as the text it encodes; an unchanged part is kept
    # exactly as written.
    plain = decode(component)
    masked = redact(plain)
    return component if masked == plain else encode(masked, safe="*")


def _digits(value: str) -> str:
    return re.sub(r"[^0-9Xx]", "", value).upper()


def _mask_id_number(match: re.Match[str]) -> str | None:
    return ID_NUMBER_MASK if _ID_DIGITS.fullmatch(_digits(match.group())) else None


def _mask_mobile(match: re.Match[str]) -> str:
    digits = _digits(match.group("number"))
    return f"{digits[:3]}****{digits[-4:]}"


def _mask_landline(match: re.Match[str]) -> str:
    local = _digits(match.group("local"))
    return f"0{match.group('area')}-****{local[-4:]}"


def _mask_long_number(match: re.Match[str]) -> str | None:
    digits = _digits(match.group())
    if len(digits) < _SHORTEST_RUN or _is_code(match):
        return None
    hidden = len(digits) - _VISIBLE_HEAD - _VISIBLE_TAIL
    return digits[:_VISIBLE_HEAD] + "*" * hidden + digits[-_VISIBLE_TAIL:]


def _is_code(match: re.Match[str]) -> bool:
    start = match.start()
    groups = re.split(rf"{_SEP_CHARS}+", match.group().strip())
    return bool(
        _CODE_PREFIX.fullmatch(match.string[max(start - 2, 0) : start])
    ) and all(len(group) <= _CODE_GROUP for group in groups)


def _name_pattern(name: str) -> re.Pattern[str]:
    # A Latin name is matched as a whole word and in any case; a Chinese name as
    # written (Chinese has no word boundaries to look for).
    before = r"(?<![A-Za-z])" if name[0].isascii() and name[0].isalpha() else ""
    after = r"(?![A-Za-z])" if name[-1].isascii() and name[-1].isalpha() else ""
    return re.compile(before + re.escape(name) + after, re.IGNORECASE)
