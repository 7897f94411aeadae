"""Queries on the triage queue."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_intake.classification.models import AppealTriage
from minsheng_intake.models import Appeal


async def get(session: AsyncSession, appeal_id: str) -> AppealTriage | None:
    return await session.get(AppealTriage, appeal_id)


async def waiting(
    session: AsyncSession, *, limit: int, offset: int
) -> tuple[list[tuple[AppealTriage, Appeal]], int]:
    """The unresolved entries with their appeals, oldest first, and how many wait."""
    query = (
        select(AppealTriage, Appeal)
        .join(Appeal, Appeal.id == AppealTriage.appeal_id)
        .where(AppealTriage.resolved_at.is_(None))
    )
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.execute(
        query.order_by(AppealTriage.queued_at, AppealTriage.appeal_id)
        .limit(limit)
        .offset(offset)
    )
    return [(row[0], row[1]) for row in rows], total or 0


async def mark_resolved(
    session: AsyncSession,
    *,
    appeal_id: str,
    category_id: str,
    resolved_by: str,
    reason: str,
    at: datetime,
) -> bool:
    """Record the operator's choice if the entry still waits; False if it does not
    (one of two operators classifying at once wins, the other finds it gone)."""
    result = await session.execute(
        update(AppealTriage)
        .where(AppealTriage.appeal_id == appeal_id, AppealTriage.resolved_at.is_(None))
        .values(
            resolved_at=at,
            resolved_by=resolved_by,
            category_id=category_id,
            reason=reason,
        )
        .execution_options(synchronize_session=False)
    )
    assert isinstance(result, CursorResult)  # noqa: S101 - an UPDATE gives a cursor
    return result.rowcount == 1
