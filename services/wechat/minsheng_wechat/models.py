"""The WeChat adapter's tables: the appeals on their way to intake, every message
received and what became of it, the pictures kept, and the signatures of pushes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import Boolean, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from minsheng_common.adapters import answer_store, kept_files, queue, receipts
from minsheng_common.db import UTCDateTime


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


class WechatAppeal(queue.QueueItem, Base):
    """One appeal: the text, voice, picture or location message that opened it, and
    the pictures and locations attached to it. The citizen (a pseudonym of the
    openid) is the queue (`source`): a citizen's appeals reach intake in order.
    The openid itself is in the payload only, as the contact."""

    __tablename__ = "wechat_appeals"
    __table_args__ = (*queue.indexes("wechat_appeals"),)

    first_message_key: Mapped[str] = mapped_column(String(100), unique=True)
    opened_by: Mapped[str] = mapped_column(String(20))
    follow_ups: Mapped[int] = mapped_column(Integer)
    may_have_reached_intake: Mapped[bool] = mapped_column(Boolean)
    """A try ended so that intake may hold the appeal (a timeout, a 5xx): nothing
    is attached to it any more, since a resend would get intake's first copy."""
    instant_answer: Mapped[str | None] = mapped_column(Text)


class WechatMessage(Base):
    """A message or event as the account received it, and what became of it. Its
    key is the idempotency key: the MsgId, or the sender and CreateTime of an
    event, as WeChat advises for telling its retries apart."""

    __tablename__ = "wechat_messages"
    __table_args__ = (
        Index("ix_wechat_messages_received_at", "received_at"),
        Index("ix_wechat_messages_appeal_item_id", "appeal_item_id"),
    )

    message_key: Mapped[str] = mapped_column(String(100), primary_key=True)
    citizen: Mapped[str] = mapped_column(String(40))
    msg_type: Mapped[str] = mapped_column(String(30))
    event: Mapped[str | None] = mapped_column(String(50))
    outcome: Mapped[str] = mapped_column(String(20))
    appeal_item_id: Mapped[str | None] = mapped_column(String(36))
    photo: Mapped[str | None] = mapped_column(String(80))
    """The picture kept, as attached: `<sha256>.<ending>`."""
    sent_at: Mapped[datetime]
    received_at: Mapped[datetime]


class Photo(kept_files.KeptPicture, Base):
    """A citizen's picture, kept by its SHA-256 and served to intake's readers."""

    __tablename__ = "wechat_photos"


class WebhookReceipt(receipts.Receipt, Base):
    """A push's signature, kept while a replay of it could still pass the time
    window: the same signature with a message not seen before is refused (409)."""

    __table_args__ = receipts.table_args()


class Answer(answer_store.AnswerRecord, Base):
    """An answer notify handed over for a citizen who wrote to the official
    account, until it is a customer-service message and notify has its receipt."""

    __table_args__ = answer_store.table_args()
