"""Reading the XML WeChat pushes and writing the XML it takes back.

Pushed XML is parsed by defusedxml with DTDs, entities and external references
forbidden, so no entity expansion ("billion laughs") or external fetch can happen;
anything but a flat `<xml>` of elements is refused with 400 `invalid_xml`. Replies
put every text in CDATA, a "]]>" inside split across two sections.
"""

from __future__ import annotations

from collections.abc import Mapping
from xml.etree.ElementTree import ParseError

import defusedxml.ElementTree as SafeTree
from defusedxml import DefusedXmlException

from minsheng_wechat.errors import InvalidXml

ROOT = "xml"


def read(body: bytes) -> dict[str, str]:
    """The elements directly under `<xml>` by name, each with its text (empty when
    it has none); the first of a repeated element counts."""
    if not body.strip():
        raise InvalidXml("the body is empty; WeChat pushes an <xml> document")
    try:
        root = SafeTree.fromstring(body, forbid_dtd=True)
    except DefusedXmlException:
        raise InvalidXml(
            "the XML declares a DTD or entities, which are not accepted"
        ) from None
    except ParseError as error:
        raise InvalidXml(f"the body is not well-formed XML: {error}") from None
    if root.tag != ROOT:
        raise InvalidXml(f"the root element is <{root.tag}>, not <{ROOT}>")

    fields: dict[str, str] = {}
    for child in root:
        if isinstance(child.tag, str):
            fields.setdefault(child.tag, child.text or "")
    return fields


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
