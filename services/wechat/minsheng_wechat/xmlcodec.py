"""Reading the XML WeChat pushes and writing the XML it takes back.

Pushed XML is parsed by defusedxml with DTDs, entities and external references
forbidden, so no entity expansion ("billion laughs") or external fetch can happen;
anything but a flat `<xml>` of elements is refused with 400 `invalid_xml`, as is
anything the parser cannot read (never a 500). WeChat sends UTF-8; a body that
declares GBK, GB2312 or GB18030 (a relay or test tool may send one) is decoded as
GB18030, which contains the other two, and the text parsed, the declaration then
being moot. Replies put every text in CDATA, a "]]>" inside split across two
sections.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from xml.etree.ElementTree import ParseError

import defusedxml.ElementTree as SafeTree
from defusedxml import DefusedXmlException

from minsheng_wechat.errors import InvalidXml

ROOT = "xml"
CHINESE_ENCODINGS = frozenset({"gbk", "gb2312", "gb18030", "cp936"})
"""Declared encodings read as GB18030, their superset; expat reads none of them."""

# The encoding named in the XML declaration, if any: GBK, GB2312 and GB18030
# write the declaration's characters as single ASCII bytes.
_DECLARED_ENCODING = re.compile(
    rb"\A\s*<\?xml\s[^>]*?\bencoding\s*=\s*[\"']([A-Za-z0-9._-]{1,40})[\"']"
)


def read(body: bytes) -> dict[str, str]:
    """The elements directly under `<xml>` by name, each with its text (empty when
    it has none); the first of a repeated element counts."""
    if not body.strip():
        raise InvalidXml("the body is empty; WeChat pushes an <xml> document")
    source, encoding = _decoded(body)
    try:
        root = SafeTree.fromstring(source, forbid_dtd=True)
    except DefusedXmlException:
        raise InvalidXml(
            "the XML declares a DTD or entities, which are not accepted"
        ) from None
    except ParseError as error:
        raise InvalidXml(f"the body is not well-formed XML: {error}") from None
    except (ValueError, LookupError) as error:
        # Not ParseErrors: expat refuses multi-byte encodings other than UTF-8 and
        # UTF-16 (Big5, Shift_JIS, …) with a ValueError, and Python's codecs an
        # encoding they do not know with a LookupError.
        declared = f" (declared: {encoding})" if encoding else ""
        raise InvalidXml(
            f"the body cannot be read as XML{declared}: {error}; WeChat pushes UTF-8"
        ) from None
    if root.tag != ROOT:
        raise InvalidXml(f"the root element is <{root.tag}>, not <{ROOT}>")

    fields: dict[str, str] = {}
    for child in root:
        if isinstance(child.tag, str):
            fields.setdefault(child.tag, child.text or "")
    return fields


def _decoded(body: bytes) -> tuple[bytes | str, str | None]:
    """What the parser reads: the body itself, or its text when it declares a
    Chinese encoding expat does not read; and the declared encoding."""
    match = _DECLARED_ENCODING.match(body)
    encoding = match.group(1).decode("ascii") if match else None
    if encoding is None or encoding.lower() not in CHINESE_ENCODINGS:
        return body, encoding
    try:
        # Parsed as text, the declaration no longer says how to read the bytes.
        return body.decode("gb18030"), encoding
    except UnicodeDecodeError as error:
        raise InvalidXml(
            f"the body declares {encoding} but byte {error.start} is not "
            f"{encoding} text"
        ) from None


def write(fields: Mapping[str, str | int]) -> bytes:
    """An `<xml>` document of `fields` in order: numbers bare, texts in CDATA."""
    parts = [f"<{ROOT}>"]
    for name, value in fields.items():
        text = str(value) if isinstance(value, int) else _cdata(value)
        parts.append(f"<{name}>{text}</{name}>")
    parts.append(f"</{ROOT}>")
    return "".join(parts).encode("utf-8")


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"
