"""Reading a mail as the citizen wrote it: sender, subject, date, the text and the
attached files, from MIME in every shape real mail comes in.

Headers may be RFC 2047 encoded words in any charset or raw 8-bit bytes; bodies
may be quoted-printable, base64 or 8-bit, labelled with a wrong charset or none
(see `charsets`). Of a multipart/alternative the text/plain part is read, else the
HTML part turned into text (`html_text`); text parts of a multipart/mixed are read
in order; every other part (pictures, documents) is an attached file.

A forwarded mail (a message/rfc822 part, attached or inline, as many citizens
forward a complaint) is read the same way into a letter of its own, kept in
`Letter.forwarded`, and its files join the outer mail's; one forwarded inside it
is read in turn, down to MAX_FORWARD_DEPTH levels, below which it is attached as
an .eml file. Nothing here raises on a malformed message: what cannot be read is
left out or read with replacement characters.
"""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email import message_from_bytes
from email.header import Header, decode_header
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import PurePosixPath
from typing import Any

from minsheng_common.text import strip_invisible
from minsheng_mailbox import autoreply, charsets, html_text

_ENDING = re.compile(r"^[a-z0-9]{1,10}$")
_BLANK_LINES = re.compile(r"\n{3,}")
MAX_FILENAME_CHARS = 120
MAX_FORWARD_DEPTH = 5
"""How many forwarded mails inside one another are read into the appeal; one deeper
is attached as an .eml file. Real forwarding chains are two or three deep, and a
deeper chain would mostly repeat itself in the appeal's limited content."""
_ENCLOSED = frozenset({"message/rfc822", "message/global"})
"""A whole mail enclosed in a part (RFC 2046 5.2.1; message/global, RFC 6532, is
the same with UTF-8 headers)."""
_ENCODED = frozenset({"base64", "quoted-printable"})


@dataclass(frozen=True)
class File:
    """A part of the mail that is not its text: a picture, a document."""

    name: str
    content_type: str
    content: bytes = field(repr=False)

    @property
    def ending(self) -> str | None:
        """The file's kind by its name, else by its content type; lower case."""
        suffix = PurePosixPath(self.name).suffix.lower().lstrip(".")
        if _ENDING.match(suffix):
            return suffix
        guessed = mimetypes.guess_extension(self.content_type, strict=False)
        return guessed.lstrip(".") if guessed else None


@dataclass(frozen=True)
class Letter:
    """A mail as read. `sender_address` and `sender_name` are the citizen's personal
    data: never logged, and left out of `repr`."""

    message_id: str | None
    subject: str
    sender_address: str | None = field(repr=False)
    sender_name: str | None = field(repr=False)
    sent_at: datetime | None
    text: str = field(repr=False)
    files: tuple[File, ...]
    machine: str | None = None
    """Why a machine wrote it (`autoreply.reason`); None for a person's mail."""
    forwarded: tuple[Letter, ...] = ()
    """The mails forwarded in it, in order, each read as a letter whose files are
    among this letter's `files` (its own `files` are empty)."""


@dataclass
class _Reading:
    """What the walk over one mail's parts finds. `files` is shared with the mails
    it forwards, so that theirs are attached with its own."""

    files: list[File]
    depth: int
    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    forwarded: list[Letter] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The plain parts, else the HTML parts as text."""
        text = "\n\n".join(t for t in self.plain if t) or "\n\n".join(
            html_text.to_text(h) for h in self.html if h
        )
        return _clean(text)


def read(raw: bytes) -> Letter:
    """A whole message (headers and body)."""
    files: list[File] = []
    letter = _read(message_from_bytes(raw), files, depth=0)
    return replace(letter, files=tuple(files))


def _read(message: Message, files: list[File], *, depth: int) -> Letter:
    """`message` read, its files added to `files`; `depth` is how many forwarding
    levels it lies below the mail the citizen sent."""
    reading = _Reading(files=files, depth=depth)
    _walk(message, reading)
    return _letter(
        message, text=reading.text, files=(), forwarded=tuple(reading.forwarded)
    )


def read_headers(raw: bytes) -> Letter:
    """A message's headers alone (of one too large to download, or whose body
    cannot be read): no text, no files. The body, if any, is not parsed."""
    return _letter(BytesParser().parsebytes(raw, headersonly=True), text="", files=())


def _letter(
    message: Message,
    *,
    text: str,
    files: tuple[File, ...],
    forwarded: tuple[Letter, ...] = (),
) -> Letter:
    name, address = _sender(message)
    return Letter(
        message_id=_message_id(_header_text(message, "Message-ID")),
        subject=_clean(charsets.header(_header_text(message, "Subject"))),
        sender_address=address,
        sender_name=name,
        sent_at=_date(_header_text(message, "Date")),
        text=text,
        files=files,
        machine=autoreply.reason(message),
        forwarded=forwarded,
    )


def _walk(part: Message, reading: _Reading) -> None:
    content_type = part.get_content_type()
    if content_type in _ENCLOSED:
        _enclosed_mail(part, reading)
        return
    if part.is_multipart():
        children = [c for c in part.get_payload() if isinstance(c, Message)]
        if content_type == "multipart/alternative" and children:
            children = [_preferred(children)]
        for child in children:
            _walk(child, reading)
        return

    content = _payload(part)
    name = _filename(part)
    attached = part.get_content_disposition() == "attachment" or name is not None
    if content_type == "text/plain" and not attached:
        reading.plain.append(charsets.decode(content, _charset(part)))
    elif content_type == "text/html" and not attached:
        reading.html.append(charsets.decode(content, _charset(part)))
    elif content:
        reading.files.append(
            File(
                name=name or f"附件{len(reading.files) + 1}",
                content_type=content_type,
                content=content,
            )
        )


def _enclosed_mail(part: Message, reading: _Reading) -> None:
    """A forwarded mail, attached or inline: read as a letter of its own, or, when
    it lies deeper than MAX_FORWARD_DEPTH, attached as an .eml file."""
    message = _enclosed(part)
    if message is None:
        return
    if reading.depth >= MAX_FORWARD_DEPTH:
        reading.files.append(
            File(
                name=_filename(part) or "转发的邮件.eml",
                content_type="message/rfc822",
                content=message.as_bytes(),
            )
        )
        return
    reading.forwarded.append(_read(message, reading.files, depth=reading.depth + 1))


def _enclosed(part: Message) -> Message | None:
    """The mail a message/rfc822 part holds; None when it holds none.

    RFC 2046 forbids encoding such a part, yet some clients send it in base64 or
    quoted-printable; the parser then takes the encoded text for a mail without
    headers, which is decoded here and parsed again.
    """
    payload = part.get_payload()
    inner = payload[0] if isinstance(payload, list) and payload else None
    if not isinstance(inner, Message):
        return None
    encoding = str(part.get("content-transfer-encoding", "")).strip().lower()
    encoded = inner.get_payload()
    if encoding in _ENCODED and not inner.keys() and isinstance(encoded, str):
        holder = Message()
        holder["Content-Transfer-Encoding"] = encoding
        holder.set_payload(encoded)
        return message_from_bytes(_payload(holder))
    return inner


def _preferred(children: list[Message]) -> Message:
    """Of the alternatives, the plain text; else the richest (the last), which may
    be a multipart/related of HTML and its pictures."""
    for child in children:
        if child.get_content_type() == "text/plain" and _filename(child) is None:
            return child
    return children[-1]


def _payload(part: Message) -> bytes:
    """The part's bytes with its transfer encoding (base64, quoted-printable)
    undone; the email package leaves undecodable base64 as it came."""
    content = part.get_payload(decode=True)
    return content if isinstance(content, bytes) else b""


def _charset(part: Message) -> str | None:
    label = part.get_param("charset")
    return label if isinstance(label, str) else None


def _filename(part: Message) -> str | None:
    """The attachment's name: RFC 2231 (filename*=GBK''…), RFC 2047 encoded words
    (common from Chinese mail clients, though not the standard) or raw bytes; the
    folder part a sender's path may carry is dropped."""
    for header, param in (
        ("content-disposition", "filename"),
        ("content-type", "name"),
    ):
        value: Any = _param(part, header, param)
        if value is None:
            continue
        if isinstance(value, tuple):
            label, _language, text = value
            name = charsets.decode(bytes(text, "raw-unicode-escape"), label)
        else:
            name = charsets.header(str(value))
        name = strip_invisible(name).replace("\\", "/").rsplit("/", 1)[-1].strip()
        if name:
            return _shortened(name)
    return None


def _shortened(name: str) -> str:
    if len(name) <= MAX_FILENAME_CHARS:
        return name
    suffix = PurePosixPath(name).suffix[:11]
    return name[: MAX_FILENAME_CHARS - len(suffix)] + suffix


def _sender(message: Message) -> tuple[str | None, str | None]:
    """The display name and address of From; either None when not usable."""
    found = getaddresses([_header_text(message, "From")])
    if not found:
        return None, None
    raw_name, address = found[0]
    name = _clean(charsets.header(raw_name)).strip("\"' ") or None
    return name, _address(address)


def _address(value: str) -> str | None:
    value = charsets.header(value).strip()
    local, at, domain = value.rpartition("@")
    if not at or not local or "." not in domain or " " in value or len(value) > 200:
        return None
    return value


def _message_id(text: str) -> str | None:
    """The Message-ID without its brackets or the space around it."""
    text = text.strip()
    found = re.search(r"<([^<>\s]+)>", text)
    identity = found.group(1) if found else text.split()[0] if text.split() else ""
    return identity or None


def _date(text: str) -> datetime | None:
    """The Date header in UTC; a time without a zone (-0000) is read as UTC; None
    when it cannot be read."""
    text = text.strip()
    if not text:
        return None
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _header_text(message: Message, name: str) -> str:
    """A header's value with raw 8-bit bytes read as text (the email package
    hands such a header over as a `Header` of unknown-8bit bytes) and encoded
    words left for `charsets.header`."""
    value = message.get(name)
    if value is None:
        return ""
    if isinstance(value, Header):
        return charsets.eight_bit(decode_header(value))
    return str(value)


def _param(part: Message, header: str, param: str) -> Any:
    """A parameter of a header, read from its text (`_header_text`): the email
    package would read raw 8-bit bytes there as replacement characters."""
    text = _header_text(part, header)
    if not text:
        return None
    holder = Message()
    holder[header] = text
    return holder.get_param(param, header=header)


def _clean(text: str) -> str:
    """Line ends made plain, invisible characters out, trailing spaces and runs of
    blank lines trimmed."""
    text = strip_invisible(text.replace("\r\n", "\n").replace("\r", "\n"))
    lines = [line.rstrip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
