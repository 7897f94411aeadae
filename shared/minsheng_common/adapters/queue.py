"""The queue every adapter keeps in its own store: each item is a canonical appeal
stored before anything is sent, with the state of its delivery to intake.

An adapter's table mixes in `QueueItem` and adds what its channel needs (the
forum's message id, the hotline's call id). `source` names a queue in which order
holds: only its first pending item (by `position`) may be sent.

`status` is pending until intake answers: delivered (201 new, 200 already received)
or refused (422, kept with intake's answer and never retried).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import JSON, Index, Integer, String, Text, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from minsheng_common import ids
from minsheng_common.db import UTCDateTime

APPEAL_ID_CHARS = 36
TRACKING_CODE_CHARS = 32
DECISION_CHARS = 40
"""The widest decision kept: intake's pending_classification has 22 letters. It
was 20; the forum's revision 0003 widens its column, the other adapters' first
revisions take it from `columns()`."""


class QueueItem:
    """The columns of a queued item (a mixin for an adapter's own table)."""

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    source: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answer_status: Mapped[int | None] = mapped_column(Integer)
    appeal_id: Mapped[str | None] = mapped_column(String(APPEAL_ID_CHARS))
    tracking_code: Mapped[str | None] = mapped_column(String(TRACKING_CODE_CHARS))
    decision: Mapped[str | None] = mapped_column(String(DECISION_CHARS))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


Item = TypeVar("Item", bound=QueueItem)


def index_specs(table: str) -> list[tuple[str, list[str]]]:
    """The queue's indexes on `table`: (name, columns), for models and migrations."""
    return [
        (f"ix_{table}_queue", ["source", "status", "position"]),
        (f"ix_{table}_status", ["status"]),
    ]


def indexes(table: str) -> tuple[Index, ...]:
    """The queue's indexes, for a model's `__table_args__`."""
    return tuple(Index(name, *columns) for name, columns in index_specs(table))


def columns() -> list[sa.Column[Any]]:
    """The queue's columns as an adapter's first migration creates them.

    A migration calls this to create the columns as they are at that revision; a
    later change to the queue's columns comes with its own revision in every
    adapter, as the bus tables' do.
    """
    return [
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("next_attempt_at", UTCDateTime()),
        sa.Column("delivered_at", UTCDateTime()),
        sa.Column("answer_status", sa.Integer),
        sa.Column("appeal_id", sa.String(APPEAL_ID_CHARS)),
        sa.Column("tracking_code", sa.String(TRACKING_CODE_CHARS)),
        sa.Column("decision", sa.String(DECISION_CHARS)),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    ]


async def last_position(
    session: AsyncSession, model: type[QueueItem], source: str
) -> int:
    """The highest queue position used in `source`, 0 when empty."""
    found = await session.scalar(
        select(func.max(model.position)).where(model.source == source)
    )
    return int(found or 0)


async def enqueue(
    session: AsyncSession,
    model: type[Item],
    *,
    source: str,
    payload: dict[str, Any],
    now: datetime,
    **columns: Any,
) -> Item:
    """Store a new item due now at the end of `source`'s queue, with the adapter's
    own `columns`; flushed, not committed."""
    position = await last_position(session, model, source)
    item = model(**columns)
    item.id = ids.new_id()
    item.source = source
    item.position = position + 1
    item.payload = payload
    item.due_at = now
    item.status = "pending"
    item.attempts = 0
    item.created_at = now
    session.add(item)
    await session.flush()
    return item


async def pending_sources(session: AsyncSession, model: type[QueueItem]) -> list[str]:
    result = await session.scalars(
        select(model.source).where(model.status == "pending").distinct()
    )
    return sorted(result)


async def head(session: AsyncSession, model: type[Item], source: str) -> Item | None:
    """The first pending item of `source` in queue order: the only one that may be
    sent now, so the channel's order holds."""
    result = await session.scalars(
        select(model)
        .where(model.source == source, model.status == "pending")
        .order_by(model.position, model.created_at, model.id)
        .limit(1)
    )
    return result.first()


async def settle(
    session: AsyncSession,
    model: type[QueueItem],
    item_id: str,
    values: dict[str, Any],
) -> bool:
    """Write an attempt's outcome onto a still pending item; False if it was not
    pending any more (another worker settled it first)."""
    result = await session.execute(
        sa.update(model)
        .where(model.id == item_id, model.status == "pending")
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def page(
    session: AsyncSession,
    model: type[Item],
    *,
    status: str | None,
    limit: int,
    offset: int,
) -> tuple[list[Item], int]:
    """Items in delivery order (queue by queue), optionally of one status."""
    query = select(model)
    if status is not None:
        query = query.where(model.status == status)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(model.source, model.position, model.created_at)
        .limit(limit)
        .offset(offset)
    )
    return list(rows), int(total or 0)


async def count_by_status(
    session: AsyncSession, model: type[QueueItem]
) -> dict[str, int]:
    result = await session.execute(
        select(model.status, func.count()).group_by(model.status)
    )
    return {str(row[0]): int(row[1]) for row in result.all()}


async def count_already_received(session: AsyncSession, model: type[QueueItem]) -> int:
    found = await session.scalar(
        select(func.count()).where(
            model.status == "delivered", model.answer_status == 200
        )
    )
    return int(found or 0)


async def appeals_by_decision(
    session: AsyncSession, model: type[QueueItem]
) -> dict[str, int]:
    """Distinct appeals intake reported, by decision: an appeal reached twice (the
    same channel reference) counts once."""
    result = await session.execute(
        select(model.decision, func.count(distinct(model.appeal_id)))
        .where(model.status == "delivered", model.decision.is_not(None))
        .group_by(model.decision)
    )
    return {str(row[0]): int(row[1]) for row in result.all()}
