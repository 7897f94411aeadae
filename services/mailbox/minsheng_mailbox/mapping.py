"""A citizen's mail as an appeal intake takes: the title, the content and the files
attached, within intake's own limits.

The content is the subject, then the text: many letters say everything in the
subject line, and intake files an appeal by what its content asks. Each mail it
forwards follows, under a line saying so with its subject, sender's name and date,
then its own text (a forward within a forward follows it, marked with its level):
a citizen forwarding a complaint often writes nothing else, and the complaint is
what intake must read. Files intake cannot take (a kind not in
INTAKE_ATTACHMENT_TYPES, one over the size limit, more than intake's twenty) are
named in the content with the reason, so the clerk knows to look in the mailbox. A
text longer than intake takes is shortened, and attached whole as a text file; a
message too large to download, or whose body cannot be read, says so.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from minsheng_common import timeutil
from minsheng_mailbox import mime

MAX_ATTACHMENTS = 20
"""Intake takes at most twenty attachments an appeal."""
NO_SUBJECT = "政府信箱来信（无主题）"
FORWARDED = "—— 转发的邮件 ——"
"""The line a forwarded mail starts with in the appeal's content."""
FULL_TEXT_NAME = "邮件全文.txt"
NAME_CHARS = 50
"""Intake's limit for the citizen's name."""


def too_large(size: int, limit: int) -> str:
    """What the appeal says of a message too large to download."""
    return (
        f"（这封邮件有 {size} 字节，超过 {limit} 字节的上限，正文和附件没有读取，"
        "请到政府信箱查看原件。）"
    )


UNREADABLE = "（这封邮件的正文无法读取，请到政府信箱查看原件。）"
"""What the appeal says of a message whose body could not be read."""


@dataclass(frozen=True)
class Limits:
    """What the adapter downloads and keeps, and what intake takes."""

    attachment_types: frozenset[str]
    attachment_max_bytes: int
    message_max_bytes: int
    max_title_chars: int
    max_content_chars: int


@dataclass(frozen=True)
class Kept:
    """A file to keep and attach, named by its SHA-256 and ending."""

    ending: str
    content: bytes = field(repr=False)

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    @property
    def name(self) -> str:
        return f"{self.digest}.{self.ending}"


@dataclass(frozen=True)
class Composed:
    title: str
    content: str = field(repr=False)
    files: tuple[Kept, ...]


def compose(
    letter: mime.Letter, *, limits: Limits, unread: str | None = None
) -> Composed:
    """The appeal's title, content and files from `letter`; `unread` says first
    why its text was not read (too large to download, or unreadable)."""
    attached, notes = _files(letter.files, limits)
    if unread is not None:
        notes.insert(0, unread)

    parts = (letter.subject, letter.text, *_forwarded(letter.forwarded, level=1))
    text = "\n\n".join(part for part in parts if part)
    tail = "\n\n".join(notes)
    room = limits.max_content_chars - (len(tail) + 2 if tail else 0)
    if len(text) > room:
        text, full = _shortened(text, room, attached, limits)
        attached += full
    content = "\n\n".join(part for part in (text, tail) if part)
    return Composed(
        title=_title(_subject(letter), limits.max_title_chars),
        content=content[: limits.max_content_chars],
        files=tuple(attached),
    )


def name_of(letter: mime.Letter) -> str | None:
    """The sender's display name as the citizen's name, when it reads as one: not
    an address, and within intake's limit."""
    name = letter.sender_name
    if not name or "@" in name or len(name) > NAME_CHARS:
        return None
    return name


def _forwarded(letters: tuple[mime.Letter, ...], *, level: int) -> list[str]:
    """The forwarded mails as blocks of the content, each followed by those it
    forwards in turn."""
    blocks: list[str] = []
    for letter in letters:
        mark = FORWARDED if level == 1 else f"—— 转发的邮件（第 {level} 层）——"
        head = [mark]
        if letter.subject:
            head.append(f"主题：{letter.subject}")
        if letter.sender_name:
            head.append(f"发件人：{letter.sender_name}")
        if letter.sent_at is not None:
            head.append(f"日期：{timeutil.format_local(letter.sent_at)}")
        text = letter.text or "（转发的邮件没有正文）"
        blocks.append("\n".join(head) + "\n\n" + text)
        blocks += _forwarded(letter.forwarded, level=level + 1)
    return blocks


def _subject(letter: mime.Letter) -> str:
    """The mail's subject; of one without, the subject of the first mail it
    forwards that has one."""
    if letter.subject:
        return letter.subject
    return next((s for f in letter.forwarded if (s := _subject(f))), "")


def _files(
    files: tuple[mime.File, ...], limits: Limits
) -> tuple[list[Kept], list[str]]:
    """The files to attach, and the notes naming those attached and left out."""
    attached: list[Kept] = []
    names: list[str] = []
    left_out: list[str] = []
    for file in files:
        ending = file.ending
        if ending is None or ending not in limits.attachment_types:
            left_out.append(f"{file.name}（文件类型不受理）")
        elif len(file.content) > limits.attachment_max_bytes:
            left_out.append(f"{file.name}（超过 {limits.attachment_max_bytes} 字节）")
        elif len(attached) >= MAX_ATTACHMENTS - 1:
            # One place is kept for the full text of a letter too long to show.
            left_out.append(f"{file.name}（附件超过 {MAX_ATTACHMENTS - 1} 个）")
        else:
            attached.append(Kept(ending=ending, content=file.content))
            names.append(file.name)
    notes = []
    if names:
        notes.append("附件：" + "、".join(names))
    if left_out:
        notes.append("未转交的附件（请到政府信箱查看）：" + "；".join(left_out))
    return attached, notes


def _shortened(
    text: str, room: int, attached: list[Kept], limits: Limits
) -> tuple[str, list[Kept]]:
    """The text cut to `room` characters, and the whole text as a file when intake
    takes text files."""
    if "txt" in limits.attachment_types and len(attached) < MAX_ATTACHMENTS:
        note = f"……（正文过长，全文见附件“{FULL_TEXT_NAME}”）"
        full = [Kept(ending="txt", content=text.encode("utf-8"))]
    else:
        note = "……（正文过长，余下部分请到政府信箱查看）"
        full = []
    return text[: max(room - len(note), 0)] + note, full


def _title(subject: str, limit: int) -> str:
    title = " ".join(subject.split()) or NO_SUBJECT
    return title if len(title) <= limit else title[: limit - 1] + "…"
