"""The answers an adapter keeps until its channel has taken them and notify has
heard what became of them.

A row is stored when notify hands the answer over (its notice id is the key, so
a resend stores nothing new), is carried while `pending`, ends `delivered` or
`undelivered`, and is `reported` once notify took the receipt. The citizen's
contact is kept only while the answer is pending: settling it blanks the contact;
the row itself is forgotten after the adapter's answer retention (notify keeps the
evidence).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, TypeVar

import sqlalchemy as sa
from sqlalchemy import Index, Integer, String, Text, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from minsheng_common.db import UTCDateTime

if TYPE_CHECKING:
    from alembic.operations import Operations

TABLE: Final = "answers"
PENDING: Final = "pending"
DELIVERED: Final = "delivered"
UNDELIVERED: Final = "undelivered"
SETTLED: Final = (DELIVERED, UNDELIVERED)


class AnswerRecord:
    """An answer for a citizen and the state of its carriage (a mixin for an
    adapter's own `answers` table, whose `__table_args__` are `table_args()`)."""

    __tablename__ = TABLE

    notice_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(String(50))
    appeal_id: Mapped[str | None] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(40))
    contact_kind: Mapped[str] = mapped_column(String(30))
    contact: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    provider_ref: Mapped[str | None] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    report_attempts: Mapped[int] = mapped_column(Integer)
    next_report_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


Record = TypeVar("Record", bound=AnswerRecord)

_INDEXES: Final = (
    (f"ix_{TABLE}_due", ["status", "next_attempt_at"]),
    (f"ix_{TABLE}_unreported", ["reported_at", "status"]),
    (f"ix_{TABLE}_appeal_id", ["appeal_id"]),
)


def table_args() -> tuple[Index, ...]:
    """The answers' indexes, new for each adapter's table."""
    return tuple(Index(name, *columns) for name, columns in _INDEXES)


def create_table(op: Operations) -> None:
    """Create the answers table from an adapter's migration."""
    op.create_table(
        TABLE,
        sa.Column("notice_id", sa.String(64), primary_key=True),
        sa.Column("channel", sa.String(50), nullable=False),
        sa.Column("appeal_id", sa.String(36), nullable=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("contact_kind", sa.String(30), nullable=False),
        sa.Column("contact", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("provider_ref", sa.String(200), nullable=True),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("settled_at", UTCDateTime(), nullable=True),
        sa.Column("reported_at", UTCDateTime(), nullable=True),
        sa.Column("report_attempts", sa.Integer(), nullable=False),
        sa.Column("next_report_at", UTCDateTime(), nullable=True),
    )
    for name, columns in _INDEXES:
        op.create_index(name, TABLE, columns)


async def find(
    session: AsyncSession, model: type[Record], notice_id: str
) -> Record | None:
    return await session.get(model, notice_id)


async def due(
    session: AsyncSession, model: type[Record], *, now: datetime, limit: int
) -> Sequence[Record]:
    """Pending answers whose next try has come, oldest first."""
    rows = await session.scalars(
        select(model)
        .where(model.status == PENDING, model.next_attempt_at <= now)
        .order_by(model.received_at, model.notice_id)
        .limit(limit)
    )
    return rows.all()


async def unreported(
    session: AsyncSession, model: type[Record], *, now: datetime, limit: int
) -> Sequence[Record]:
    """Settled answers notify has not yet heard of, whose next report has come."""
    rows = await session.scalars(
        select(model)
        .where(
            model.reported_at.is_(None),
            model.status.in_(SETTLED),
            (model.next_report_at.is_(None)) | (model.next_report_at <= now),
        )
        .order_by(model.settled_at, model.notice_id)
        .limit(limit)
    )
    return rows.all()


async def change(
    session: AsyncSession,
    model: type[Record],
    notice_ids: Sequence[str],
    values: dict[str, Any],
) -> None:
    await session.execute(
        update(model)
        .where(model.notice_id.in_(notice_ids))
        .values(**values)
        .execution_options(synchronize_session=False)
    )


async def forget_settled(
    session: AsyncSession, model: type[Record], *, before: datetime, reported: bool
) -> int:
    """Forget answers settled before `before` (and, with `reported`, told to
    notify, which keeps the evidence); the number forgotten."""
    condition = model.status.in_(SETTLED) & (model.settled_at < before)
    if reported:
        condition = condition & model.reported_at.is_not(None)
    result = await session.execute(
        delete(model).where(condition).execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def count_by_status(session: AsyncSession, model: type[Record]) -> dict[str, int]:
    rows = await session.execute(
        select(model.status, sa.func.count()).group_by(model.status)
    )
    return {str(row[0]): int(row[1]) for row in rows}
