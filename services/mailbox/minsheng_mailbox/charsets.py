"""Bytes of a mail into text, whatever its charset label says.

Chinese mail is labelled GB2312 far more often than it is GB2312: mail clients
write GBK and GB18030 characters (镕, 堃, 喆, the euro sign) under that label, so
every label of that family is read as GB18030, the superset of both. Bytes that are
valid UTF-8 are read as UTF-8 whatever the label; a label that does not fit the
bytes (GBK labelled as UTF-8, 8-bit text called us-ascii) gives way to GB18030;
what none of them reads whole is read with replacement characters. Nothing here
raises on bad input.
"""

from __future__ import annotations

import codecs
from email.errors import HeaderParseError
from email.header import decode_header

_GB_FAMILY = frozenset({"gb2312", "gbk", "gb18030"})
REPLACEMENT = "\ufffd"


def codec(label: str | None) -> str | None:
    """The codec to read a charset label with; None for no label or an unknown
    one."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("\"'").lower()).name
        # A label naming a codec that is not a charset (base64, rot13) is none.
        b"a".decode(name)
    except (LookupError, ValueError):
        return None
    # GB2312 and GBK labels are read as their superset, GB18030.
    return "gb18030" if name in _GB_FAMILY else name


def decode(raw: bytes, label: str | None = None) -> str:
    """`raw` as text: UTF-8 if it reads the bytes whole, else the label's codec,
    else GB18030; when none does, the one of them that needs the fewest
    replacement characters (GBK text with a stray byte stays readable).

    UTF-8 comes first whatever the label: Chinese text in GBK almost never forms
    valid UTF-8, while UTF-8 under a GBK label (a web form's mail) reads in GBK as
    nonsense without any error.
    """
    labelled = codec(label)
    candidates = list(dict.fromkeys(c for c in ("utf-8", labelled, "gb18030") if c))
    for name in candidates:
        try:
            return raw.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
    readings = [raw.decode(name, errors="replace") for name in candidates]
    return min(readings, key=lambda text: text.count(REPLACEMENT))


def header(value: str | None) -> str:
    """A header's text: RFC 2047 encoded words decoded by their own charset, text
    between them kept, folded lines joined. Raw 8-bit bytes must already be text
    (`eight_bit`)."""
    if not value:
        return ""
    try:
        pieces = decode_header(value)
    except (HeaderParseError, ValueError, LookupError):
        pieces = [(value, None)]
    words: list[str] = []
    for piece, label in pieces:
        if isinstance(piece, str):
            words.append(piece)
        elif label is None:
            # The text between encoded words, which `decode_header` hands back
            # encoded as raw-unicode-escape.
            words.append(piece.decode("raw-unicode-escape", errors="replace"))
        else:
            words.append(decode(piece, label))
    return " ".join("".join(words).split())


def eight_bit(pieces: list[tuple[bytes | str, str | None]]) -> str:
    """A header sent as raw 8-bit bytes (common in Chinese mail), as the email
    package's `decode_header` gives it: each piece of bytes read as `decode` reads
    a body, encoded words left as they are for `header`."""
    return "".join(
        piece if isinstance(piece, str) else decode(piece, label)
        for piece, label in pieces
    )
