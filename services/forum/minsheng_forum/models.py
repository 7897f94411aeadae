"""The forum adapter's tables: every message it has taken on, until intake has it,
and the signatures of pushed posts."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import Integer, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from minsheng_common.adapters import queue, receipts
from minsheng_common.db import UTCDateTime


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


class ForumItem(queue.QueueItem, Base):
    """One forum message as a canonical appeal, stored before anything is sent; a
    row of an export (replay) or a pushed post (row 0)."""

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


class WebhookReceipt(receipts.Receipt, Base):
    """A pushed post's signature, kept while a replay of it could still pass the
    time window: the same signature arriving again is refused (409)."""

    __table_args__ = receipts.table_args()
