"""SLA's tables: one row per clock on a work order, the history of every due time
moved, and the handling notices seen for each work order."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar, Literal

from sqlalchemy import Boolean, Date, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from minsheng_common.db import UTCDateTime
from minsheng_common.events import DeadlineKind

DeadlineStatus = Literal["pending", "met", "reached", "cancelled"]

PENDING: DeadlineStatus = "pending"
MET: DeadlineStatus = "met"
REACHED: DeadlineStatus = "reached"
CANCELLED: DeadlineStatus = "cancelled"


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


class Deadline(Base):
    """A clock on a work order: sign-off (签收, Art. 13), handling (办理, Art. 15,
    extended under Art. 16), acceptance notice (受理告知, Art. 28), handling notice
    (办理告知, Art. 29), the check of a staged closure (阶段性办结, Art. 17) or the
    reply templates a unit may send after its third closure of a kind (on that third
    order, Art. 43; optional, so reaching it is shown, not an overdue order).

    `pending` until what it measures happens (`met`) or its time runs out
    (`reached`); a reached clock that is met later becomes `met` and keeps
    `reached_at`. A clock of an order that ends without being handled (its return
    approved, merged into another, split or sent on in parallel) is `cancelled` and
    never reached nor urged. At most one clock of each kind per work order: a
    reopened order (重办) is a new work order with clocks of its own.

    A handling clock also carries its urging points (催办, Art. 39): the instants
    when half and two thirds of its working time have passed, the next one still to
    be sent (`next_urge_at`, which the watcher claims like a due time) and the
    highest level sent (`urged_level`: 1 half, 2 two thirds, 3 overdue), so each
    step is sent once. A clock met late keeps by how much working time
    (`late_working_seconds`); the natural time is `met_at - due_at`.
    """

    __tablename__ = "deadlines"
    __table_args__ = (
        UniqueConstraint("work_order_id", "kind", name="uq_deadlines_work_order_kind"),
        Index("ix_deadlines_status_due_at", "status", "due_at"),
        Index("ix_deadlines_status_next_urge_at", "status", "next_urge_at"),
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
    cancelled_at: Mapped[datetime | None]
    urge_half_at: Mapped[datetime | None]
    urge_two_thirds_at: Mapped[datetime | None]
    next_urge_at: Mapped[datetime | None]
    urged_level: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    late_working_seconds: Mapped[int | None] = mapped_column(Integer)


class DeadlineChange(Base):
    """A due time moved: an extension approved by the center (延期, Art. 16), with
    the event that decided it, so the same decision never moves it twice."""

    __tablename__ = "deadline_changes"
    __table_args__ = (Index("ix_deadline_changes_deadline_id", "deadline_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    deadline_id: Mapped[str] = mapped_column(String(36))
    from_due_at: Mapped[datetime]
    to_due_at: Mapped[datetime]
    working_days: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    changed_at: Mapped[datetime]


class HandlingNotice(Base):
    """What sla knows of a work order's handling notice (办理告知, Art. 29): when the
    unit first asked for it and when one was first sent (notice.sent of kind
    "handling"); either may arrive before the closure request that starts its
    clock."""

    __tablename__ = "handling_notices"

    work_order_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    requested_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    notice_id: Mapped[str | None] = mapped_column(String(36))


class CooperatingOrder(Base):
    """An order a cooperating unit (协同单位) holds in a parallel group (Art. 20,
    22), as its dispatch said. Such an order asks for no closure of its own: its
    unit's opinion meets its handling clock, and when the center waived that
    opinion, its closure with the lead does."""

    __tablename__ = "cooperating_orders"

    work_order_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    parallel_group_id: Mapped[str | None] = mapped_column(String(36))


class Supervision(Base):
    """One unit's weekly overdue supervision (督办, Art. 40): listed once per unit and
    week, whichever replica of the watcher gets there first."""

    __tablename__ = "supervisions"
    __table_args__ = (
        UniqueConstraint("unit_id", "week_of", name="uq_supervisions_unit_week"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    unit_id: Mapped[str] = mapped_column(String(50))
    week_of: Mapped[date] = mapped_column(Date)
    orders: Mapped[int] = mapped_column(Integer)
    listed_at: Mapped[datetime]
