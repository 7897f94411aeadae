"""Queries on disputes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_dispatch.disputes.models import OPEN, Dispute, DisputeStep


async def get(session: AsyncSession, dispute_id: str) -> Dispute | None:
    return await session.get(Dispute, dispute_id)


async def reload(session: AsyncSession, dispute_id: str) -> Dispute | None:
    """The dispute as the store holds it now, after a conditional update."""
    return await session.get(Dispute, dispute_id, populate_existing=True)


async def open_of_order(session: AsyncSession, work_order_id: str) -> Dispute | None:
    return await session.scalar(
        select(Dispute).where(Dispute.open_for == work_order_id)
    )


async def of_order(session: AsyncSession, work_order_id: str) -> list[Dispute]:
    """The disputes about the order, and the one whose decision made it, oldest
    first."""
    rows = await session.scalars(
        select(Dispute)
        .where(
            or_(
                Dispute.work_order_id == work_order_id,
                Dispute.redispatched_to == work_order_id,
            )
        )
        .order_by(Dispute.opened_at, Dispute.id)
    )
    return list(rows)


async def page(
    session: AsyncSession,
    *,
    state: str | None,
    level: str | None,
    work_order_id: str | None,
    limit: int,
    offset: int,
) -> tuple[list[Dispute], int]:
    """Disputes oldest first (the center works through them in that order), with
    the total before paging."""
    query = select(Dispute)
    if state is not None:
        query = query.where(Dispute.state == state)
    if level is not None:
        query = query.where(Dispute.level == level)
    if work_order_id is not None:
        query = query.where(Dispute.work_order_id == work_order_id)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(Dispute.opened_at, Dispute.id).limit(limit).offset(offset)
    )
    return list(rows), int(total or 0)


async def steps(
    session: AsyncSession, dispute_ids: Sequence[str]
) -> dict[str, list[DisputeStep]]:
    """Each dispute's steps, oldest first."""
    found: dict[str, list[DisputeStep]] = {dispute_id: [] for dispute_id in dispute_ids}
    if not dispute_ids:
        return found
    rows = await session.scalars(
        select(DisputeStep)
        .where(DisputeStep.dispute_id.in_(dispute_ids))
        .order_by(DisputeStep.id)
    )
    for row in rows:
        found[row.dispute_id].append(row)
    return found


async def move(
    session: AsyncSession, dispute_id: str, *, at_level: str, values: dict[str, Any]
) -> bool:
    """Change the dispute only if it is still open at `at_level`; False when it is
    not. The database checks it in the UPDATE itself, so of two requests racing for
    one step exactly one wins."""
    result = await session.execute(
        update(Dispute)
        .where(
            Dispute.id == dispute_id,
            Dispute.state == OPEN,
            Dispute.level == at_level,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0)) == 1
