"""The mailbox adapter's tables: where reading stopped in each folder, every message
read and what became of it, the appeals on their way to intake, the attachments
they carry, and the signatures of signed requests."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from minsheng_common.adapters import answer_store, kept_files, queue, receipts
from minsheng_common.db import UTCDateTime

KEY_CHARS = 80
"""`mid:` and a SHA-256 in hex, or `uid:`/`rep:` and `<uidvalidity>:<uid>`."""


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


class Cursor(Base):
    """Where reading stopped in a folder: the folder's UIDVALIDITY and the highest
    UID taken. Moved in the same transaction as what the message stored, so a
    restart neither skips nor repeats a message."""

    __tablename__ = "mailbox_cursors"

    folder: Mapped[str] = mapped_column(String(200), primary_key=True)
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime]


class MailMessage(Base):
    """A message read from the mailbox and its outcome: queued as an appeal,
    ignored (an auto-reply, a bounce), or repeated (its Message-ID is an earlier
    message's). `key` is the message's identity across a change of UIDVALIDITY:
    its Message-ID, hashed; a repeated message, known by its place in the folder
    (`rep:<uidvalidity>:<uid>`), names the earlier one's key in `repeats`."""

    __tablename__ = "mailbox_messages"
    __table_args__ = (Index("ix_mailbox_messages_outcome", "outcome"),)

    key: Mapped[str] = mapped_column(String(KEY_CHARS), primary_key=True)
    folder: Mapped[str] = mapped_column(String(200))
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    uid: Mapped[int] = mapped_column(BigInteger)
    size: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(40))
    item_id: Mapped[str | None] = mapped_column(String(36))
    sent_at: Mapped[datetime]
    read_at: Mapped[datetime]
    repeats: Mapped[str | None] = mapped_column(String(KEY_CHARS))


class MailboxItem(queue.QueueItem, Base):
    """One citizen's mail as a canonical appeal, stored before anything is sent.
    The folder is the queue (`source`). The subject and Message-ID are kept for
    the reply (Re: and In-Reply-To)."""

    __tablename__ = "mailbox_items"
    __table_args__ = (
        Index("ix_mailbox_items_appeal", "appeal_id"),
        *queue.indexes("mailbox_items"),
    )

    message_key: Mapped[str] = mapped_column(String(KEY_CHARS), unique=True)
    uid: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[str | None] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime]
    attachments: Mapped[int] = mapped_column(Integer)


class Attachment(kept_files.KeptFile, Base):
    """An attachment's content, kept by its SHA-256 and served to intake's readers."""

    __tablename__ = "mailbox_attachments"

    stored_at: Mapped[datetime]


class WebhookReceipt(receipts.Receipt, Base):
    """A signed request's signature, kept while a replay of it could still pass the
    time window (every adapter's runtime purges this table)."""

    __table_args__ = receipts.table_args()


class Answer(answer_store.AnswerRecord, Base):
    """An answer notify handed over for a citizen who wrote to the mailbox, until
    it is an email reply and notify has its receipt."""

    __table_args__ = answer_store.table_args()
