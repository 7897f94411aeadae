"""The hotline adapter's tables: every call record it has taken on, until intake has
it, and the signatures of pushed records."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from minsheng_common.adapters import queue, receipts
from minsheng_common.db import UTCDateTime


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


class HotlineCall(queue.QueueItem, Base):
    """One call record as a canonical appeal, stored before anything is sent.

    The line is the queue (`source`): a line's records reach intake in the order
    its call centre pushed them. The caller's number and the address are in the
    payload only, never in a column or a log.
    """

    __tablename__ = "hotline_calls"
    __table_args__ = (
        UniqueConstraint("source", "call_id", name="uq_hotline_calls_call"),
        *queue.indexes("hotline_calls"),
    )

    call_id: Mapped[str] = mapped_column(String(100))
    agent: Mapped[str] = mapped_column(String(100))
    type_as_entered: Mapped[str] = mapped_column(String(20))
    category_as_entered: Mapped[str] = mapped_column(String(100))
    called_at: Mapped[datetime]


class WebhookReceipt(receipts.Receipt, Base):
    """A pushed record's signature, kept while a replay of it could still pass the
    time window: the same signature arriving again is refused (409)."""

    __table_args__ = receipts.table_args()
