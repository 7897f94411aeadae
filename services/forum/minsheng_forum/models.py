"""The forum adapter's tables: every message it has taken on, until intake has it,
the signatures of pushed posts, and where it stands in each forum it polls."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from minsheng_common.adapters import answer_store, queue, receipts
from minsheng_common.db import UTCDateTime


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


class ForumItem(queue.QueueItem, Base):
    """One forum message as a canonical appeal, stored before anything is sent; a
    row of an export (replay), a pushed post or a polled one (row 0)."""

    __tablename__ = "forum_items"
    __table_args__ = (
        UniqueConstraint(
            "source", "message_id", "row_number", name="uq_forum_items_row"
        ),
        *queue.indexes("forum_items"),
    )

    message_id: Mapped[str] = mapped_column(String(100))
    row_number: Mapped[int] = mapped_column(Integer)
    posted_at: Mapped[datetime]
    post_url: Mapped[str | None] = mapped_column(String(1000))
    """Where a polled post is read on its forum, if the feed said."""


class FeedCursor(Base):
    """Where the adapter stands in a polled forum source (轮询游标): the cursor it
    asks with next, moved only in the transaction that stores the posts before
    it, and how its last polls went."""

    __tablename__ = "forum_feed_cursors"

    source: Mapped[str] = mapped_column(String(100), primary_key=True)
    cursor: Mapped[str | None] = mapped_column(String(500))
    polled_at: Mapped[datetime | None]
    succeeded_at: Mapped[datetime | None]
    failures: Mapped[int] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    posts_stored: Mapped[int] = mapped_column(Integer)
    posts_repeated: Mapped[int] = mapped_column(Integer)
    posts_unreadable: Mapped[int] = mapped_column(Integer)
    """Posts skipped because they could not be read; counted each time given."""


class WebhookReceipt(receipts.Receipt, Base):
    """A pushed post's signature, kept while a replay of it could still pass the
    time window: the same signature arriving again is refused (409)."""

    __table_args__ = receipts.table_args()


class Answer(answer_store.AnswerRecord, Base):
    """An answer notify handed over for a citizen who posted on a forum, until it
    is a reply post there and notify has its receipt."""

    __table_args__ = answer_store.table_args()
