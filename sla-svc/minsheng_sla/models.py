"""SLA's table: one row per clock on a work order."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Literal

from sqlalchemy import Boolean, Index, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from minsheng_common.db import UTCDateTime
from minsheng_common.events import DeadlineKind

DeadlineStatus = Literal["pending", "met", "reached"]

PENDING: DeadlineStatus = "pending"
MET: DeadlineStatus = "met"
REACHED: DeadlineStatus = "reached"


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


class Deadline(Base):
    """A clock on a work order: sign-off (签收, Art. 13), handling (办理, Art. 15) or
    acceptance notice (受理告知, Art. 28).

    `pending` until what it measures happens (`met`) or its time runs out
    (`reached`); a reached clock that is met later becomes `met` and keeps
    `reached_at`. At most one clock of each kind per work order.
    """

    __tablename__ = "deadlines"
    __table_args__ = (
        UniqueConstraint("work_order_id", "kind", name="uq_deadlines_work_order_kind"),
        Index("ix_deadlines_status_due_at", "status", "due_at"),
        Index("ix_deadlines_appeal_id", "appeal_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    work_order_id: Mapped[str] = mapped_column(String(36))
    appeal_id: Mapped[str] = mapped_column(String(36))
    unit_id: Mapped[str] = mapped_column(String(50))
    kind: Mapped[DeadlineKind] = mapped_column(String(30))
    starts_at: Mapped[datetime]
    due_at: Mapped[datetime]
    provisional: Mapped[bool] = mapped_column(Boolean)
    article: Mapped[str] = mapped_column(String(30))
    period: Mapped[str] = mapped_column(String(50))
    rules_edition: Mapped[str] = mapped_column(String(50))
    status: Mapped[DeadlineStatus] = mapped_column(String(20), default=PENDING)
    met_at: Mapped[datetime | None]
    reached_at: Mapped[datetime | None]
