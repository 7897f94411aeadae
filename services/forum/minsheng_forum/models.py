"""The forum adapter's table: every message it has taken on, until intake has it."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from minsheng_common.db import UTCDateTime


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


class ForumItem(Base):
    """One forum message as a canonical appeal, stored before anything is sent.

    `status` is pending until intake answers: delivered (201 new, 200 already
    received) or refused (422, kept with intake's answer and never retried).
    """

    __tablename__ = "forum_items"
    __table_args__ = (
        UniqueConstraint(
            "source", "message_id", "row_number", name="uq_forum_items_row"
        ),
        Index("ix_forum_items_queue", "source", "status", "position"),
        Index("ix_forum_items_status", "status"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    source: Mapped[str] = mapped_column(String(100))
    message_id: Mapped[str] = mapped_column(String(100))
    row_number: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    posted_at: Mapped[datetime]
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    answer_status: Mapped[int | None] = mapped_column(Integer)
    appeal_id: Mapped[str | None] = mapped_column(String(36))
    tracking_code: Mapped[str | None] = mapped_column(String(32))
    decision: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime]


class WebhookReceipt(Base):
    """A pushed post's signature, kept while a replay of it could still pass the
    time window: the same signature arriving again is refused (409)."""

    __tablename__ = "webhook_receipts"
    __table_args__ = (Index("ix_webhook_receipts_received_at", "received_at"),)

    signature: Mapped[str] = mapped_column(String(100), primary_key=True)
    received_at: Mapped[datetime]
