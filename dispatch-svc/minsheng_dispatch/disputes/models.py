"""The tables of ownership disputes (Art. 24), on dispatch's store.

A dispute is never deleted: it stays open while it climbs the ladder and is closed by
its decision; every step (opened, escalated, decided) keeps its own row.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from minsheng_dispatch.models import Base

OPEN = "open"
DECIDED = "decided"


class Dispute(Base):
    """Units contest which of them owns a work order (争议事件, Art. 24)."""

    __tablename__ = "work_order_disputes"
    __table_args__ = (
        Index("ix_work_order_disputes_order", "work_order_id"),
        Index("ix_work_order_disputes_state", "state", "opened_at"),
        UniqueConstraint("open_for", name="uq_work_order_disputes_open_for"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    work_order_id: Mapped[str] = mapped_column(ForeignKey("work_orders.id"))
    appeal_id: Mapped[str] = mapped_column(String(36))
    unit_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    reason: Mapped[str] = mapped_column(Text)
    # center, bureau_leadership or district_meeting: where the dispute is now, or
    # the level that decided it.
    level: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(10))
    # The order's id while the dispute is open, NULL once decided: the unique
    # constraint lets an order have one open dispute at a time, even when two
    # operators open one at the same moment.
    open_for: Mapped[str | None] = mapped_column(String(36))
    opened_at: Mapped[datetime]
    opened_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime]
    owner_unit_id: Mapped[str | None] = mapped_column(String(50))
    decision: Mapped[str | None] = mapped_column(Text)
    decision_document: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(200))
    # The owner's new order when the decision moved the appeal away from the holder.
    redispatched_to: Mapped[str | None] = mapped_column(String(36))


class DisputeStep(Base):
    """One step of a dispute: who opened, escalated or decided it, when, at which
    level, why, and on which document."""

    __tablename__ = "work_order_dispute_steps"
    __table_args__ = (Index("ix_work_order_dispute_steps_dispute", "dispute_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dispute_id: Mapped[str] = mapped_column(ForeignKey("work_order_disputes.id"))
    step: Mapped[str] = mapped_column(String(20))
    level: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime]
    text: Mapped[str] = mapped_column(Text)
    document: Mapped[str | None] = mapped_column(String(64))
    owner_unit_id: Mapped[str | None] = mapped_column(String(50))
