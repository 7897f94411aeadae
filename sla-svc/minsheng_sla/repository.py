"""Queries on SLA's store."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.base import Executable

from minsheng_sla.models import (
    CANCELLED,
    PENDING,
    REACHED,
    Deadline,
    DeadlineChange,
    HandlingNotice,
)

# The order a work order's clocks are listed in: the order of its life.
KIND_ORDER = {
    "sign_off": 0,
    "handling": 1,
    "acceptance_notice": 2,
    "handling_notice": 3,
    "staged_check": 4,
}


async def insert_if_absent(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Add a clock unless the work order already has one of that kind; True if added.

    `ON CONFLICT DO NOTHING` on the (work order, kind) key makes a second delivery
    of the same fact, even a concurrent one, a no-op instead of an error.
    """
    keys = ["work_order_id", "kind"]
    statement: Executable
    dialect = _dialect(session)
    if dialect == "postgresql":
        statement = (
            postgresql.insert(Deadline)
            .values(**values)
            .on_conflict_do_nothing(index_elements=keys)
        )
    elif dialect == "sqlite":
        statement = (
            sqlite.insert(Deadline)
            .values(**values)
            .on_conflict_do_nothing(index_elements=keys)
        )
    else:
        statement = insert(Deadline).values(**values)
    result = await session.execute(statement)
    # An INSERT answers with a CursorResult, which has a row count; the stubs only
    # promise the general Result.
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def by_kind(
    session: AsyncSession, work_order_id: str, kind: str, *, for_update: bool = False
) -> Deadline | None:
    """The work order's clock of one kind; `for_update` locks it (PostgreSQL) so the
    watcher cannot reach it while it is being met."""
    query = select(Deadline).where(
        Deadline.work_order_id == work_order_id, Deadline.kind == kind
    )
    if for_update:
        query = query.with_for_update()
    result = await session.execute(query)
    return result.scalar_one_or_none()


async def for_work_order(session: AsyncSession, work_order_id: str) -> list[Deadline]:
    """Every clock on a work order: sign-off, handling, acceptance notice."""
    rows = await session.scalars(
        select(Deadline).where(Deadline.work_order_id == work_order_id)
    )
    return sorted(rows, key=lambda row: KIND_ORDER[row.kind])


async def page(
    session: AsyncSession,
    *,
    status: str | None,
    kind: str | None,
    unit_id: str | None,
    due_before: datetime | None,
    limit: int,
    offset: int,
) -> tuple[list[Deadline], int]:
    """Clocks matching the filters, soonest due first, and how many match in all."""
    query = select(Deadline)
    if status is not None:
        query = query.where(Deadline.status == status)
    if kind is not None:
        query = query.where(Deadline.kind == kind)
    if unit_id is not None:
        query = query.where(Deadline.unit_id == unit_id)
    if due_before is not None:
        query = query.where(Deadline.due_at <= due_before)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(Deadline.due_at, Deadline.id).limit(limit).offset(offset)
    )
    return list(rows), int(total or 0)


async def claim_due(
    session: AsyncSession, *, now: datetime, limit: int
) -> list[Deadline]:
    """Mark up to `limit` pending clocks due at or before `now` as reached, and return
    them, soonest due first.

    PostgreSQL takes the due rows `FOR UPDATE SKIP LOCKED` in a materialised CTE, so
    several watchers claim disjoint batches and a row being met by a consumer is
    left for the next pass. (Written as `id IN (subquery)`, PostgreSQL may re-run the
    subquery while updating and claim more than `limit` rows.) SQLite has one writer
    and no row locks; there the statement must begin with UPDATE, because the driver
    opens the transaction, which the staged events share, only before a statement
    that starts with a data-changing keyword.
    """
    due = (
        select(Deadline.id)
        .where(Deadline.status == PENDING, Deadline.due_at <= now)
        .order_by(Deadline.due_at, Deadline.id)
        .limit(limit)
    )
    statement = update(Deadline).values(status=REACHED, reached_at=now)
    if _dialect(session) == "postgresql":
        batch = due.with_for_update(skip_locked=True).cte("due")
        statement = statement.where(
            Deadline.id == batch.prefix_with("MATERIALIZED").c.id
        )
    else:
        statement = statement.where(
            Deadline.id.in_(due.scalar_subquery()), Deadline.status == PENDING
        )
    claimed = await session.scalars(
        statement.returning(Deadline).execution_options(synchronize_session=False)
    )
    return sorted(claimed, key=lambda row: (row.due_at, row.id))


async def cancel_pending(
    session: AsyncSession, work_order_ids: Sequence[str], *, at: datetime
) -> list[Deadline]:
    """Cancel every pending clock of the given work orders and return them.

    Only rows still pending change: on PostgreSQL a row the watcher has just claimed
    is waited for and then, reached already, left alone; reached and met clocks
    keep their outcome.
    """
    if not work_order_ids:
        return []
    rows = await session.scalars(
        update(Deadline)
        .where(
            Deadline.work_order_id.in_(list(work_order_ids)),
            Deadline.status == PENDING,
        )
        .values(status=CANCELLED, cancelled_at=at)
        .returning(Deadline)
        .execution_options(synchronize_session=False)
    )
    return sorted(rows, key=lambda row: (row.work_order_id, KIND_ORDER[row.kind]))


async def change_by_event(
    session: AsyncSession, event_id: str
) -> DeadlineChange | None:
    """The due-time change an event already made, if any."""
    return await session.scalar(
        select(DeadlineChange).where(DeadlineChange.event_id == event_id)
    )


async def changes_of(
    session: AsyncSession, deadline_ids: Sequence[str]
) -> dict[str, list[DeadlineChange]]:
    """Every due-time change of the given clocks, oldest first, by clock id."""
    by_deadline: dict[str, list[DeadlineChange]] = {key: [] for key in deadline_ids}
    if not deadline_ids:
        return by_deadline
    rows = await session.scalars(
        select(DeadlineChange)
        .where(DeadlineChange.deadline_id.in_(list(deadline_ids)))
        .order_by(DeadlineChange.id)
    )
    for row in rows:
        by_deadline[row.deadline_id].append(row)
    return by_deadline


async def handling_notice(session: AsyncSession, work_order_id: str) -> HandlingNotice:
    """The work order's handling-notice row, created empty when absent, locked until
    the transaction ends.

    Insert-if-absent, then read `FOR UPDATE`: the notices consumer and the
    work-orders consumer queue on this row, so a notice sent while the closure
    request starts its clock is seen by one of the two.
    """
    dialect = _dialect(session)
    statement: Executable | None = None
    if dialect == "postgresql":
        statement = (
            postgresql.insert(HandlingNotice)
            .values(work_order_id=work_order_id)
            .on_conflict_do_nothing()
        )
    elif dialect == "sqlite":
        statement = (
            sqlite.insert(HandlingNotice)
            .values(work_order_id=work_order_id)
            .on_conflict_do_nothing()
        )
    if statement is not None:
        await session.execute(statement)
    row = await session.get(
        HandlingNotice, work_order_id, with_for_update=True, populate_existing=True
    )
    if row is None:
        row = HandlingNotice(work_order_id=work_order_id)
        session.add(row)
        await session.flush()
    return row


def _dialect(session: AsyncSession) -> str:
    return session.bind.dialect.name if session.bind is not None else "sqlite"
